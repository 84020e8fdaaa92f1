"""Concurrent activity changes and count-snapshot writes while streams are open (PostgreSQL).

A real daphne server with real SSE clients; every writer thread is its own HTTP client,
so every request has its own database connection. At the end: no 500, every count
snapshot equals a fresh count, and every stream's last event is that count.
"""

from __future__ import annotations

import datetime as dt
import queue
import random
import threading
from collections.abc import Callable

import httpx
import pytest

from activities.models import Activity, Organization
from lib.timeranges import parse_range
from record_counts.models import CountSnapshot
from tests.conftest import live_count, postgres_only
from tests.record_counts.server import SSEReader

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

H1 = {"start": "2026-01-01T00:00:00Z", "end": "2026-06-30T23:59:59Z"}
STREAM = "/api/v1/period-record-counts/stream"
THREADS = 8


def run_at_once(jobs: list[Callable[[httpx.Client], list[int]]]) -> list[int]:
    """Run each job in its own thread (and HTTP client); return every status code seen."""
    barrier = threading.Barrier(len(jobs))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def run(job: Callable[[httpx.Client], list[int]]) -> None:
        try:
            with httpx.Client(timeout=30) as client:
                barrier.wait(10)
                statuses.extend(job(client))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return statuses


def fresh(org_id: str) -> int:
    return Activity.objects.filter(org__org_id=org_id).in_range(parse_range(H1["start"], H1["end"])).count()


def last_event_settles_on(stream: SSEReader, count: int) -> None:
    """The stream reaches ``count`` and sends nothing else afterwards."""
    stream.wait_for(count, timeout=10)
    try:
        later = stream.next(timeout=1.5)
    except queue.Empty:
        return
    raise AssertionError(f"an event after the final count {count}: {later}")


@pytest.fixture
def two_orgs() -> list[str]:
    a = Organization.objects.create(org_id="org-a", name="A")
    Organization.objects.create(org_id="org-b", name="B")
    start = dt.datetime(2026, 2, 1, 9, tzinfo=dt.UTC)
    for i in range(THREADS * 3 + 1):
        Activity.objects.create(
            org=a, activity_id=f"act-seed-{i}", activity_type="peer_support", recorded_at=start + dt.timedelta(hours=i)
        )
    return ["org-a", "org-b"]


def test_creates_moves_and_deletes_at_once_leave_streams_and_snapshots_exact(daphne_server, two_orgs):
    url = daphne_server.url
    streams = [SSEReader(url + STREAM, {"org_id": org_id, **H1}) for org_id in ("org-a", "org-a", "org-b")]
    try:
        assert [s.next(5)["record_count"] for s in streams] == [THREADS * 3 + 1, THREADS * 3 + 1, 0]

        def writer(n: int) -> Callable[[httpx.Client], list[int]]:
            def job(client: httpx.Client) -> list[int]:
                activities = url + "/api/v1/activities"
                out = []
                for k in range(3):  # creates: in range, out of range, in the other organisation
                    for org_id, month in (("org-a", "03"), ("org-a", "09"), ("org-b", "04")):
                        out.append(
                            client.post(
                                activities,
                                json={
                                    "org_id": org_id,
                                    "activity_type": "peer_support",
                                    "recorded_at": f"2026-{month}-{n + 1:02d}T1{k}:00:00Z",
                                },
                            ).status_code
                        )
                mine = [f"act-seed-{n * 3 + k}" for k in range(3)]
                out.append(client.patch(f"{activities}/{mine[0]}", json={"org_id": "org-b"}).status_code)
                later = {"recorded_at": "2026-08-01T10:00:00Z"}
                out.append(client.patch(f"{activities}/{mine[1]}", json=later).status_code)
                out.append(client.delete(f"{activities}/{mine[2]}").status_code)
                out.append(client.delete(f"{activities}/act-seed-{THREADS * 3}").status_code)  # all race for this one
                return out

            return job

        jobs = [writer(n) for n in range(THREADS)]
        random.Random(3).shuffle(jobs)
        statuses = run_at_once(jobs)
        assert set(statuses) <= {200, 201, 404}, sorted(set(statuses))
        assert statuses.count(404) == THREADS - 1  # one of the racing deletes won

        expected = {"org-a": fresh("org-a"), "org-b": fresh("org-b")}
        # org-a: every seed moved away, moved out of range or deleted; 3 creates in range per thread.
        # org-b: 3 creates per thread, plus one activity moved in per thread.
        assert expected == {"org-a": THREADS * 3, "org-b": THREADS * 4}
        for stream, org_id in zip(streams, ("org-a", "org-a", "org-b"), strict=True):
            last_event_settles_on(stream, expected[org_id])
        for snapshot in CountSnapshot.objects.select_related("org"):
            assert live_count(snapshot) == fresh(snapshot.org.org_id), snapshot
    finally:
        for stream in streams:
            stream.close()


def test_count_upserts_refreshes_and_deletes_at_once_while_activities_change(daphne_server, two_orgs):
    url = daphne_server.url
    counts = url + "/api/v1/period-record-counts"
    first = httpx.post(counts, json={"org_id": "org-a", "range": H1}).json()
    detail = f"{counts}/{first['id']}"
    stream = SSEReader(url + STREAM, {"org_id": "org-a", **H1})
    try:
        stream.next(5)

        def upsert(client: httpx.Client) -> list[int]:
            return [client.post(counts, json={"org_id": "org-a", "range": H1}).status_code for _ in range(3)]

        def refresh(client: httpx.Client) -> list[int]:
            return [client.put(detail, json={}).status_code for _ in range(3)]

        def delete(client: httpx.Client) -> list[int]:
            return [client.delete(detail).status_code]

        def create(client: httpx.Client) -> list[int]:
            body = {"org_id": "org-a", "activity_type": "peer_support", "recorded_at": "2026-05-05T10:00:00Z"}
            return [client.post(url + "/api/v1/activities", json=body).status_code for _ in range(3)]

        statuses = run_at_once([upsert, upsert, refresh, refresh, delete, delete, create, create])
        assert set(statuses) <= {200, 201, 404}, sorted(set(statuses))
        assert statuses.count(201) == 6
        snapshots = list(CountSnapshot.objects.filter(org__org_id="org-a"))
        assert len(snapshots) == 1  # the upserts recreated it after the delete: still one per range
        assert live_count(snapshots[0]) == fresh("org-a") == THREADS * 3 + 1 + 6
        final = httpx.post(counts, json={"org_id": "org-a", "range": H1}).json()
        assert final["record_count"] == THREADS * 3 + 1 + 6
    finally:
        stream.close()
