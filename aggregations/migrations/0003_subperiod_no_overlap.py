"""Submitted periods of one organisation may not overlap: an exclusion constraint on
PostgreSQL (SQLite relies on the validation in aggregations.services.period_submit)."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE aggregations_submittedperiod ADD CONSTRAINT subperiod_no_overlap
    EXCLUDE USING gist (org_id WITH =, daterange(period_start, period_end, '[]') WITH &&);
"""
DROP = "ALTER TABLE aggregations_submittedperiod DROP CONSTRAINT IF EXISTS subperiod_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("aggregations", "0002_action_permissions")]
    operations = [migrations.RunPython(forwards, backwards)]
