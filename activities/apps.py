from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_rollup_triggers(using: str = "default", **kwargs: Any) -> None:
    """SQLite drops a table's triggers when a migration rebuilds it; put them back."""
    from django.db import connections

    from activities.rollup_sql import ensure_sqlite_triggers

    connection = connections[using]
    if connection.vendor == "sqlite" and "activities_activityrollup" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            ensure_sqlite_triggers(cursor)


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        post_migrate.connect(_ensure_rollup_triggers, sender=self)
