"""The GRIP publisher: the changed counts of watched ranges, published to Pushpin once each.

Exactly one publisher runs per deployment (docs/stream.md, "Who publishes"):

- with ``REDIS_URL``, the ``grip_publisher`` command (the Procfile's ``publisher``). It
  hears every announcement through the relay, reads the watched ranges from the Redis
  registry, and publishes. App processes (gunicorn or daphne) only answer hold requests
  and register ranges: they never publish counts, so N app processes do not publish
  N times, and no lock or de-duplication per change is needed;
- without Redis (one process, ``make run`` behind a Pushpin), the process that answers
  hold requests starts it in its event loop on the first one.

It is the hub (record_counts.hub) with one subscription per watched range instead of
one per client: one counting query per organisation per round, rounds one at a time,
and at most one round per coalescing window, its leading edge (a change after a quiet
window is published at once; the changes following it within the window wait for the
next round). After each round, every range whose count changed
since the last one published on its channel goes out in one publish request (one item
per range, never per client), with ``id`` = the new count's state and ``prev-id`` = the
last one; publish requests are sent one at a time, in round order, so on each channel
a newer count always follows an older one. A client whose last count is not ``prev-id``
(it connected during a change) is recovered by Pushpin through the next link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from django.conf import settings

from lib.timeranges import now_to_second
from record_counts import grip, watched
from record_counts import hub as hub_module
from record_counts.hub import Hub, LiveCount, ReadCounts, Subscription

logger = logging.getLogger(__name__)

SYNC_SECONDS = 1.0  # how often the registry is re-read (new ranges are also added at once in-process)


class RangeSubscription(Subscription):
    """One watched range in the publisher's hub."""

    def __init__(self, entry: watched.Watched, last: str | None, publisher: Publisher) -> None:
        super().__init__(entry.org_pk, entry.org_id, entry.time_range)
        self.entry, self.last, self.publisher = entry, last, publisher

    def push(self, count: LiveCount) -> None:
        self.latest = count
        self.publisher.pending.add(self)
        self.publisher.wake.set()


class Publisher:
    def __init__(self, read_counts: ReadCounts, *, coalesce_seconds: float, registry: Any = None) -> None:
        self.hub = Hub(read_counts, coalesce_seconds=coalesce_seconds, leading_edge=True)
        self.registry = registry if registry is not None else watched.registry()
        self.subs: dict[watched.Watched, RangeSubscription] = {}
        self.pending: set[RangeSubscription] = set()
        self.wake = asyncio.Event()
        self.published = 0  # publish requests sent (tests, bench)
        self.items = 0  # items published
        self._tasks: list[asyncio.Task[None]] = []
        hub_module.register_hub(self.hub)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._sync_loop()), loop.create_task(self._publish_loop())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        hub_module.unregister_hub(self.hub)

    # --- the registry -> subscriptions ---------------------------------------------------

    def add(self, entry: watched.Watched, last: str | None) -> None:
        if entry in self.subs:
            return
        sub = RangeSubscription(entry, last, self)
        self.subs[entry] = sub
        self.hub.watched[entry.org_pk].setdefault(entry.time_range, set()).add(sub)
        self.hub.refresh(sub)  # its count now: published if it moved since it was served

    def sync(self, alive: dict[watched.Watched, str | None]) -> None:
        for entry, last in alive.items():
            self.add(entry, last)
        now = now_to_second()
        for entry, sub in list(self.subs.items()):
            if entry not in alive:
                del self.subs[entry]
                self.pending.discard(sub)
                self.hub.unsubscribe(sub)
            elif sub.latest is not None and not sub.latest.is_complete and entry.time_range.is_complete(now=now):
                self.hub.refresh(sub)  # the range just closed: publish is_complete true

    async def _sync_loop(self) -> None:
        while True:
            try:
                self.sync(await asyncio.to_thread(self.registry.alive))
            except Exception:
                logger.exception("could not read the watched ranges; retrying")
            await asyncio.sleep(SYNC_SECONDS)

    # --- publishing --------------------------------------------------------------------

    def _due(self) -> list[tuple[RangeSubscription, LiveCount, str]]:
        due = []
        for sub in self.pending:
            latest = sub.latest
            if latest is None or sub.entry not in self.subs:
                continue
            new_id = grip.state_id(*latest.state)
            if new_id != sub.last:
                due.append((sub, latest, new_id))
        self.pending.clear()
        return due

    async def _publish_loop(self) -> None:
        from record_counts.opening import encode

        while True:
            await self.wake.wait()
            self.wake.clear()
            due = self._due()
            if not due:
                continue
            items = [
                grip.stream_item(grip.range_channel(s.org_pk, s.time_range), encode(count), id=new, prev_id=s.last)
                for s, count, new in due
            ]
            for sub, _, new in due:
                sub.last = new
            self.published += 1
            self.items += len(items)
            await asyncio.to_thread(self._send, items, [(sub.entry, new) for sub, _, new in due])

    def _send(self, items: list[dict[str, Any]], lasts: list[tuple[watched.Watched, str]]) -> None:
        grip.publish(items)
        for entry, last in lasts:
            try:
                self.registry.set_last(entry, last)
            except Exception:
                logger.exception("could not record the last published id")


_inline: Publisher | None = None


def ensure_inline(read_counts: ReadCounts) -> Publisher | None:
    """Without Redis, this process publishes: start the publisher in this event loop once."""
    global _inline
    if getattr(settings, "EVENTS_REDIS", None) or not grip.publish_urls():
        return None
    loop = asyncio.get_running_loop()
    if _inline is None or _inline.hub.loop is not loop:
        _inline = Publisher(read_counts, coalesce_seconds=settings.STREAM_COALESCE_SECONDS)
        _inline.start()
    return _inline
