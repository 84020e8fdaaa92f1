"""On PostgreSQL the grouped count is an index-only scan on the covering index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from activities.models import Activity, Organization
from activities.selectors import activity_breakdown
from bufdir_project.timeranges import parse_range
from tests.conftest import postgres_only


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_breakdown_is_an_index_only_scan_on_the_covering_index():
    org = Organization.objects.create(org_id="org-plan", name="Plan")
    other = Organization.objects.create(org_id="org-plan-2", name="Plan 2")
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Activity.objects.bulk_create(
        Activity(
            org=org if i % 4 else other,
            activity_type="peer_support",
            recorded_at=start + dt.timedelta(hours=i),
            participant_count=i % 5,
            status="completed",
        )
        for i in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE activities_activity")  # index-only scans need the visibility map
    time_range = parse_range("2026-02-01", "2026-03-31")
    qs = Activity.objects.for_org(org).in_range(time_range).order_by().values_list("activity_type", "status")
    from django.db.models import Count, Sum

    plan = qs.annotate(n=Count("*"), p=Sum("participant_count")).explain(analyze=True)
    assert "Index Only Scan using activity_org_recorded_cover" in plan, plan
    assert "Heap Fetches: 0" in plan, plan
    # And the selector gives the right figures from it.
    expected = Activity.objects.for_org(org).in_range(time_range).count()
    assert activity_breakdown(org=org, time_range=time_range).activity_count == expected > 0
