from __future__ import annotations

import time_machine

from activities import services
from activities.models import Activity
from aggregations.models import AggregationSnapshot
from tests.aggregations.conftest import URL, at


def test_retrieve(api, snapshot):
    body = api.get(f"{URL}/{snapshot.public_id}").json()
    assert body["id"] == snapshot.public_id and body["activity_count"] == 3


def test_list_newest_first_and_filtered(api, org, other_org, snapshot):
    with time_machine.travel("2030-01-01T00:00:00Z", tick=False):
        newer = api.post(
            URL, {"org_id": other_org.org_id, "range": {"start": "2026-01-01", "end": "2026-01-31"}}, format="json"
        ).json()
    ids = [s["id"] for s in api.get(URL).json()["data"]]
    assert ids == [newer["id"], snapshot.public_id]
    assert [s["id"] for s in api.get(URL, {"org_id": org.org_id}).json()["data"]] == [snapshot.public_id]
    by_range = api.get(URL, {"range_start": "2026-01-01", "range_end": "2026-01-31"}).json()["data"]
    assert [s["id"] for s in by_range] == [newer["id"]]
    exact = api.get(URL, {"range_start": "2026-01-01T00:00:00Z", "range_end": "2026-03-31T23:59:59.4Z"}).json()
    assert [s["id"] for s in exact["data"]] == [snapshot.public_id]


def test_list_queries_do_not_grow_with_the_page(api, org, snapshot, django_assert_num_queries):
    for _ in range(30):
        api.post(URL, {"org_id": org.org_id, "range": {"start": "2026-01-01", "end": "2026-01-02"}}, format="json")
    with django_assert_num_queries(2):
        assert len(api.get(URL, {"limit": 1}).json()["data"]) == 1
    with django_assert_num_queries(2):
        assert len(api.get(URL, {"limit": 100}).json()["data"]) == 31


def test_put_without_body_recounts_the_stored_range(api, org, snapshot, make_activity):
    make_activity(org, "2026-02-15T00:00:00Z")
    with time_machine.travel("2026-05-01T08:00:00.3Z", tick=False):
        response = api.put(f"{URL}/{snapshot.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["activity_count"] == 4
    assert body["snapshot_at"] == "2026-05-01T08:00:00Z"
    assert body["range_end"] == "2026-03-31T23:59:59Z"


def test_put_with_a_range_moves_the_snapshot(api, snapshot):
    body = api.put(
        f"{URL}/{snapshot.public_id}", {"range": {"start": "2026-02-01", "end": "2026-02-28"}}, format="json"
    ).json()
    assert body["range_start"] == "2026-01-31T23:00:00Z"
    assert body["range_end"] == "2026-02-28T22:59:59Z"
    assert body["activity_count"] == 1


def test_reaggregate_service_reports_whether_anything_changed(org, snapshot):
    from aggregations.services import snapshot_reaggregate, snapshots_reaggregate

    assert snapshot_reaggregate(snapshot=snapshot)[1] is False
    services.activity_delete(activity=Activity.objects.get(recorded_at=at("2026-02-10T12:00:00Z")))
    result = snapshots_reaggregate(snapshots=[snapshot])
    assert (result.checked, result.changed, result.failed) == (1, 1, 0)
    snapshot.refresh_from_db()
    assert snapshot.activity_count == 2


def test_delete_answers_with_the_id_then_404(api, snapshot):
    response = api.delete(f"{URL}/{snapshot.public_id}")
    assert response.json() == {"deleted": True, "id": snapshot.public_id}
    assert not AggregationSnapshot.objects.exists()
    assert api.delete(f"{URL}/{snapshot.public_id}").status_code == 404
    assert api.get(f"{URL}/{snapshot.public_id}").status_code == 404
