from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_rollup_triggers(using: str = "default", **kwargs: Any) -> None:
    """After ``migrate`` and ``flush`` (both send post_migrate): SQLite drops a table's
    triggers when a migration rebuilds it, so put them back; and drop rollup rows of
    organisations that are gone (a test flush on SQLite can leave some)."""
    from django.db import connections

    from activities.rollup_sql import ORPHANS, ensure_sqlite_triggers

    connection = connections[using]
    if "activities_activityrollup" not in connection.introspection.table_names():
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            ensure_sqlite_triggers(cursor)
        cursor.execute(ORPHANS)


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")

    def ready(self) -> None:
        post_migrate.connect(_ensure_rollup_triggers, sender=self)
