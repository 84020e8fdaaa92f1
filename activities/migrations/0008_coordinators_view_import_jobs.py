"""Let the Coordinators group see import jobs (their scoping: activities.admin_jobs)."""

from django.db import migrations

from activities.migrations import _coordinators_group


class Migration(migrations.Migration):
    dependencies = [("activities", "0007_import_job")]

    operations = [migrations.RunPython(_coordinators_group.create_group, migrations.RunPython.noop)]
