"""Shared by the data migrations that (re)build the Coordinators group."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); make sure
    # they exist now so the group can be given them in a fresh database.
    for app_config in global_apps.get_app_configs():
        original = app_config.models_module
        app_config.models_module = original or True  # create_permissions skips apps without one
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = original
    from activities.coordinators import ensure_coordinators_group

    ensure_coordinators_group(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), require_all=False)
