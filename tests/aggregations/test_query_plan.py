"""On PostgreSQL the counting core's own queries are index-only scans: of the rollup's
index for whole local days, of the activities' covering index for the partial days at
the edges and for short ranges."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from activities.counting import BREAKDOWN, count_ranges, tally
from activities.models import Activity, Organization
from lib.timeranges import parse_range
from tests.conftest import postgres_only

INDEX = "activity_org_recorded_cover"
ROLLUP_INDEX = "activityrollup_org_starts"
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
        cursor.execute("VACUUM ANALYZE activities_activityrollup")
    return org


def plan_of(call: Callable[[], Any]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) the one statement ``call`` sends, exactly as it sends it
    (SQL and parameters as handed to the driver)."""
    statements: list[tuple[str, Any]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        call()
    assert len(statements) == 1, statements  # one query, however many ranges and groups
    sql, params = statements[0]
    with connection.cursor() as cursor:
        # A test table is small enough for a sequential scan to win; the real one is not.
        # With it off, the plan shows whether the index is usable index-only at all.
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET enable_seqscan")


def assert_index_only(plan: str, *, scans: int, rollup: int = 0) -> None:
    """``scans`` accesses of the activities and ``rollup`` of the rollup, each an
    index-only scan of its covering index that never visits the heap."""
    assert plan.count(f"Index Only Scan using {INDEX}") == scans, plan
    assert plan.count(f"Index Only Scan using {ROLLUP_INDEX}") == rollup, plan
    assert "Seq Scan" not in plan and "Bitmap Heap Scan" not in plan, plan
    fetches = re.findall(r"Heap Fetches: (\d+)", plan)
    assert fetches == ["0"] * (scans + rollup), plan


# Whole local days (the rollup alone), one with partial edge days (rollup and two edge
# scans) and one short range (the activities alone).
RANGES = [
    Q1,
    parse_range("2026-01-01", "2026-01-31"),
    parse_range("2026-03-01", "2026-06-30"),
    parse_range("2026-02-01T12:00:00Z", "2026-03-31T12:00:00Z"),
    parse_range("2026-02-10", "2026-02-10"),
]


@postgres_only
def test_grouped_tally_of_whole_days_is_an_index_only_scan_of_the_rollup(vacuumed_org):
    plan = plan_of(lambda: tally(org=vacuumed_org, ranges=[Q1], group_by=BREAKDOWN))
    assert_index_only(plan, scans=0, rollup=1)
    expected = Activity.objects.for_org(vacuumed_org).in_range(Q1).count()
    [result] = tally(org=vacuumed_org, ranges=[Q1], group_by=BREAKDOWN)
    assert result.activity_count == expected > 0


@postgres_only
def test_grouped_tally_of_many_ranges_is_index_only_scans_of_both(vacuumed_org):
    plan = plan_of(lambda: tally(org=vacuumed_org, ranges=RANGES, group_by=BREAKDOWN))
    assert_index_only(plan, scans=3, rollup=4)
    expected = [Activity.objects.for_org(vacuumed_org).in_range(r).count() for r in RANGES]
    assert [t.activity_count for t in tally(org=vacuumed_org, ranges=RANGES, group_by=BREAKDOWN)] == expected


@postgres_only
def test_count_ranges_is_index_only_scans_of_both(vacuumed_org):
    plan = plan_of(lambda: count_ranges(org=vacuumed_org, ranges=RANGES))
    assert_index_only(plan, scans=3, rollup=4)
    expected = [Activity.objects.for_org(vacuumed_org).in_range(r).count() for r in RANGES]
    assert count_ranges(org=vacuumed_org, ranges=RANGES) == expected
    assert all(n > 0 for n in expected)


# A list page: ranges from a second apart on 1 February to the end of June. They share
# one scan of the rollup and one of their edges' day (activities.branches).
PAGE = [parse_range(f"2026-02-01T13:00:{s:02d}Z", "2026-06-30") for s in range(20)]


@postgres_only
@pytest.mark.parametrize("group_by", [(), BREAKDOWN])
def test_a_list_pages_ranges_share_index_only_scans(vacuumed_org, group_by):
    plan = plan_of(lambda: tally(org=vacuumed_org, ranges=PAGE, group_by=group_by))
    assert_index_only(plan, scans=1, rollup=1)
    expected = [Activity.objects.for_org(vacuumed_org).in_range(r).count() for r in PAGE]
    assert [t.activity_count for t in tally(org=vacuumed_org, ranges=PAGE, group_by=group_by)] == expected
    assert len(set(expected)) > 1  # the seconds matter: an activity every hour, on the hour
