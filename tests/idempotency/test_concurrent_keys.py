"""Concurrent duplicates of one Idempotency-Key on PostgreSQL: one write, every answer the same."""

from __future__ import annotations

import threading

import httpx
import pytest

from activities.models import Activity, Organization
from aggregations.models import AggregationSnapshot
from idempotency.models import IdempotencyKey
from record_counts.models import CountSnapshot
from tests.conftest import live_count, postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

RANGE = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}


def post_at_once(url: str, bodies: list[object], key: str) -> list[httpx.Response]:
    """POST every body at the same moment, each from its own thread and connection."""
    barrier = threading.Barrier(len(bodies))
    responses: list[httpx.Response | None] = [None] * len(bodies)

    def send(i: int) -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait(10)
            responses[i] = client.post(url, json=bodies[i], headers={"Idempotency-Key": key})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    assert all(r is not None for r in responses)
    return responses  # type: ignore[return-value]


def test_duplicates_sent_at_once_write_one_snapshot_and_all_get_its_response(live_server):
    Organization.objects.create(org_id="org-race", name="Race")
    body = {"org_id": "org-race", "range": RANGE}
    responses = post_at_once(live_server.url + "/api/v1/bufdir-aggregations", [body] * 10, key="retry-storm")
    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.text for r in responses}) == 1
    assert len({r.headers["Location"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
    assert AggregationSnapshot.objects.count() == 1


def test_duplicate_activity_creates_at_once_create_once_and_count_once(live_server):
    org = Organization.objects.create(org_id="org-race", name="Race")
    httpx.post(live_server.url + "/api/v1/period-record-counts", json={"org_id": "org-race", "range": RANGE})
    item = {"org_id": "org-race", "activity_type": "peer_support", "recorded_at": "2026-02-01T10:00:00Z"}
    responses = post_at_once(live_server.url + "/api/v1/activities", [item] * 8, key="one-activity")
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["activity_id"] for r in responses}) == 1
    assert Activity.objects.count() == 1
    assert live_count(CountSnapshot.objects.get(org=org)) == 1


def test_one_key_with_different_bodies_at_once_writes_once_and_the_rest_are_422(live_server):
    Organization.objects.create(org_id="org-race", name="Race")
    bodies: list[object] = [
        {"org_id": "org-race", "range": {**RANGE, "end": f"2026-03-{day:02d}T23:59:59Z"}} for day in range(20, 28)
    ]
    responses = post_at_once(live_server.url + "/api/v1/bufdir-aggregations", bodies, key="clash")
    assert sorted(r.status_code for r in responses) == [201] + [422] * 7
    assert AggregationSnapshot.objects.count() == 1 == IdempotencyKey.objects.count()
