"""Every change through the activities API shows in count snapshots' live counts, and a
write touches no snapshot row (no write amplification)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity
from record_counts.models import CountSnapshot
from tests.conftest import live_count

URL = "/api/v1/activities"
Q1 = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.UTC))


@pytest.fixture
def q1(org):
    return CountSnapshot.objects.create(org=org, range_start=Q1[0], range_end=Q1[1], snapshot_at=Q1[0])


def fresh_count(snapshot):
    return Activity.objects.for_org(snapshot.org_id).in_range(snapshot.time_range).count()


def new(org, at, activity_id):
    return {"org_id": org.org_id, "activity_type": "peer_support", "recorded_at": at, "activity_id": activity_id}


def api_count(api, snapshot) -> int:
    response = api.get(f"/api/v1/period-record-counts/{snapshot.public_id}")
    assert response.status_code == 200
    return response.json()["record_count"]


def test_create_update_move_and_delete_show_in_the_live_count(api, org, other_org, q1):
    api.post(URL, [new(org, "2026-01-01T00:00:00Z", "a"), new(org, "2026-03-31T23:59:59.9Z", "b")], format="json")
    api.post(URL, new(org, "2026-04-01T00:00:00Z", "outside"), format="json")
    assert api_count(api, q1) == 2 == fresh_count(q1)

    api.patch(f"{URL}/outside", {"recorded_at": "2026-02-01T00:00:00+01:00"}, format="json")  # moved in
    assert api_count(api, q1) == 3 == fresh_count(q1)

    api.patch(f"{URL}/a", {"org_id": other_org.org_id}, format="json")  # moved to another organisation
    assert api_count(api, q1) == 2 == fresh_count(q1)

    api.patch(f"{URL}/b", {"status": "cancelled"}, format="json")  # still counted: any status
    api.delete(f"{URL}/outside")
    assert api_count(api, q1) == 1 == fresh_count(q1)


def test_other_organisations_snapshots_are_untouched(api, org, other_org, q1):
    theirs = CountSnapshot.objects.create(org=other_org, range_start=Q1[0], range_end=Q1[1], snapshot_at=Q1[0])
    api.post(URL, new(org, "2026-02-01T00:00:00Z", "a"), format="json")
    assert live_count(theirs) == 0
    assert live_count(q1) == 1


def test_a_failed_request_changes_no_count(api, org, q1):
    api.post(URL, [new(org, "2026-02-01T00:00:00Z", "a"), new(org, "bad", "b")], format="json")
    assert live_count(q1) == 0


def test_a_write_never_reads_or_writes_snapshot_rows(api, org, q1):
    for i in range(50):  # many remembered ranges of the organisation
        CountSnapshot.objects.create(
            org=org, range_start=Q1[0] + dt.timedelta(microseconds=i + 1), range_end=Q1[1], snapshot_at=Q1[0]
        )
    with CaptureQueriesContext(connection) as queries:
        assert api.post(URL, new(org, "2026-02-01T00:00:00Z", "a"), format="json").status_code == 201
        assert api.patch(f"{URL}/a", {"recorded_at": "2026-02-02T00:00:00Z"}, format="json").status_code == 200
        assert api.delete(f"{URL}/a").status_code == 200
    touched = [q["sql"] for q in queries.captured_queries if CountSnapshot._meta.db_table in q["sql"]]
    assert touched == []
    assert set(CountSnapshot.objects.values_list("record_count", flat=True)) == {0}  # stored figures untouched


def test_a_list_page_counts_live_with_one_query_per_organisation_then_from_the_cache(
    api, org, other_org, make_activity, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # committed, as a request's writes are
        for i in range(5):
            make_activity(org, dt.datetime(2026, 2, 1, tzinfo=dt.UTC) + dt.timedelta(days=i))
    for i in range(5):
        for owner in (org, other_org):
            CountSnapshot.objects.create(
                org=owner, range_start=Q1[0] + dt.timedelta(days=i), range_end=Q1[1], snapshot_at=Q1[0]
            )
    # The total, the page, and per organisation on it the change marker and one count.
    with django_assert_num_queries(6):
        body = api.get("/api/v1/period-record-counts/?limit=100").json()
    mine = [row["record_count"] for row in body["data"] if row["org_id"] == org.org_id]
    assert sorted(mine) == [5, 5, 5, 5, 5]
    assert {row["record_count"] for row in body["data"] if row["org_id"] == other_org.org_id} == {0}
    # Nothing committed since: the markers only.
    with django_assert_num_queries(4):
        again = api.get("/api/v1/period-record-counts/?limit=100").json()
    assert [(r["id"], r["record_count"]) for r in again["data"]] == [(r["id"], r["record_count"]) for r in body["data"]]
