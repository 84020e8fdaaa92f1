"""Concurrent writes on PostgreSQL: deadlocks are retried, update racing delete is a 404."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.db import connection, connections

from activities import services
from activities.models import Activity
from lib.transactions import retrying
from tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
T = dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC)


def two_activities(org):
    return [
        services.activity_create(data=services.ActivityData(org=org, activity_type="x", recorded_at=T)).pk
        for _ in range(2)
    ]


def test_a_real_deadlock_is_retried_and_the_write_succeeds(org):
    a, b = two_activities(org)
    attempts = []
    other_has_b = threading.Event()

    @retrying
    def locks_a_then_b() -> None:
        attempts.append(1)
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM activities_activity WHERE id = %s FOR UPDATE", [a])
            if len(attempts) == 1:
                other_has_b.wait(5)
            # The first attempt waits here first, so PostgreSQL's deadlock check (1 s)
            # fires in this transaction: it is the one aborted, then retried.
            cur.execute("SELECT id FROM activities_activity WHERE id = %s FOR UPDATE", [b])
            cur.execute("UPDATE activities_activity SET location = 'retried' WHERE id = %s", [a])

    def locks_b_then_a() -> None:
        try:
            with connections["default"].cursor() as cur:
                cur.execute("BEGIN")
                cur.execute("SELECT id FROM activities_activity WHERE id = %s FOR UPDATE", [b])
                other_has_b.set()
                time.sleep(0.3)
                cur.execute("SELECT id FROM activities_activity WHERE id = %s FOR UPDATE", [a])
                cur.execute("COMMIT")
        finally:
            connections.close_all()

    other = threading.Thread(target=locks_b_then_a)
    other.start()
    locks_a_then_b()
    other.join(10)
    assert len(attempts) == 2  # aborted once as the deadlock's victim, then done
    assert Activity.objects.get(pk=a).location == "retried"


def test_update_racing_delete_answers_200_or_404_never_500(org, live_server):
    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=3) as pool:
        for i in range(30):
            created = services.activity_create(
                data=services.ActivityData(org=org, activity_type="x", recorded_at=T, activity_id=f"race-{i}")
            )
            url = f"{live_server.url}/api/v1/activities/{created.activity_id}"
            barrier = threading.Barrier(3)

            def call(method: str, body: dict | None, url: str = url, barrier: threading.Barrier = barrier) -> int:
                barrier.wait(5)
                return httpx.request(method, url, json=body, timeout=10).status_code

            full = {"org_id": org.org_id, "activity_type": "y", "recorded_at": "2026-03-01T10:00:00Z"}
            futures = [
                pool.submit(call, "PATCH", {"location": "Bergen"}),
                pool.submit(call, "PUT", full),
                pool.submit(call, "DELETE", None),
            ]
            statuses.extend(f.result() for f in futures)
    assert not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {200, 404}
