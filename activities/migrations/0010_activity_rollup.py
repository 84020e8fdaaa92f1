"""The rollup table and the database triggers that keep it (``ActivityRollup``); the SQL
and why it is shaped so are in ``activities/rollup_sql.py``."""

import django.db.models.deletion
from django.db import migrations, models

from activities import rollup_sql as sql


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise RuntimeError(f"The activity rollup has no triggers for {vendor}; see docs/design.md.")
        for statement in statements[vendor]:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0009_translatable_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="ActivityRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("starts_at", models.DateTimeField()),
                ("activity_type", models.CharField(max_length=64)),
                ("status", models.CharField(max_length=16)),
                ("location", models.CharField(blank=True, default="", max_length=200)),
                ("activity_count", models.BigIntegerField()),
                ("participant_total", models.BigIntegerField()),
                ("folded", models.BooleanField(db_default=False, default=False)),
                (
                    "org",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="activities.organization",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["org", "starts_at"],
                        include=("activity_type", "status", "location", "activity_count", "participant_total"),
                        name="activityrollup_org_starts",
                    ),
                    models.Index(
                        condition=models.Q(("folded", False)), fields=["org"], name="activityrollup_org_unfolded"
                    ),
                ],
            },
        ),
        migrations.RunPython(
            _run(
                {
                    "postgresql": [*sql.PG_TRIGGERS, sql.PG_BACKFILL],
                    "sqlite": [*sql.SQLITE_TRIGGERS, sql.SQLITE_BACKFILL],
                }
            ),
            _run({"postgresql": sql.PG_BACKWARD, "sqlite": sql.SQLITE_BACKWARD}),
        ),
    ]
