"""PUT /{id}: re-count (over a new range, if given), update count and snapshot_at."""

from __future__ import annotations

import time_machine

from activities import services
from activities.models import Activity
from aggregations.models import AggregationSnapshot
from aggregations.services import snapshot_reaggregate, snapshots_reaggregate
from tests.aggregations.conftest import Q1, URL, at


def test_put_without_body_recounts_the_stored_range(api, org, snapshot, make_activity):
    make_activity(org, "2026-02-15T00:00:00Z", participant_count=5, status="planned")
    with time_machine.travel("2026-05-01T08:00:00.3Z", tick=False):
        response = api.put(f"{URL}/{snapshot.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["activity_count"], body["participant_total"]) == (4, 12)
    assert body["by_status"] == {"cancelled": 1, "completed": 1, "planned": 2}
    assert body["snapshot_at"] == "2026-05-01T08:00:00Z"  # whole seconds
    assert (body["range_start"], body["range_end"]) == (Q1["start"], Q1["end"])
    snapshot.refresh_from_db()
    assert snapshot.activity_count == 4


def test_put_with_an_empty_object_keeps_the_range_too(api, snapshot):
    body = api.put(f"{URL}/{snapshot.public_id}", {}, format="json").json()
    assert (body["range_start"], body["range_end"], body["activity_count"]) == (Q1["start"], Q1["end"], 3)


def test_put_with_a_range_moves_the_snapshot(api, snapshot):
    body = api.put(
        f"{URL}/{snapshot.public_id}", {"range": {"start": "2026-02-01", "end": "2026-02-28"}}, format="json"
    ).json()
    assert body["range_start"] == "2026-01-31T23:00:00Z"
    assert body["range_end"] == "2026-02-28T22:59:59Z"
    assert body["activity_count"] == 1
    assert body["id"] == snapshot.public_id
    assert AggregationSnapshot.objects.count() == 1


def test_put_keeps_the_snapshots_organisation(api, org, other_org, snapshot, make_activity):
    make_activity(other_org, "2026-02-20T00:00:00Z")
    body = api.put(f"{URL}/{snapshot.public_id}").json()
    assert (body["org_id"], body["activity_count"]) == (org.org_id, 3)


def test_reaggregate_service_reports_whether_anything_changed(org, snapshot):
    assert snapshot_reaggregate(snapshot=snapshot)[1] is False
    services.activity_delete(activity=Activity.objects.get(recorded_at=at("2026-02-10T12:00:00Z")))
    result = snapshots_reaggregate(snapshots=[snapshot])
    assert (result.checked, result.changed, result.failed) == (1, 1, 0)
    snapshot.refresh_from_db()
    assert (snapshot.activity_count, snapshot.by_status) == (2, {"cancelled": 1, "completed": 1})


@time_machine.travel("2026-06-01T12:00:00Z", tick=False)
def test_batched_reaggregate_gives_the_same_figures_as_one_by_one(org, other_org, snapshot, make_activity):
    from aggregations.services import snapshot_create
    from lib.timeranges import parse_range

    make_activity(other_org, "2026-01-05T00:00:00Z", participant_count=9)
    more = [
        snapshot_create(org=org, time_range=parse_range("2026-02-01", "2026-02-28")),
        snapshot_create(org=other_org, time_range=parse_range("2026-01-01", "2026-12-31")),
    ]
    make_activity(org, "2026-02-11T00:00:00Z", activity_type="camp", participant_count=2)
    batched = snapshots_reaggregate(snapshots=[snapshot, *more])
    assert (batched.checked, batched.changed) == (3, 2)
    after_batch = {s.pk: s.__dict__.copy() for s in AggregationSnapshot.objects.all()}
    for s in AggregationSnapshot.objects.all():
        snapshot_reaggregate(snapshot=s)
    for s in AggregationSnapshot.objects.all():
        fields = ("activity_count", "participant_total", "by_activity_type", "by_status", "snapshot_at")
        assert {f: getattr(s, f) for f in fields} == {f: after_batch[s.pk][f] for f in fields}
