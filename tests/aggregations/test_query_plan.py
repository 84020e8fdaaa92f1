"""On PostgreSQL the selectors' own grouped counts are index-only scans on the covering index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from activities.models import Activity, Organization
from activities.selectors import activity_breakdown, activity_breakdowns
from lib.timeranges import parse_range
from tests.conftest import postgres_only

INDEX = "activity_org_recorded_cover"
Q1 = parse_range("2026-02-01", "2026-03-31")


@pytest.fixture
def vacuumed_org(transactional_db: Any) -> Organization:
    org = Organization.objects.create(org_id="org-plan", name="Plan")
    other = Organization.objects.create(org_id="org-plan-2", name="Plan 2")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Activity.objects.bulk_create(
        Activity(
            org=org if i % 4 else other,
            activity_type=("peer_support", "family_guidance")[i % 2],
            recorded_at=start + dt.timedelta(hours=i),
            participant_count=i % 5,
            status=("completed", "planned", "cancelled")[i % 3],
        )
        for i in range(5000)
    )
    # Index-only scans need the visibility map; VACUUM cannot run inside a transaction,
    # hence transactional_db.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE activities_activity")
    return org


def plan_of(call: Callable[[], Any]) -> str:
    """EXPLAIN ANALYZE the one statement ``call`` sends, exactly as it sends it."""
    statements: list[tuple[str, Any]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        call()
    assert len(statements) == 1, statements  # one grouped query, whatever the breakdowns
    sql, params = statements[0]
    with connection.cursor() as cursor:
        # A test table is small enough for a sequential scan to win; the real one is not.
        # With it off, the plan shows whether the index is usable index-only at all.
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


@postgres_only
def test_breakdown_is_an_index_only_scan_on_the_covering_index(vacuumed_org):
    plan = plan_of(lambda: activity_breakdown(org=vacuumed_org, time_range=Q1))
    assert f"Index Only Scan using {INDEX}" in plan, plan
    assert "Heap Fetches: 0" in plan, plan
    expected = Activity.objects.for_org(vacuumed_org).in_range(Q1).count()
    assert activity_breakdown(org=vacuumed_org, time_range=Q1).activity_count == expected > 0


@postgres_only
def test_batched_breakdowns_are_an_index_only_scan_too(vacuumed_org):
    ranges = [Q1, parse_range("2026-01-01", "2026-01-31"), parse_range("2026-03-01", "2026-06-30")]
    plan = plan_of(lambda: activity_breakdowns(org=vacuumed_org, time_ranges=ranges))
    assert f"Index Only Scan using {INDEX}" in plan, plan
    assert "Heap Fetches: 0" in plan, plan
