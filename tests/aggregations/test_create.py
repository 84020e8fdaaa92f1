from __future__ import annotations

import re

import time_machine

from aggregations.models import AggregationSnapshot
from tests.aggregations.conftest import Q1, URL


@time_machine.travel("2026-03-26T11:10:00.750Z", tick=False)
def test_create_counts_now_and_persists(api, org, q1_activities):
    response = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["activity_count"] == 3
    assert body["participant_total"] == 7
    assert body["by_activity_type"] == {"family_guidance": 1, "peer_support": 2}
    assert body["by_status"] == {"cancelled": 1, "completed": 1, "planned": 1}
    assert body["snapshot_at"] == "2026-03-26T11:10:00Z"  # whole seconds
    assert (body["range_start"], body["range_end"]) == (Q1["start"], Q1["end"])
    assert re.fullmatch(r"agg-snap-\d{3,}", body["id"])
    assert response["Location"] == f"{URL}/{body['id']}"
    stored = AggregationSnapshot.objects.get()
    assert stored.public_id == body["id"] and stored.activity_count == 3


def test_end_with_a_fraction_is_stored_at_its_second(api, org, q1_activities):
    body = api.post(
        URL, {"org_id": org.org_id, "range": {"start": Q1["start"], "end": "2026-03-31T23:59:59.900Z"}}, format="json"
    ).json()
    assert body["range_end"] == "2026-03-31T23:59:59Z"
    assert body["activity_count"] == 3


def test_each_post_makes_a_new_snapshot(api, org, q1_activities):
    first = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json").json()
    second = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json").json()
    assert first["id"] != second["id"]
    assert AggregationSnapshot.objects.count() == 2


def test_trailing_slash_is_optional(api, org):
    assert api.post(URL + "/", {"org_id": org.org_id, "range": Q1}, format="json").status_code == 201
