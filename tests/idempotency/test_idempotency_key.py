"""Idempotency-Key on the create endpoints: a retried POST replays the first response."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command

from activities.models import Activity
from aggregations.models import AggregationSnapshot
from idempotency.models import IdempotencyKey
from record_counts.models import CountSnapshot
from tests.conftest import live_count

AGG = "/api/v1/bufdir-aggregations"
COUNTS = "/api/v1/period-record-counts"
ACTIVITIES = "/api/v1/activities"
RANGE = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}


@pytest.fixture
def body(org):
    return {"org_id": org.org_id, "range": RANGE}


def post(api, url, data, key=None, **headers):
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return api.post(url, data, format="json", **headers)


def test_same_key_and_body_replays_the_first_response_without_a_second_write(api, body, make_activity, org):
    make_activity(org, "2026-02-01T10:00:00Z")
    first = post(api, AGG, body, key="k-1")
    make_activity(org, "2026-02-02T10:00:00Z")  # a real second POST would count 2
    again = post(api, AGG, body, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.json()["activity_count"] == 1
    assert again["Location"] == first["Location"] == f"{AGG}/{first.json()['id']}"
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert AggregationSnapshot.objects.count() == 1


def test_body_is_compared_as_json_not_as_bytes(api, body):
    first = post(api, AGG, body, key="k-1")
    reordered_range = {"end": RANGE["end"], "start": RANGE["start"]}
    reordered = json.dumps({"range": reordered_range, "org_id": body["org_id"]}, indent=2)
    again = api.post(AGG, reordered, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert AggregationSnapshot.objects.count() == 1


def test_same_key_with_another_body_is_a_422_problem(api, body):
    post(api, AGG, body, key="k-1")
    other = post(api, AGG, {**body, "range": {**RANGE, "end": "2026-06-30T23:59:59Z"}}, key="k-1")
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert "Idempotency-Key" in other.json()["detail"]
    assert AggregationSnapshot.objects.count() == 1


def test_without_a_key_every_post_writes(api, body):
    post(api, AGG, body)
    post(api, AGG, body)
    assert AggregationSnapshot.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_different_keys_write_twice(api, body):
    assert post(api, AGG, body, key="k-1").json()["id"] != post(api, AGG, body, key="k-2").json()["id"]


def test_keys_are_scoped_per_endpoint(api, body):
    assert post(api, AGG, body, key="shared").status_code == 201
    counted = post(api, COUNTS, body, key="shared")
    assert counted.status_code == 200 and "Idempotent-Replayed" not in counted
    assert CountSnapshot.objects.count() == 1


def test_the_contracts_doubled_path_shares_the_canonical_paths_keys(api, body):
    first = post(api, AGG, body, key="k-1")
    again = post(api, AGG + AGG, body, key="k-1")
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert AggregationSnapshot.objects.count() == 1


def test_a_failed_request_stores_nothing_so_its_key_can_be_retried(api, body):
    failed = post(api, AGG, {**body, "org_id": "org-unknown"}, key="k-1")
    assert failed.status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert post(api, AGG, body, key="k-1").status_code == 201  # the corrected body, same key


def test_count_post_replays_its_200(api, body, make_activity, org):
    first = post(api, COUNTS, body, key="k-1")
    make_activity(org, "2026-02-01T10:00:00Z")
    again = post(api, COUNTS, body, key="k-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.json()["record_count"] == 0  # the first response, not a recount
    assert live_count(CountSnapshot.objects.get()) == 1  # still live


def test_activities_post_replays_without_creating_twice(api, org, body):
    post(api, COUNTS, body)  # a live count
    items = [
        {"org_id": org.org_id, "activity_type": "peer_support", "recorded_at": "2026-02-01T10:00:00Z"},
        {"org_id": org.org_id, "activity_type": "peer_support", "recorded_at": "2026-02-02T10:00:00Z"},
    ]
    first = post(api, ACTIVITIES, items, key="import-2026-02")
    again = post(api, ACTIVITIES, items, key="import-2026-02")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the same generated activity_ids
    assert Activity.objects.count() == 2
    assert live_count(CountSnapshot.objects.get()) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "n\u00e6r", "tab\there"])
def test_a_malformed_key_is_a_400(api, body, key):
    response = post(api, AGG, body, key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not AggregationSnapshot.objects.exists()


def test_a_key_expires_after_24_hours(api, body):
    with time_machine.travel("2026-03-01T10:00:00Z", tick=False):
        first = post(api, AGG, body, key="k-1").json()
    with time_machine.travel("2026-03-02T09:59:00Z", tick=False):
        assert post(api, AGG, body, key="k-1").json() == first
    with time_machine.travel("2026-03-02T10:00:01Z", tick=False):
        later = post(api, AGG, {**body, "range": {**RANGE, "end": "2026-06-30T23:59:59Z"}}, key="k-1")
    assert later.status_code == 201 and later.json()["id"] != first["id"]
    assert IdempotencyKey.objects.count() == 1


def test_purge_command_deletes_only_expired_keys(api, body):
    with time_machine.travel("2026-03-01T10:00:00Z", tick=False):
        post(api, AGG, body, key="old")
    with time_machine.travel("2026-03-02T09:00:00Z", tick=False):
        post(api, AGG, body, key="young")
    with time_machine.travel("2026-03-02T10:00:01Z", tick=False):
        out = StringIO()
        call_command("purge_idempotency_keys", stdout=out)
    assert "Deleted 1 expired" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]


def test_authenticated_owners_never_share_keys(api, body):
    # The token-mode hook: once writes carry a user, each owner's keys are their own.
    users = [get_user_model().objects.create_user(name) for name in ("a", "b")]
    ids = []
    for user in users:
        api.force_authenticate(user)
        ids.append(post(api, AGG, body, key="same").json()["id"])
    assert ids[0] != ids[1]
    assert IdempotencyKey.objects.filter(key="same").count() == 2


def test_schema_documents_the_header_on_each_create(api, db):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in (AGG, COUNTS, ACTIVITIES):
        post_op = schema["paths"][path + "/"]["post"]
        header = [p for p in post_op["parameters"] if p["name"] == "Idempotency-Key"]
        assert header and header[0]["in"] == "header" and not header[0].get("required"), path
        assert "422" in post_op["responses"]


def test_stored_response_is_what_was_sent(api, body):
    response = post(api, AGG, body, key="k-1")
    stored = IdempotencyKey.objects.get()
    assert (stored.endpoint, stored.owner, stored.status_code) == ("bufdir-aggregations.create", "", 201)
    assert json.loads(stored.response_body) == response.json() and stored.location == response["Location"]
    assert dt.timedelta(0) <= dt.datetime.now(dt.UTC) - stored.created_at < dt.timedelta(minutes=1)
