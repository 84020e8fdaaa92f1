# ruff: noqa: S608  (the SQL is built from constants of this file only, never from input)
"""The SQL of the rollup's triggers (``ActivityRollup``), for PostgreSQL and SQLite.

The triggers are the only writers of rollup deltas, so every change of an activity, by
any path (ORM, bulk create, COPY, ``queryset.update()``, raw SQL), is summed in the
writer's own transaction. A trigger row's ``starts_at`` is the start of the segment of
the UTC day that holds the activity: 00:00, 22:00 or 23:00 UTC. No time zone is needed
to compute it, and every local midnight of UTC, UTC+1 and UTC+2 (Europe/Oslo, summer
and winter) is a segment boundary, so a segment never straddles a local day.

PostgreSQL: statement-level triggers over transition tables, one grouped INSERT per
statement (an import's COPY of 10,000 rows appends one row per key, not 10,000).
SQLite: row-level triggers (SQLite has no statement-level ones); its one writer at a
time means nobody waits more for it. SQLite drops a table's triggers when a migration
rebuilds the table (how it alters one), so ``ensure_sqlite_triggers`` recreates them
after every ``migrate`` (``activities.apps``).

Imports nothing: migration 0010 uses it too.
"""

ACTIVITY = "activities_activity"
ROLLUP = "activities_activityrollup"
ORGANIZATION = "activities_organization"
COLUMNS = "org_id, starts_at, activity_type, status, location, activity_count, participant_total"


def pg_segment(column: str) -> str:
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"((date_trunc('day', {utc}) + CASE WHEN extract(hour FROM {utc}) < 22 THEN interval '0 hours' "
        f"WHEN extract(hour FROM {utc}) < 23 THEN interval '22 hours' ELSE interval '23 hours' END) "
        "AT TIME ZONE 'UTC')"
    )


def _pg_grouped(sources: list[tuple[str, int]]) -> str:
    """One grouped INSERT of the rows of the given transition tables, each with a sign."""
    parts = " UNION ALL ".join(
        f"SELECT org_id, {pg_segment('recorded_at')} AS starts_at, activity_type, status, location, "
        f"{sign} AS n, {sign} * participant_count AS p FROM {table}"
        for table, sign in sources
    )
    return (
        f"INSERT INTO {ROLLUP} ({COLUMNS}) SELECT org_id, starts_at, activity_type, status, location, "
        f"sum(n), sum(p) FROM ({parts}) AS changed GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 OR sum(p) <> 0"
    )


PG_TRIGGERS = [
    f"""CREATE FUNCTION activities_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_grouped([("new_rows", 1)])}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION activities_rollup_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_grouped([("old_rows", -1), ("new_rows", 1)])}; RETURN NULL; END $$""",
    f"""CREATE FUNCTION activities_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_grouped([("old_rows", -1)])}; RETURN NULL; END $$""",
    f"""CREATE TRIGGER activities_rollup_insert AFTER INSERT ON {ACTIVITY}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION activities_rollup_insert()""",
    f"""CREATE TRIGGER activities_rollup_update AFTER UPDATE ON {ACTIVITY}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION activities_rollup_update()""",
    f"""CREATE TRIGGER activities_rollup_delete AFTER DELETE ON {ACTIVITY}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION activities_rollup_delete()""",
]
PG_BACKFILL = _pg_grouped([(ACTIVITY, 1)])
PG_BACKWARD = [
    f"DROP TRIGGER IF EXISTS activities_rollup_{op} ON {ACTIVITY}" for op in ("insert", "update", "delete")
] + [f"DROP FUNCTION IF EXISTS activities_rollup_{op}()" for op in ("insert", "update", "delete")]


def _sqlite_segment(column: str) -> str:
    # Django stores an aware datetime on SQLite as UTC text, 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
    hour = f"substr({column}, 12, 2)"
    return (
        f"(substr({column}, 1, 10) || CASE WHEN {hour} < '22' THEN ' 00:00:00' "
        f"WHEN {hour} = '22' THEN ' 22:00:00' ELSE ' 23:00:00' END)"
    )


def _sqlite_row(row: str, sign: int) -> str:
    # The body names no other table: SQLite re-parses every trigger when a migration
    # rebuilds a table, and fails on one that names a table being rebuilt.
    return (
        f"INSERT INTO {ROLLUP} ({COLUMNS}) VALUES ({row}.org_id, {_sqlite_segment(row + '.recorded_at')}, "
        f"{row}.activity_type, {row}.status, {row}.location, {sign}, {sign} * {row}.participant_count);"
    )


_WATCHED = ("org_id", "recorded_at", "activity_type", "status", "location", "participant_count")
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS activities_rollup_insert AFTER INSERT ON {ACTIVITY} "
    f"BEGIN {_sqlite_row('NEW', 1)} END",
    f"CREATE TRIGGER IF NOT EXISTS activities_rollup_update AFTER UPDATE ON {ACTIVITY} "
    f"WHEN {' OR '.join(f'OLD.{c} IS NOT NEW.{c}' for c in _WATCHED)} "
    f"BEGIN {_sqlite_row('OLD', -1)} {_sqlite_row('NEW', 1)} END",
    f"CREATE TRIGGER IF NOT EXISTS activities_rollup_delete AFTER DELETE ON {ACTIVITY} "
    f"BEGIN {_sqlite_row('OLD', -1)} END",
]
SQLITE_BACKFILL = (
    f"INSERT INTO {ROLLUP} ({COLUMNS}) SELECT org_id, {_sqlite_segment('recorded_at')}, activity_type, status, "
    f"location, count(*), sum(participant_count) FROM {ACTIVITY} GROUP BY 1, 2, 3, 4, 5"
)
SQLITE_BACKWARD = [f"DROP TRIGGER IF EXISTS activities_rollup_{op}" for op in ("insert", "update", "delete")]
# Rows of organisations that are gone. None in use (an organisation with activities cannot
# be deleted, and Django deletes its rollup rows with it); Django's test flush on SQLite
# deletes the tables' rows in no set order, though, and may leave some, which would count
# for the next organisation given that id. Run after every migrate and flush.
ORPHANS = f"DELETE FROM {ROLLUP} WHERE org_id NOT IN (SELECT id FROM {ORGANIZATION})"


TRIGGER_NAMES = tuple(f"activities_rollup_{op}" for op in ("insert", "update", "delete"))


def ensure_sqlite_triggers(cursor) -> None:  # type: ignore[no-untyped-def]
    """Create the SQLite triggers where they are missing (a table rebuild dropped them)."""
    for statement in SQLITE_TRIGGERS:
        cursor.execute(statement)
