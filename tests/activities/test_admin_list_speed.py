"""Admin lists over big tables: no count(*) of the whole table, fixed query counts.

The figures with 1,000,000 rows come from bench/admin_list.py; these tests pin the
behaviour that makes them: the planner's estimate instead of an unfiltered count(*),
cached filter choices, and a date hierarchy without a DISTINCT over every row.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activities.models import Activity
from aggregations.models import AggregationSnapshot
from lib.admin_lists import EstimatedCountPaginator
from record_counts.models import CountSnapshot
from tests.conftest import postgres_only

UTC = dt.UTC
LIST = reverse("admin:activities_activity_changelist")


def unfiltered_count(table: str) -> re.Pattern[str]:
    return re.compile(rf'^SELECT COUNT\(\*\) AS "__count" FROM "{table}"$')  # noqa: S608 (a regex, not SQL)


@pytest.fixture
def many(org, other_org):
    start = dt.datetime(2024, 3, 1, tzinfo=UTC)
    Activity.objects.bulk_create(
        Activity(
            activity_id=f"act-{n:04d}",
            org=org if n % 3 else other_org,
            activity_type=("peer_support", "family_guidance")[n % 2],
            recorded_at=start + dt.timedelta(days=n * 3),  # 2024-03 to 2026-09
            location=("Oslo", "Bergen")[n % 2],
        )
        for n in range(300)
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE activities_activity")


@pytest.fixture
def small_threshold(monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 100)


@postgres_only
def test_activity_list_reads_the_estimate_not_a_full_count(admin_user, client_for, many, small_threshold):
    client = client_for(admin_user)
    client.get(LIST)  # fills the filter-choice cache, as any earlier page view would
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST)
    assert response.status_code == 200
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert not [s for s in sqls if unfiltered_count("activities_activity").match(s)], sqls
    assert any("reltuples" in s for s in sqls)
    # session, user, organisation filter, estimate, the page's rows, first/last date
    assert len(sqls) == 6, "\n".join(sqls)
    assert "300 aktiviteter" in response.content.decode()  # "300 activities"  # ANALYZE counted 300 rows exactly
    assert not [s for s in sqls if "DISTINCT" in s]  # filters cached; years from first/last
    page = next(s for s in sqls if s.startswith('SELECT "activities_activity"."id"'))
    assert page.endswith('ORDER BY "activities_activity"."id" DESC LIMIT 100')  # the pk index, no sort


@postgres_only
def test_a_filtered_activity_list_is_counted_exactly(admin_user, client_for, org, many, small_threshold):
    with CaptureQueriesContext(connection) as ctx:
        response = client_for(admin_user).get(LIST, {"org__id__exact": org.pk})
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert [s for s in sqls if s.startswith('SELECT COUNT(*) AS "__count" FROM "activities_activity" WHERE')]
    assert not any("reltuples" in s for s in sqls)
    assert "200 aktiviteter" in response.content.decode()  # "200 activities"
    page = next(s for s in sqls if s.startswith('SELECT "activities_activity"."id"'))
    assert 'ORDER BY "activities_activity"."recorded_at" DESC' in page  # the covering index's order


@postgres_only
def test_snapshot_lists_read_the_estimate(admin_user, client_for, org, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "estimate_above", 0)
    at = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(3):
        end = at + dt.timedelta(days=n)
        CountSnapshot.objects.create(org=org, range_start=at, range_end=end, snapshot_at=at)
        AggregationSnapshot.objects.create(org=org, range_start=at, range_end=end, snapshot_at=at)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE record_counts_countsnapshot")
        cursor.execute("ANALYZE aggregations_aggregationsnapshot")
    client = client_for(admin_user)
    for name, table in [
        ("admin:record_counts_countsnapshot_changelist", "record_counts_countsnapshot"),
        ("admin:aggregations_aggregationsnapshot_changelist", "aggregations_aggregationsnapshot"),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name)).status_code == 200
        sqls = [q["sql"] for q in ctx.captured_queries]
        assert not [s for s in sqls if unfiltered_count(table).match(s)], sqls
        assert any("reltuples" in s for s in sqls)


def test_off_postgres_or_small_tables_are_counted_exactly(admin_user, client_for, many):
    with CaptureQueriesContext(connection) as ctx:
        response = client_for(admin_user).get(LIST)
    sqls = [q["sql"] for q in ctx.captured_queries]
    assert [s for s in sqls if unfiltered_count("activities_activity").match(s)]  # 300 < 100,000
    assert "300 aktiviteter" in response.content.decode()  # "300 activities"


def test_date_hierarchy_lists_every_year_from_first_to_last_without_distinct(admin_user, client_for, org, many):
    Activity.objects.create(
        activity_id="act-late", org=org, activity_type="peer_support", recorded_at=dt.datetime(2028, 5, 1, tzinfo=UTC)
    )
    with CaptureQueriesContext(connection) as ctx:
        html = client_for(admin_user).get(LIST).content.decode()
    for year in (2024, 2025, 2026, 2027, 2028):  # 2027 has no activities: listed all the same
        assert f"?recorded_at__year={year}" in html
    assert "?recorded_at__year=2023" not in html
    assert not [q["sql"] for q in ctx.captured_queries if "DATE_TRUNC" in q["sql"].upper()]


def test_date_hierarchy_drills_down_as_django_does(admin_user, client_for, many):
    html = client_for(admin_user).get(LIST, {"recorded_at__year": "2025"}).content.decode()
    assert "recorded_at__month=1&amp;recorded_at__year=2025" in html
    assert "?recorded_at__year=2024" not in html


def test_type_and_location_filters_list_their_values(admin_user, client_for, many):
    html = client_for(admin_user).get(LIST).content.decode()
    assert "?activity_type=peer_support" in html
    assert "?location=Bergen" in html


def test_coordinator_filter_choices_are_their_own(client_for, coordinator_client, other_org, many, make_activity):
    make_activity(other_org, "2026-01-01T00:00:00Z", activity_type="only_theirs", location="Tromsø")
    html = coordinator_client.get(LIST).content.decode()
    assert "only_theirs" not in html
    assert "Tromsø" not in html
