"""Redis going away, through a proxy the test controls (see proxy.py).

REST writes keep working (publishing is bounded and never fails a request), /healthz
says "degraded", streams get their own process's events meanwhile, and once Redis is
back the relay reconnects by itself: streams re-read their counts (so a change made in
another process during the outage shows) and events from other processes arrive again.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import httpx
import pytest

from activities import services
from activities.models import Organization
from tests.faults.conftest import redis_url_via
from tests.faults.proxy import TcpProxy
from tests.record_counts.server import DaphneServer, SSEReader

pytestmark = [
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL"),
    pytest.mark.django_db(transaction=True),
]

RANGE = {"start": "2026-01-01", "end": "2026-12-31"}
STREAM = {"org_id": "org-redis", **RANGE}


@pytest.fixture
def server(redis_proxy: TcpProxy) -> Iterator[DaphneServer]:
    Organization.objects.create(org_id="org-redis", name="Redis")
    server = DaphneServer(env={"REDIS_URL": redis_url_via(redis_proxy)})
    yield server
    server.stop()


def post_activity(url: str, minute: int) -> tuple[httpx.Response, float]:
    body = {
        "org_id": "org-redis",
        "activity_type": "peer_support",
        "recorded_at": f"2026-03-01T10:{minute:02d}:00Z",
    }
    started = time.monotonic()
    response = httpx.post(url + "/api/v1/activities", json=body, timeout=30)
    return response, time.monotonic() - started


def create_here(minute: int) -> None:
    """A write in this (test) process: its event reaches daphne only through Redis."""
    org = Organization.objects.get(org_id="org-redis")
    services.activity_create(
        data=services.ActivityData(
            org=org, activity_type="peer_support", recorded_at=dt.datetime(2026, 3, 2, 10, minute, tzinfo=dt.UTC)
        )
    )


@pytest.mark.parametrize("outage", ["down", "blackhole"])
def test_redis_outage_degrades_to_local_events_and_recovers(server: DaphneServer, redis_proxy: TcpProxy, outage):
    stream = SSEReader(server.url + "/api/v1/period-record-counts/stream", STREAM)
    try:
        assert stream.next(5)["record_count"] == 0
        create_here(0)
        stream.wait_for(1)  # through Redis, from another process

        getattr(redis_proxy, outage)()  # down: refused; blackhole: accepted, never answered
        response, elapsed = post_activity(server.url, 1)
        assert response.status_code == 201
        assert elapsed < 3, f"a write waited {elapsed:.1f} s for Redis"
        stream.wait_for(2)  # delivered in-process while Redis is away
        response, quick = post_activity(server.url, 2)  # right after a failure Redis is not retried
        assert response.status_code == 201 and quick < 1.5
        stream.wait_for(3)
        health = httpx.get(server.url + "/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["checks"] == {"database": "ok", "redis": "unavailable"}
        create_here(1)  # another process's change that the daphne process cannot hear now

        redis_proxy.up()
        back = time.monotonic()
        stream.wait_for(4, timeout=12)  # the relay is back: the stream re-read its count
        recovered = time.monotonic() - back
        create_here(2)
        stream.wait_for(5)  # and events from other processes flow again
        assert httpx.get(server.url + "/healthz", timeout=10).json()["status"] == "ok"
        print(f"{outage}: first write in the outage {elapsed:.2f} s, next {quick:.2f} s; relay back {recovered:.2f} s")
    finally:
        stream.close()


def test_a_silent_partition_is_noticed_by_the_heartbeat(redis_proxy: TcpProxy):
    """Redis stops answering but no connection closes: the subscriber's ping goes
    unanswered, it reconnects, and the stream catches up with what it missed."""
    Organization.objects.create(org_id="org-redis", name="Redis")
    server = DaphneServer(env={"REDIS_URL": redis_url_via(redis_proxy), "EVENTS_REDIS_HEARTBEAT": "1"})
    stream = SSEReader(server.url + "/api/v1/period-record-counts/stream", STREAM)
    try:
        assert stream.next(5)["record_count"] == 0
        create_here(0)
        stream.wait_for(1)
        redis_proxy.freeze()
        create_here(1)  # published to Redis; the relay to daphne loses it
        time.sleep(5)  # heartbeat 1 s + pong timeout 3 s: the subscriber gives the link up
        redis_proxy.up()
        stream.wait_for(2, timeout=10)  # reconnected, re-read: the missed change shows
        create_here(2)
        stream.wait_for(3)
    finally:
        stream.close()
        server.stop()


def test_a_process_started_while_redis_was_down_catches_up_when_it_returns(redis_proxy: TcpProxy):
    Organization.objects.create(org_id="org-redis", name="Redis")
    redis_proxy.down()
    server = DaphneServer(env={"REDIS_URL": redis_url_via(redis_proxy)})  # /healthz is 200 "degraded"
    stream = SSEReader(server.url + "/api/v1/period-record-counts/stream", STREAM)
    try:
        assert stream.next(5)["record_count"] == 0
        create_here(0)  # through Redis, which daphne cannot reach yet
        response, _ = post_activity(server.url, 1)  # in daphne: delivered in-process
        assert response.status_code == 201
        stream.wait_for(2)  # the in-process event carries the count, the missed change included
        create_here(2)
        redis_proxy.up()
        stream.wait_for(3, timeout=10)  # subscribed at last: the stream re-read its count
    finally:
        stream.close()
        server.stop()
