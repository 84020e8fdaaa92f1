"""The Period Record Count Service's REST endpoints."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from record_counts.models import CountSnapshot

URL = "/api/v1/period-record-counts"
Q1 = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}


@pytest.fixture
def q1_activities(org, other_org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z")
    make_activity(org, "2026-03-31T23:59:59.5Z", status="cancelled")
    make_activity(org, "2026-04-01T00:00:00Z")
    make_activity(other_org, "2026-02-01T00:00:00Z")


@time_machine.travel("2026-03-26T10:45:00.6Z", tick=False)
def test_post_counts_exactly_now_in_the_contract_shape(api, org, q1_activities):
    response = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": body["id"],
        "org_id": "org-bufdir-42",
        "range": Q1,
        "record_count": 2,
        "is_complete": False,
        "computed_at": "2026-03-26T10:45:00Z",
    }
    assert re.fullmatch(r"count-snapshot-\d{3,}", body["id"])


def test_post_twice_updates_the_same_snapshot(api, org, q1_activities, make_activity):
    first = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json").json()
    make_activity(org, "2026-02-02T00:00:00Z")
    second = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json").json()
    assert second["id"] == first["id"]
    assert second["record_count"] == 3
    assert CountSnapshot.objects.count() == 1


def test_completeness_flips_after_the_last_second(api, org, q1_activities):
    with time_machine.travel("2026-03-31T23:59:59.9Z", tick=False):
        assert api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json").json()["is_complete"] is False
    with time_machine.travel("2026-04-01T00:00:00Z", tick=False):
        assert api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json").json()["is_complete"] is True


def test_list_filters_and_query_count(api, org, other_org, q1_activities, django_assert_num_queries):
    with time_machine.travel("2026-05-01T00:00:00Z", tick=False):
        api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json")
        api.post(URL, {"org_id": org.org_id, "range": {"start": "2026-01-01", "end": "2026-12-31"}}, format="json")
        api.post(URL, {"org_id": other_org.org_id, "range": Q1}, format="json")
        assert api.get(URL).json()["pagination"]["total"] == 3
        assert len(api.get(URL, {"org_id": org.org_id}).json()["data"]) == 2
        complete = api.get(URL, {"is_complete": "true"}).json()["data"]
        assert {s["range_end"] for s in complete} == {Q1["end"]}
        assert all(s["is_complete"] for s in complete)
        assert len(api.get(URL, {"is_complete": "false"}).json()["data"]) == 1
        # The total, the page, and one live count per organisation on the page.
        with django_assert_num_queries(3):
            api.get(URL, {"limit": 1})
        with django_assert_num_queries(4):
            api.get(URL, {"limit": 100})


def test_get_put_delete(api, org, q1_activities, make_activity):
    created = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json").json()
    sid = created["id"]
    body = api.get(f"{URL}/{sid}").json()
    assert set(body) == {"id", "org_id", "range_start", "range_end", "record_count", "is_complete", "snapshot_at"}
    # Drift (e.g. a raw SQL change) is repaired by PUT's recount from scratch.
    CountSnapshot.objects.filter(pk=CountSnapshot.objects.get().pk).update(record_count=99)
    assert api.put(f"{URL}/{sid}").json()["record_count"] == 2
    moved = api.put(f"{URL}/{sid}", {"range": {"start": "2026-04-01", "end": "2026-04-30"}}, format="json").json()
    # April in Oslo holds 2026-03-31T23:59:59.5Z (01:59 local) and 2026-04-01T00:00:00Z.
    assert (moved["range_start"], moved["record_count"]) == ("2026-03-31T22:00:00Z", 2)
    assert api.delete(f"{URL}/{sid}").json() == {"deleted": True, "id": sid}
    assert api.get(f"{URL}/{sid}").status_code == 404


def test_put_to_a_range_another_snapshot_holds_is_a_409(api, org, q1_activities):
    a = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json").json()
    b = api.post(
        URL, {"org_id": org.org_id, "range": {"start": "2026-01-01", "end": "2026-01-31"}}, format="json"
    ).json()
    response = api.put(f"{URL}/{b['id']}", {"range": Q1}, format="json")
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert a["id"] in response.json()["detail"]
    assert api.get(f"{URL}/{b['id']}").json()["range_end"] == "2026-01-31T22:59:59Z"


@time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False)  # snapshot_at is the read instant
def test_aliases_answer_like_canonical_paths_and_stay_out_of_the_schema(api, org, q1_activities):
    alias = URL + URL
    created = api.post(alias, {"org_id": org.org_id, "range": Q1}, format="json").json()
    assert api.get(f"{alias}/{created['id']}").json() == api.get(f"{URL}/{created['id']}").json()
    assert api.get(alias).json() == api.get(URL).json()
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert any(p.startswith(URL) for p in paths)
    assert not any("period-record-counts/api/v1" in p for p in paths)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"range": Q1}, "org_id"),
        ({"org_id": "org-nope", "range": Q1}, "org_id"),
        ({"org_id": "org-bufdir-42", "range": {"start": "2026-01-01T00:00:00", "end": Q1["end"]}}, "range"),
        ({"org_id": "org-bufdir-42", "range": {"start": Q1["end"], "end": Q1["start"]}}, "range"),
        ({"org_id": "org-bufdir-42", "range": Q1, "extra": 1}, "extra"),
    ],
)
def test_bad_bodies_are_400s_and_write_nothing(api, org, body, field):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not CountSnapshot.objects.exists()


@pytest.mark.parametrize("bad_id", ["count-snapshot-xyz", "count-snapshot-" + "9" * 40, "agg-snap-001", "stream2"])
def test_ids_that_are_not_ours_are_404(api, db, bad_id):
    for method in ("get", "put", "delete"):
        assert getattr(api, method)(f"{URL}/{bad_id}").status_code == 404
