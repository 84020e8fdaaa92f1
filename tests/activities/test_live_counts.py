"""Every change through the activities API keeps count snapshots exact, without a recount."""

from __future__ import annotations

import datetime as dt

import pytest

from activities.models import Activity
from record_counts.models import CountSnapshot

URL = "/api/v1/activities"
Q1 = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.UTC))


@pytest.fixture
def q1(org):
    return CountSnapshot.objects.create(org=org, range_start=Q1[0], range_end=Q1[1], snapshot_at=Q1[0])


def fresh_count(snapshot):
    return Activity.objects.for_org(snapshot.org_id).in_range(snapshot.time_range).count()


def new(org, at, activity_id):
    return {"org_id": org.org_id, "activity_type": "peer_support", "recorded_at": at, "activity_id": activity_id}


def test_create_update_move_and_delete_keep_the_count_exact(api, org, other_org, q1):
    api.post(URL, [new(org, "2026-01-01T00:00:00Z", "a"), new(org, "2026-03-31T23:59:59.9Z", "b")], format="json")
    api.post(URL, new(org, "2026-04-01T00:00:00Z", "outside"), format="json")
    q1.refresh_from_db()
    assert q1.record_count == 2 == fresh_count(q1)

    api.patch(f"{URL}/outside", {"recorded_at": "2026-02-01T00:00:00+01:00"}, format="json")  # moved in
    q1.refresh_from_db()
    assert q1.record_count == 3 == fresh_count(q1)

    api.patch(f"{URL}/a", {"org_id": other_org.org_id}, format="json")  # moved to another organisation
    q1.refresh_from_db()
    assert q1.record_count == 2 == fresh_count(q1)

    api.patch(f"{URL}/b", {"status": "cancelled"}, format="json")  # still counted: any status
    api.delete(f"{URL}/outside")
    q1.refresh_from_db()
    assert q1.record_count == 1 == fresh_count(q1)


def test_other_organisations_snapshots_are_untouched(api, org, other_org, q1):
    theirs = CountSnapshot.objects.create(org=other_org, range_start=Q1[0], range_end=Q1[1], snapshot_at=Q1[0])
    api.post(URL, new(org, "2026-02-01T00:00:00Z", "a"), format="json")
    theirs.refresh_from_db()
    assert theirs.record_count == 0


def test_a_failed_request_changes_no_count(api, org, q1):
    api.post(URL, [new(org, "2026-02-01T00:00:00Z", "a"), new(org, "bad", "b")], format="json")
    q1.refresh_from_db()
    assert q1.record_count == 0
