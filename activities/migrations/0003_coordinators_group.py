"""Create the Coordinators group with exactly the permissions coordinators need."""

from django.db import migrations

from activities.migrations._coordinators_group import create_group


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Coordinators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_organization_coordinators"),
        ("aggregations", "0001_initial"),
        ("record_counts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
