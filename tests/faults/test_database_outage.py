"""PostgreSQL going away under load, through a proxy the test controls (see proxy.py).

During the outage every request fails fast with a 503 problem and Retry-After; when the
database returns the server recovers by itself; a write cut off mid-transaction is
either fully there (with its live count) or absent.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import time
from typing import Any

import httpx
import pytest

from activities.models import Activity, Organization
from aggregations.models import AggregationSnapshot
from lib.timeranges import parse_range
from record_counts.models import CountSnapshot
from tests.conftest import live_count, postgres_only
from tests.faults.proxy import TcpProxy
from tests.record_counts.server import DaphneServer, SSEReader

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

POOL_TIMEOUT = 5  # the default DB_POOL_TIMEOUT: how long a request waits for a connection
RANGE = {"start": "2026-01-01", "end": "2026-12-31"}
_ids = itertools.count()


def create_activity(client: httpx.Client, url: str) -> tuple[str, httpx.Response]:
    activity_id = f"act-fault-{next(_ids)}"
    body = {
        "activity_id": activity_id,
        "org_id": "org-fault",
        "activity_type": "peer_support",
        "recorded_at": "2026-03-01T10:00:00Z",
    }
    return activity_id, client.post(url + "/api/v1/activities", json=body)


def timed(fn: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = fn()
    return response, time.monotonic() - started


def assert_problem_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 503
    assert int(response.headers["retry-after"]) > 0


def assert_counts_exact() -> None:
    org = Organization.objects.get(org_id="org-fault")
    snapshot = CountSnapshot.objects.get(org=org)
    assert live_count(snapshot) == Activity.objects.for_org(org).in_range(parse_range(*RANGE.values())).count()


@pytest.fixture
def live_range(server_via_pg_proxy: DaphneServer) -> DaphneServer:
    Organization.objects.create(org_id="org-fault", name="Faults")
    response = httpx.post(
        server_via_pg_proxy.url + "/api/v1/period-record-counts", json={"org_id": "org-fault", "range": RANGE}
    )
    assert response.status_code == 200  # a live count snapshot the writes below keep up to date
    return server_via_pg_proxy


def test_requests_during_an_outage_fail_fast_with_503_then_recover(live_range: DaphneServer, pg_proxy: TcpProxy):
    url = live_range.url
    stream = SSEReader(url + "/api/v1/period-record-counts/stream", {"org_id": "org-fault", **RANGE})
    assert stream.next(5)["record_count"] == 0  # an open stream holds no connection: it rides the outage out
    pg_proxy.down()
    calls = [
        lambda c: c.get(url + "/api/v1/activities", params={"org_id": "org-fault"}),
        lambda c: create_activity(c, url)[1],
        lambda c: c.post(url + "/api/v1/bufdir-aggregations", json={"org_id": "org-fault", "range": RANGE}),
        lambda c: c.get(url + "/api/v1/period-record-counts"),
    ] * 3
    with httpx.Client(timeout=POOL_TIMEOUT * 3) as client, concurrent.futures.ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda call: timed(lambda: call(client)), calls))
        health, _ = timed(lambda: client.get(url + "/healthz"))
    for response, _ in results:
        assert_problem_503(response)
    slowest = max(elapsed for _, elapsed in results)
    assert slowest < POOL_TIMEOUT + 2, f"requests hung for {slowest:.1f} s during the outage"
    assert health.status_code == 503
    assert health.json()["checks"]["database"] == "unavailable"

    pg_proxy.up()
    back = time.monotonic()
    with httpx.Client(timeout=POOL_TIMEOUT * 3) as client:
        while True:
            _, response = create_activity(client, url)
            if response.status_code == 201:
                break
            assert_problem_503(response)
            assert time.monotonic() - back < 12, "the server did not recover by itself"
            time.sleep(0.2)
        recovered = time.monotonic() - back
        assert client.get(url + "/healthz").status_code == 200
    assert stream.wait_for(1)["record_count"] == 1  # the stream opened before the outage gets the change
    stream.close()
    print(f"slowest 503 during the outage: {slowest:.2f} s; recovered {recovered:.2f} s after the database returned")
    assert Activity.objects.filter(activity_id__startswith="act-fault-").count() == 1  # none of the 503s wrote
    assert_counts_exact()


def test_connections_cut_mid_transaction_leave_no_partial_writes(live_range: DaphneServer, pg_proxy: TcpProxy):
    url = live_range.url
    outcomes: list[tuple[str, int]] = []
    stop = time.monotonic() + 6

    def writer(_: int) -> None:
        with httpx.Client(timeout=POOL_TIMEOUT * 3) as client:
            while time.monotonic() < stop:
                activity_id, response = create_activity(client, url)
                outcomes.append((activity_id, response.status_code))
                if response.status_code == 503:
                    assert_problem_503(response)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(writer, i) for i in range(4)]
        while time.monotonic() < stop - 1:
            time.sleep(0.3)
            pg_proxy.drop()  # every open connection, some of them inside a transaction
        for future in futures:
            future.result()

    statuses = {status for _, status in outcomes}
    assert statuses <= {201, 503}, statuses
    assert {201, 503} <= statuses, f"no write was cut (statuses {statuses}): the test proved nothing"
    stored = set(Activity.objects.filter(activity_id__startswith="act-fault-").values_list("activity_id", flat=True))
    assert {a for a, status in outcomes if status == 201} <= stored
    assert_counts_exact()  # every stored activity is counted, and nothing else
    print(f"{len(outcomes)} writes, {sum(s == 503 for _, s in outcomes)} cut; {len(stored)} stored")


def test_retrying_cut_creates_with_their_idempotency_key_writes_each_exactly_once(
    live_range: DaphneServer, pg_proxy: TcpProxy
):
    """Snapshots have no natural key: only the Idempotency-Key stops a retry after a 503
    (whose write may have committed) from making a second one."""
    url = live_range.url + "/api/v1/bufdir-aggregations"
    body = {"org_id": "org-fault", "range": RANGE}
    results: dict[str, str] = {}
    retried = 0
    stop = time.monotonic() + 5

    def client_loop(n: int) -> None:
        nonlocal retried
        with httpx.Client(timeout=POOL_TIMEOUT * 3) as client:
            for i in itertools.count():
                if time.monotonic() > stop:
                    return
                key = f"key-{n}-{i}"
                for _ in range(40):
                    response = client.post(url, json=body, headers={"Idempotency-Key": key})
                    if response.status_code != 503:
                        break
                    retried += 1
                    time.sleep(0.05)
                assert response.status_code == 201, response.text
                results[key] = response.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(client_loop, n) for n in range(4)]
        while time.monotonic() < stop - 0.5:
            time.sleep(0.25)
            pg_proxy.drop()
        for future in futures:
            future.result()

    assert retried, "no request was cut: the test proved nothing"
    assert len(set(results.values())) == len(results)  # one snapshot per key...
    assert AggregationSnapshot.objects.count() == len(results)  # ...and no other
    print(f"{len(results)} keys, {retried} retries after a 503; {AggregationSnapshot.objects.count()} snapshots")
