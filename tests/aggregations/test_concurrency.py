"""Concurrent re-aggregations and deletes of one aggregation snapshot (PostgreSQL, real HTTP).

Each thread is its own client and the live server gives each request its own database
connection: no 500, no half-applied re-aggregation, exactly one DELETE wins.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Callable

import httpx
import pytest

from activities import services
from activities.models import Activity, Organization
from aggregations.models import AggregationSnapshot
from lib.timeranges import parse_range
from tests.conftest import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

URL = "/api/v1/bufdir-aggregations"
MONTH_ENDS = ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]


def at_once(calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    out: list[httpx.Response | BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        try:
            with httpx.Client(timeout=30) as client:
                barrier.wait(10)
                out[i] = calls[i](client)
        except BaseException as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(40)
    errors = [r for r in out if not isinstance(r, httpx.Response)]
    assert not errors, errors
    return out  # type: ignore[return-value]


@pytest.fixture
def org_with_activities() -> Organization:
    org = Organization.objects.create(org_id="org-race", name="Race")
    start = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
    services.activities_create(
        items=[
            services.ActivityData(org=org, activity_type="peer_support", recorded_at=start + dt.timedelta(hours=13 * i))
            for i in range(200)
        ]
    )
    return org


def fresh_count(org: Organization, snapshot: AggregationSnapshot) -> int:
    return Activity.objects.for_org(org).in_range(snapshot.time_range).count()


def test_concurrent_reaggregations_over_different_ranges_never_mix_range_and_count(live_server, org_with_activities):
    created = httpx.post(
        live_server.url + URL, json={"org_id": "org-race", "range": {"start": "2026-01-01", "end": "2026-01-31"}}
    ).json()
    detail = f"{live_server.url}{URL}/{created['id']}"
    ends = [MONTH_ENDS[i % 4] for i in range(12)]
    responses = at_once(
        [lambda c, end=end: c.put(detail, json={"range": {"start": "2026-01-01", "end": end}}) for end in ends]
    )
    assert [r.status_code for r in responses] == [200] * 12
    for response in responses:  # every answer is a consistent (range, count) pair
        body = response.json()
        time_range = parse_range(body["range_start"], body["range_end"])
        assert body["activity_count"] == Activity.objects.for_org(org_with_activities).in_range(time_range).count()
    stored = AggregationSnapshot.objects.get()
    assert stored.activity_count == fresh_count(org_with_activities, stored)
    assert sum(stored.by_activity_type.values()) == stored.activity_count


def test_reaggregations_racing_deletes_are_200_or_404_and_exactly_one_delete_wins(live_server, org_with_activities):
    created = httpx.post(
        live_server.url + URL, json={"org_id": "org-race", "range": {"start": "2026-01-01", "end": "2026-03-31"}}
    ).json()
    detail = f"{live_server.url}{URL}/{created['id']}"
    calls: list[Callable[[httpx.Client], httpx.Response]] = [lambda c: c.delete(detail) for _ in range(4)]
    calls += [lambda c: c.put(detail, json={}) for _ in range(8)]
    random.Random(7).shuffle(calls)
    responses = at_once(calls)
    deletes = [r for r in responses if r.request.method == "DELETE"]
    puts = [r for r in responses if r.request.method == "PUT"]
    assert {r.status_code for r in responses} <= {200, 404}
    assert sorted(r.status_code for r in deletes) == [200, 404, 404, 404]
    expected = Activity.objects.for_org(org_with_activities).in_range(parse_range("2026-01-01", "2026-03-31")).count()
    assert all(r.json()["activity_count"] == expected for r in puts if r.status_code == 200)
    assert not AggregationSnapshot.objects.exists()


def test_reaggregations_while_activities_change_end_exact(live_server, org_with_activities):
    created = httpx.post(
        live_server.url + URL, json={"org_id": "org-race", "range": {"start": "2026-01-01", "end": "2026-12-31"}}
    ).json()
    detail = f"{live_server.url}{URL}/{created['id']}"
    activity = live_server.url + "/api/v1/activities"
    calls: list[Callable[[httpx.Client], httpx.Response]] = [lambda c: c.put(detail, json={}) for _ in range(6)]
    new = [{"org_id": "org-race", "activity_type": "x", "recorded_at": f"2026-06-0{i + 1}T10:00:00Z"} for i in range(6)]
    calls += [lambda c, body=body: c.post(activity, json=body) for body in new]
    responses = at_once(calls)
    assert {r.status_code for r in responses} <= {200, 201}
    final = httpx.put(detail, json={}).json()
    stored = AggregationSnapshot.objects.get()
    assert final["activity_count"] == stored.activity_count == fresh_count(org_with_activities, stored) == 206
