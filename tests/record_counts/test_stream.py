"""The live count stream, against a real daphne server with a real SSE client."""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import queue
import re
import subprocess
import sys
import time

import httpx
import pytest

from activities.models import Activity, Organization
from tests.record_counts.server import ROOT, SERVER_APP_NAME, server_env

pytestmark = pytest.mark.django_db(transaction=True)
Q = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}


@pytest.fixture
def org_with_two(db):
    org = Organization.objects.create(org_id="org-stream", name="Stream")
    Organization.objects.create(org_id="org-other", name="Other")
    for at in ("2026-01-05T10:00:00Z", "2026-02-05T10:00:00Z", "2026-04-05T10:00:00Z"):
        Activity.objects.create(org=org, activity_type="peer_support", recorded_at=at)
    return org


def post_activity(server, org_id="org-stream", at="2026-03-01T12:00:00Z", **extra):
    body = {"org_id": org_id, "activity_type": "peer_support", "recorded_at": at, **extra}
    response = httpx.post(server.url + "/api/v1/activities", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def test_first_event_is_the_current_count_in_the_contract_shape(sse, org_with_two):
    stream = sse(org_id="org-stream", **Q)
    assert stream.status == 200
    event = stream.next()
    assert set(event) == {"org_id", "record_count", "is_complete", "timestamp"}
    assert event["org_id"] == "org-stream"
    assert event["record_count"] == 2
    assert event["is_complete"] is True  # 2026 Q1 closed long before the test clock's now
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["timestamp"])


def test_api_change_arrives_within_a_second(sse, daphne_server, org_with_two):
    stream = sse(org_id="org-stream", **Q)
    assert stream.next()["record_count"] == 2
    started = time.monotonic()
    post_activity(daphne_server)
    assert stream.next(timeout=1.0)["record_count"] == 3
    assert time.monotonic() - started < 1.0


def test_move_and_delete_change_the_count_and_outside_changes_send_nothing(sse, daphne_server, org_with_two):
    stream = sse(org_id="org-stream", **Q)
    assert stream.next()["record_count"] == 2
    post_activity(daphne_server, at="2026-06-01T00:00:00Z")  # outside the range
    post_activity(daphne_server, org_id="org-other")  # another organisation
    created = post_activity(daphne_server, activity_id="act-move")  # inside: 3
    assert stream.next()["record_count"] == 3  # the first event after the two outside ones
    httpx.patch(daphne_server.url + "/api/v1/activities/act-move", json={"recorded_at": "2026-05-01T00:00:00Z"})
    assert stream.next()["record_count"] == 2
    httpx.patch(daphne_server.url + "/api/v1/activities/act-move", json={"recorded_at": "2026-02-01T00:00:00Z"})
    assert stream.next()["record_count"] == 3
    httpx.delete(daphne_server.url + f"/api/v1/activities/{created['activity_id']}")
    assert stream.next()["record_count"] == 2


def test_fifty_clients_all_get_the_update(sse, daphne_server, org_with_two):
    streams = [sse(org_id="org-stream", **Q) for _ in range(50)]
    assert all(s.next(timeout=5)["record_count"] == 2 for s in streams)
    started = time.monotonic()
    post_activity(daphne_server)
    assert all(s.next(timeout=5)["record_count"] == 3 for s in streams)
    print(f"fan-out to 50 clients: {(time.monotonic() - started) * 1000:.0f} ms")


def test_a_burst_of_changes_ends_on_the_exact_final_count(sse, daphne_server, org_with_two):
    stream = sse(org_id="org-stream", **Q)
    assert stream.next()["record_count"] == 2
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: post_activity(daphne_server, at=f"2026-03-01T12:00:{i % 60:02d}Z"), range(60)))
    final = Activity.objects.filter(org=org_with_two, recorded_at__lt="2026-04-01T00:00:00Z").count()
    assert final == 62
    assert stream.wait_for(final, timeout=10)["record_count"] == final
    # And nothing after it says otherwise.
    later = []
    with contextlib.suppress(queue.Empty):
        while True:
            later.append(stream.next(timeout=1.0)["record_count"])
    assert all(n == final for n in later), later


def test_reconnecting_gets_the_current_count_first(sse, daphne_server, org_with_two):
    first = sse(org_id="org-stream", **Q)
    assert first.next()["record_count"] == 2
    first.close()
    post_activity(daphne_server)
    again = sse(org_id="org-stream", **Q)
    assert again.next()["record_count"] == 3


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start": Q["start"], "end": Q["end"]}, "org_id"),
        ({"org_id": "org-stream", "end": Q["end"]}, "start"),
        ({"org_id": "org-stream", "start": "2026-01-01T00:00:00", "end": Q["end"]}, "start"),
        ({"org_id": "org-stream", "start": Q["end"], "end": Q["start"]}, "end"),
        ({"org_id": "org-nope", **Q}, "org_id"),
    ],
)
def test_bad_parameters_are_a_400_problem_before_any_stream(daphne_server, org_with_two, params, named):
    response = httpx.get(daphne_server.url + "/api/v1/period-record-counts/stream", params=params, timeout=5)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert named in response.json()["errors"]


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (the .ci/run PostgreSQL pass does)"
)
def test_a_change_in_another_process_arrives_through_redis(sse, org_with_two, tmp_path):
    stream = sse(org_id="org-stream", **Q)
    assert stream.next()["record_count"] == 2
    csv = tmp_path / "one.csv"
    csv.write_text("org_id,activity_type,recorded_at\norg-stream,peer_support,2026-03-03T03:03:03Z\n")
    done = subprocess.run(
        [sys.executable, "manage.py", "import_activities", str(csv)], cwd=ROOT, env=server_env(), capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()
    assert stream.next(timeout=2)["record_count"] == 3


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL: set DATABASE_URL"
)
def test_idle_streams_pin_no_database_connection(sse, daphne_server, org_with_two):
    from django.db import connection

    def server_connections() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
                [SERVER_APP_NAME],
            )
            return cursor.fetchone()[0]

    from django.conf import settings

    streams = [sse(org_id="org-stream", **Q) for _ in range(40)]
    assert all(s.next(timeout=10)["record_count"] == 2 for s in streams)
    held = server_connections()
    print(f"connections to the database with 40 idle streams open: {held} (pool max {settings.DB_POOL_MAX})")
    # The server's pool holds at most DB_POOL_MAX connections; 40 streams each pinning
    # one could not even have opened (the 11th would wait for a free connection).
    assert held <= settings.DB_POOL_MAX < len(streams)


@pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (the .ci/run PostgreSQL pass does)"
)
def test_a_ten_thousand_row_import_in_another_process_ends_every_client_on_the_exact_count(sse, org_with_two, tmp_path):
    streams = [sse(org_id="org-stream", **Q) for _ in range(5)]
    assert all(s.next(timeout=5)["record_count"] == 2 for s in streams)
    csv = tmp_path / "burst.csv"
    rows = (f"act-b{i},org-stream,peer_support,2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z" for i in range(10_000))
    csv.write_text("activity_id,org_id,activity_type,recorded_at\n" + "\n".join(rows) + "\n")
    done = subprocess.run(
        [sys.executable, "manage.py", "import_activities", "--batch-size", "500", str(csv)],
        cwd=ROOT,
        env=server_env(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    for stream in streams:
        assert stream.wait_for(10_002, timeout=10)["record_count"] == 10_002
