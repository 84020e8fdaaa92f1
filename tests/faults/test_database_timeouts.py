"""A hung database is a bounded 503, not a hang (docs/operations.md, "Database timeouts").

The proxy's ``freeze()`` keeps every connection open and forwards nothing: the kernel
still ACKs, so TCP keepalives see nothing wrong and the server's own statement_timeout
error never arrives. Only the client-side deadline (lib.db.GuardedConnection) ends the
wait. Small limits keep the tests fast: statement timeout 2 s, pool timeout 2 s.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool, PoolTimeout

from activities.models import Organization
from lib.db import CHECK_DEADLINE, CLIENT_MARGIN, GuardedConnection, client_timeout, current_deadline
from tests.conftest import postgres_only
from tests.faults.conftest import database_url_via
from tests.faults.proxy import TcpProxy
from tests.faults.test_database_outage import assert_problem_503, create_activity, timed
from tests.record_counts.server import DaphneServer

pytestmark = [pytest.mark.postgres, postgres_only, pytest.mark.django_db(transaction=True)]

STATEMENT_TIMEOUT = 2
POOL_TIMEOUT = 2
CONNECT_TIMEOUT = 1
# The promise: a request on a frozen link answers within the pool wait plus one bounded
# wait on the server (the statement timeout + the client's margin); 1 s for scheduling.
BOUND = POOL_TIMEOUT + STATEMENT_TIMEOUT + CLIENT_MARGIN + 1
FAST_LIMITS = {
    "DB_STATEMENT_TIMEOUT": str(STATEMENT_TIMEOUT),
    "DB_POOL_TIMEOUT": str(POOL_TIMEOUT),
    "DB_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
    "DB_POOL_RECONNECT_TIMEOUT": "2",
    "LOG_LEVEL": "ERROR",
}


@pytest.fixture
def frozen_server(pg_proxy: TcpProxy) -> Iterator[DaphneServer]:
    Organization.objects.create(org_id="org-fault", name="Faults")
    server = DaphneServer(env={"DATABASE_URL": database_url_via(pg_proxy), **FAST_LIMITS})
    yield server
    server.stop()


def test_a_frozen_database_answers_503_within_the_bound_then_recovers(frozen_server: DaphneServer, pg_proxy: TcpProxy):
    url = frozen_server.url
    with httpx.Client(timeout=30) as client:
        # Warm up: the pool holds idle connections, which the freeze leaves hanging.
        for _ in range(3):
            assert client.get(url + "/api/v1/activities", params={"org_id": "org-fault"}).status_code == 200
        pg_proxy.freeze()
        calls = [
            lambda c: c.get(url + "/api/v1/activities", params={"org_id": "org-fault"}),
            lambda c: create_activity(c, url)[1],
            lambda c: c.get(url + "/api/v1/period-record-counts"),
        ] * 3
        with concurrent.futures.ThreadPoolExecutor(len(calls) + 1) as pool:
            health_future = pool.submit(timed, lambda: client.get(url + "/healthz"))
            results = list(pool.map(lambda call: timed(lambda: call(client)), calls))
            health, health_elapsed = health_future.result()
        for response, _ in results:
            assert_problem_503(response)
        slowest = max(elapsed for _, elapsed in results)
        assert slowest < BOUND, f"a request took {slowest:.1f} s on a frozen link (bound {BOUND:g} s)"
        assert health.status_code == 503, health.text
        assert health.json()["status"] == "unavailable"
        assert health.json()["checks"]["database"] == "unavailable"
        assert health_elapsed < BOUND

        pg_proxy.up()
        back = time.monotonic()
        while (response := client.get(url + "/api/v1/activities", params={"org_id": "org-fault"})).status_code != 200:
            assert_problem_503(response)
            assert time.monotonic() - back < 15, "the pool did not recover by itself"
            time.sleep(0.2)
        recovered = time.monotonic() - back
        _, created = create_activity(client, url)
        assert created.status_code == 201, created.text
        assert client.get(url + "/healthz").json()["status"] in {"ok", "degraded"}
    print(f"frozen: slowest 503 {slowest:.2f} s, /healthz {health_elapsed:.2f} s; recovered in {recovered:.2f} s")


def test_a_query_in_flight_when_the_link_freezes_fails_within_the_deadline_and_is_discarded(pg_proxy: TcpProxy):
    s = connection.settings_dict
    conninfo = f"host=127.0.0.1 port={pg_proxy.port} user={s['USER']} dbname={s['NAME']} connect_timeout=1"
    pool = ConnectionPool(conninfo, connection_class=GuardedConnection, min_size=1, max_size=2, timeout=2, open=True)
    try:
        with client_timeout(1):
            conn = pool.getconn()
            assert conn.execute("SELECT 1").fetchone() == (1,)
            pg_proxy.freeze()
            started = time.monotonic()
            with pytest.raises(psycopg.OperationalError, match="no answer from the database within 1 s"):
                conn.execute("SELECT 1")
            assert time.monotonic() - started < 1.5
            assert conn.closed  # unusable: the pool must not hand it out again
            pool.putconn(conn)
            assert pool.get_stats().get("returns_bad") == 1
            pg_proxy.up()
            with pool.connection() as fresh:
                assert fresh is not conn
                assert fresh.execute("SELECT 2").fetchone() == (2,)
    finally:
        pg_proxy.up()
        pool.close()


def test_the_pools_check_of_an_idle_connection_is_bounded_by_the_short_check_deadline(pg_proxy: TcpProxy):
    """Not by the statement's deadline (12 s by default): a request on a frozen link
    spends at most CHECK_DEADLINE on a stale pooled connection, then waits for a fresh one."""
    s = connection.settings_dict
    conninfo = f"host=127.0.0.1 port={pg_proxy.port} user={s['USER']} dbname={s['NAME']} connect_timeout=1"
    check = ConnectionPool.check_connection
    pool = ConnectionPool(conninfo, connection_class=GuardedConnection, min_size=1, check=check, timeout=1, open=True)
    try:
        pool.wait(5)
        assert current_deadline() > CHECK_DEADLINE + 1
        pg_proxy.freeze()
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            pool.getconn()
        assert time.monotonic() - started < CHECK_DEADLINE + 0.5
        assert pool.get_stats().get("connections_lost") == 1  # the stale connection was dropped
    finally:
        pg_proxy.up()
        pool.close()


def test_a_commit_on_a_frozen_link_is_bounded_too(pg_proxy: TcpProxy):
    """COMMIT is no statement of Django's cursor, yet it waits on the server as well."""
    s = connection.settings_dict
    conninfo = f"host=127.0.0.1 port={pg_proxy.port} user={s['USER']} dbname={s['NAME']} connect_timeout=1"
    with GuardedConnection.connect(conninfo) as conn, client_timeout(1):
        conn.execute("SELECT 1")  # a transaction is open
        pg_proxy.freeze()
        started = time.monotonic()
        with pytest.raises(psycopg.OperationalError):
            conn.commit()
        assert time.monotonic() - started < 1.5
        assert conn.closed


@pytest.fixture
def lock_server() -> Iterator[DaphneServer]:
    Organization.objects.create(org_id="org-fault", name="Faults")
    server = DaphneServer(env={"DB_LOCK_TIMEOUT": "1", "LOG_LEVEL": "ERROR"})
    yield server
    server.stop()


def test_a_write_blocked_on_a_row_lock_answers_503_within_the_lock_timeout(lock_server: DaphneServer):
    url = lock_server.url
    s = connection.settings_dict
    with httpx.Client(timeout=30) as client:
        activity_id, created = create_activity(client, url)
        assert created.status_code == 201, created.text
        patch_url = f"{url}/api/v1/activities/{activity_id}/"
        # A long import (another session) holds the activity's row lock.
        holder = psycopg.connect(
            host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"]
        )
        try:
            holder.execute("SELECT 1 FROM activities_activity WHERE activity_id = %s FOR UPDATE", [activity_id])
            response, elapsed = timed(lambda: client.patch(patch_url, json={"participant_count": 3}))
            assert_problem_503(response)
            assert elapsed < 1 + 2, f"the blocked write took {elapsed:.1f} s (lock timeout 1 s)"
        finally:
            holder.rollback()
            holder.close()
        response = client.patch(patch_url, json={"participant_count": 3})
        assert response.status_code == 200, response.text
        assert response.json()["participant_count"] == 3
    print(f"write blocked on a row lock: 503 after {elapsed:.2f} s")
