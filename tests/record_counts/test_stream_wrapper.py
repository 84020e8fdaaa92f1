"""The stream's body generator, driven in-process against django-eventstream's listener manager.

Events are put straight into the listener manager's queues (what django-eventstream does
with a published event), so ordering, overflow and disconnects are exact, not timed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import time_machine
from asgiref.sync import sync_to_async
from django.db import connection
from django_eventstream.event import Event
from django_eventstream.views import MAX_PENDING, get_listener_manager

from activities.models import Organization
from lib.timeranges import DateTimeRange, now_to_second, parse_range
from record_counts import events
from record_counts.models import CountSnapshot
from record_counts.services import count_snapshot_for_stream
from record_counts.stream import Watch, count_events

pytestmark = pytest.mark.django_db(transaction=True)  # the stream reads in another thread
Q1 = parse_range("2026-01-01T00:00:00Z", "2026-03-31T23:59:59Z")


def messages(chunk: str) -> list[dict[str, Any]]:
    """The data of the ``message`` events in a chunk of SSE text."""
    out = []
    for block in chunk.split("\n\n"):
        lines = block.split("\n")
        if "event: message" in lines:
            out.append(json.loads("".join(line[len("data: ") :] for line in lines if line.startswith("data: "))))
    return out


def push(watch: Watch, *, version: int, count: int, time_range: DateTimeRange | None = None) -> None:
    """What django-eventstream does when a count event is published for the watch's snapshot."""
    payload = {
        "org_id": "org-w",
        "record_count": count,
        "is_complete": watch.time_range.is_complete(now=now_to_second()),
        "timestamp": "2026-03-26T11:01:00Z",
        events.VERSION_KEY: version,
        events.RANGE_KEY: events.range_key(time_range or watch.time_range),
    }
    channel = events.channel_for(watch.snapshot_pk)
    get_listener_manager().add_to_queues(channel, Event(channel, events.EVENT_TYPE, json.dumps(payload)))  # type: ignore[arg-type]


@pytest.fixture
def watch() -> Watch:
    org = Organization.objects.create(org_id="org-w", name="W")
    snapshot = count_snapshot_for_stream(org=org, time_range=Q1)
    return Watch(snapshot.pk, Q1)


async def opened(watch: Watch) -> tuple[AsyncIterator[str], dict[str, Any]]:
    """A stream past its padding, with its first (current count) event."""
    body = count_events(watch)
    assert "stream-open" in await body.__anext__()
    (first,) = messages(await body.__anext__())
    return body, first


async def waiting(body: AsyncIterator[str]) -> asyncio.Future[str]:
    """Ask for the next chunk and let the stream reach its wait for events."""
    task = asyncio.ensure_future(body.__anext__())
    await asyncio.sleep(0.05)
    assert not task.done()
    return task


def set_count(pk: int, *, count: int, version: int) -> None:
    try:
        CountSnapshot.objects.filter(pk=pk).update(record_count=count, version=version)
    finally:
        connection.close()  # this runs in asgiref's own thread, which outlives the test


def test_a_stale_count_never_follows_a_newer_one(watch):
    async def scenario() -> list[int]:
        body, first = await opened(watch)
        task = await waiting(body)
        push(watch, version=5, count=7)  # committed second, sent first
        push(watch, version=4, count=6)  # committed first, sent late
        push(watch, version=5, count=7)  # the same version read by another publisher
        got = [first["record_count"], *(m["record_count"] for m in messages(await asyncio.wait_for(task, 3)))]
        await body.aclose()  # type: ignore[attr-defined]
        return got

    assert asyncio.run(scenario()) == [0, 7]


def test_an_overflowing_client_ends_on_the_current_count(watch):
    async def scenario() -> list[int]:
        body, _ = await opened(watch)
        task = await waiting(body)
        push(watch, version=2, count=1)
        got = [m["record_count"] for m in messages(await asyncio.wait_for(task, 3))]
        # The client is slow: more events than django-eventstream keeps pending.
        for n in range(MAX_PENDING + 5):
            push(watch, version=3 + n, count=2 + n)
        await sync_to_async(set_count)(watch.snapshot_pk, count=99, version=50)
        got += [m["record_count"] for m in messages(await asyncio.wait_for(body.__anext__(), 3))]
        await body.aclose()  # type: ignore[attr-defined]
        return got

    got = asyncio.run(scenario())
    assert got[-1] == 99
    assert got[: MAX_PENDING + 1] == list(range(1, MAX_PENDING + 2))  # the ten it kept, in order


def test_events_of_a_moved_snapshot_end_the_stream(watch):
    async def scenario() -> str:
        body, _ = await opened(watch)
        task = await waiting(body)
        push(watch, version=9, count=3, time_range=parse_range("2026-04-01", "2026-04-30"))
        try:
            await asyncio.wait_for(task, 3)
        except StopAsyncIteration:
            return "ended"
        return "still open"

    assert asyncio.run(scenario()) == "ended"


def test_a_deleted_snapshot_ends_the_stream(watch):
    async def scenario() -> bool:
        body, _ = await opened(watch)
        task = await waiting(body)
        channel = events.channel_for(watch.snapshot_pk)
        get_listener_manager().add_to_queues(channel, Event(channel, events.DELETED_EVENT, "{}"))  # type: ignore[arg-type]
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(task, 3)
        return channel not in get_listener_manager().listeners_by_channel

    assert asyncio.run(scenario())


def test_closing_the_range_sends_is_complete_true(watch):
    with time_machine.travel("2026-03-31T23:59:58Z", tick=False) as clock:

        async def scenario() -> list[bool]:
            body, first = await opened(watch)
            task = await waiting(body)
            clock.move_to("2026-04-01T00:00:00Z")
            push(watch, version=0, count=0)  # any chunk (stale here; a keep-alive when idle)
            later = messages(await asyncio.wait_for(task, 3))
            await body.aclose()  # type: ignore[attr-defined]
            return [first["is_complete"], *(m["is_complete"] for m in later)]

        assert asyncio.run(scenario()) == [False, True]


def test_closed_and_cancelled_streams_free_their_listeners(watch):
    channel = events.channel_for(watch.snapshot_pk)
    manager = get_listener_manager()

    async def scenario() -> tuple[int, bool]:
        bodies = [(await opened(watch))[0] for _ in range(20)]
        open_now = len(manager.listeners_by_channel[channel])
        for body in bodies[:10]:
            await body.aclose()  # type: ignore[attr-defined]
        # What Django's ASGI handler does when a client disconnects mid-wait: cancel.
        tasks = [await waiting(body) for body in bodies[10:]]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return open_now, channel in manager.listeners_by_channel

    assert asyncio.run(scenario()) == (20, False)
