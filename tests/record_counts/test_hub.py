"""The stream hub, driven in-process with the real counting core and database."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from asgiref.sync import sync_to_async
from django.db import connections

from activities import services
from activities.counting import count_ranges
from activities.events import ActivitiesChanged
from lib.timeranges import DateTimeRange, parse_range
from record_counts.hub import Hub

pytestmark = pytest.mark.django_db(transaction=True)

FEB = parse_range("2026-02-01T00:00:00Z", "2026-02-28T23:59:59Z")
MAR = parse_range("2026-03-01T00:00:00Z", "2026-03-31T23:59:59Z")
T = dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)


def add(org, at):
    return services.activity_create(data=services.ActivityData(org=org, activity_type="x", recorded_at=at))


class CountingReads:
    """The real core, run in a thread as the stream does, counting how often it is asked."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, list[DateTimeRange]]] = []

    async def __call__(self, org_pk: int, ranges: list[DateTimeRange]) -> list[int]:
        self.calls.append((org_pk, list(ranges)))

        def count() -> list[int]:
            try:
                return count_ranges(org=org_pk, ranges=ranges)
            finally:
                connections.close_all()  # as the stream's threads do: none left to the pool's end

        return await sync_to_async(count, thread_sensitive=False)()


async def next_count(sub, timeout: float = 2.0):
    await asyncio.wait_for(sub.wake.wait(), timeout)
    sub.wake.clear()
    return sub.latest


def change(org, *instants):
    return [ActivitiesChanged(org.pk, tuple((t, t) for t in instants))]


def test_first_count_is_read_after_subscribing(org):
    add(org, T)

    async def run():
        hub = Hub(CountingReads(), coalesce_seconds=0.05)
        sub = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        first = await next_count(sub)
        assert (first.org_id, first.record_count, first.is_complete) == (org.org_id, 1, True)

    asyncio.run(run())


def test_a_burst_of_changes_is_one_reread_per_range_and_ends_exact(org):
    async def run():
        reads = CountingReads()
        hub = Hub(reads, coalesce_seconds=0.2)
        sub = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        assert (await next_count(sub)).record_count == 0
        reads.calls.clear()
        # The writes first (their speed depends on the machine's load), then their 20
        # announcements in one burst, as a busy organisation's commits arrive.
        for i in range(20):
            await sync_to_async(add, thread_sensitive=False)(org, T + dt.timedelta(minutes=i))
        for i in range(20):
            hub.changed(change(org, T + dt.timedelta(minutes=i)))
        assert (await next_count(sub)).record_count == 20
        assert len(reads.calls) <= 2  # coalesced: not one re-read per change

    asyncio.run(run())


def test_a_change_outside_every_watched_range_reads_nothing(org, other_org):
    async def run():
        reads = CountingReads()
        hub = Hub(reads, coalesce_seconds=0.01)
        sub = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        await next_count(sub)
        reads.calls.clear()
        hub.changed(change(org, MAR.start))  # another month
        hub.changed(change(other_org, T))  # another organisation
        await asyncio.sleep(0.1)
        assert reads.calls == []

    asyncio.run(run())


def test_ranges_of_one_organisation_are_reread_in_one_call(org):
    async def run():
        reads = CountingReads()
        hub = Hub(reads, coalesce_seconds=0.05)
        subs = [
            hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=parse_range(f"2026-02-{d:02d}", "2026-02-28"))
            for d in range(1, 11)
        ]
        for sub in subs:
            await next_count(sub)
        reads.calls.clear()
        await sync_to_async(add, thread_sensitive=False)(org, T)
        hub.changed(change(org, T))
        counts = [(await next_count(sub)).record_count for sub in subs]
        assert counts == [1] * 10
        assert len(reads.calls) == 1 and len(reads.calls[0][1]) == 10

    asyncio.run(run())


def test_a_slow_subscriber_keeps_only_the_latest_count(org):
    async def run():
        hub = Hub(CountingReads(), coalesce_seconds=0.01)
        sub = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        await next_count(sub)
        for i in range(3):  # the client reads nothing meanwhile
            await sync_to_async(add, thread_sensitive=False)(org, T + dt.timedelta(hours=i))
            hub.changed(change(org, T + dt.timedelta(hours=i)))
            await asyncio.sleep(0.1)
        assert (await next_count(sub)).record_count == 3

    asyncio.run(run())


def test_unsubscribing_frees_the_range(org):
    async def run():
        reads = CountingReads()
        hub = Hub(reads, coalesce_seconds=0.01)
        a = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        b = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        assert hub.subscriptions == 2
        hub.unsubscribe(a)
        hub.unsubscribe(b)
        hub.unsubscribe(b)  # twice is harmless
        assert hub.subscriptions == 0 and hub.watched == {}
        await asyncio.sleep(0.05)
        reads.calls.clear()
        hub.changed(change(org, T))
        await asyncio.sleep(0.05)
        assert reads.calls == []

    asyncio.run(run())


def test_refresh_all_rereads_every_watched_range(org):
    async def run():
        reads = CountingReads()
        hub = Hub(reads, coalesce_seconds=0.01)
        feb = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        mar = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=MAR)
        await next_count(feb)
        await next_count(mar)
        await sync_to_async(add, thread_sensitive=False)(org, MAR.start)  # announced nowhere (an outage)
        assert hub.refresh_all() == 2
        assert (await next_count(mar)).record_count == 1

    asyncio.run(run())


def test_changes_from_another_thread_reach_the_hub(org):
    async def run():
        hub = Hub(CountingReads(), coalesce_seconds=0.01)
        sub = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        await next_count(sub)

        def write_and_announce():
            add(org, T)
            hub.changed(change(org, T))  # as relay.announce does from a request thread

        await sync_to_async(write_and_announce, thread_sensitive=False)()
        assert (await next_count(sub)).record_count == 1

    asyncio.run(run())


def test_costly_rounds_are_spaced_by_what_they_cost(org):
    """The CPU a process spends between two rounds (re-reading, then sending the counts to
    every screen) paces the next: at least twice that long, so a process with many screens
    leaves its cores to the writers; a cheap one waits the window only."""
    import itertools
    import threading
    import time

    from record_counts import hub as hub_module

    burn = 0.15  # seconds of CPU after each round, off the event loop (as sending is)

    class CostlyReads(CountingReads):
        async def __call__(self, org_pk, ranges):
            def spend() -> None:
                started = time.process_time()
                while time.process_time() - started < burn:
                    pass

            threading.Thread(target=spend, daemon=True).start()
            return await super().__call__(org_pk, ranges)

    async def gaps(reads, changes: int) -> list[float]:
        hub = Hub(reads, coalesce_seconds=0.02)
        sub = hub.subscribe(org_pk=org.pk, org_id=org.org_id, time_range=FEB)
        await next_count(sub)
        starts = []
        for _ in range(changes):
            hub.changed(change(org, T))
            before = hub.rounds
            while hub.rounds == before:
                await asyncio.sleep(0.001)
            starts.append(time.monotonic())
            await next_count(sub)
        return [b - a for a, b in itertools.pairwise(starts)]

    # The cheap one first: the costly one's spending threads outlive its rounds.
    cheap = asyncio.run(gaps(CountingReads(), 5))
    assert max(cheap) < burn, cheap  # the window alone: nothing to pace
    costly = asyncio.run(gaps(CostlyReads(), 5))
    assert min(costly[1:]) >= burn * 1.5, costly  # each waited about twice what the last cycle cost
    assert max(costly) < hub_module.MAX_GAP_SECONDS + 1
