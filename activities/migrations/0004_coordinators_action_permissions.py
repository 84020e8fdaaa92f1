"""Give the Coordinators group the permissions to run the re-aggregate/refresh actions."""

from django.db import migrations

from activities.migrations import _coordinators_group


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0003_coordinators_group"),
        ("aggregations", "0002_action_permissions"),
        ("record_counts", "0002_action_permissions"),
    ]

    operations = [migrations.RunPython(_coordinators_group.create_group, migrations.RunPython.noop)]
