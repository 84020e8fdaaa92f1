"""PostgreSQL: each history event carries the id of the transaction that wrote it (a
column Django does not model), so a submission can tell exactly which events its read
could not see (``aggregations.evidence.changes_since``). Time alone cannot: an event's
``at`` is when its write ran, and a long import commits long after."""

from django.db import migrations

FORWARD = "ALTER TABLE activities_activityevent ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id()"
BACKWARD = "ALTER TABLE activities_activityevent DROP COLUMN IF EXISTS xid"


def _run(statement: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("activities", "0012_activity_event")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
