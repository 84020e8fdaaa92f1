"""The stream hub: one per process that serves streams, holding the ranges they watch.

A stream subscribes to (organisation, range). When activities change (announced after
commit by ``activities.events``, carried between processes by ``record_counts.relay``),
the hub marks every watched range that may hold a changed instant, waits a short
window (``STREAM_COALESCE_SECONDS``, or, when the rounds are costly, twice the CPU the
last cycle took, up to ``MAX_GAP_SECONDS``) so a burst becomes one re-read, and re-reads those
ranges through the counting core: one query per organisation, in the stream's own
database threads. Each subscriber keeps only the latest count (a slow client skips
intermediate counts, never the final one) and its stream sends it only when it differs
from what it last sent.

Re-reads are serialised (one round at a time): a round started after a commit sees
it, and a later round's count always replaces an earlier one's, so no stale count can
follow a newer one. A new subscriber's first count is a re-read of its range in the
next round (started at once), after it is registered: no change can fall between the
first count and the subscription.

All state is touched in the event loop's thread only; ``changed`` may be called from
any thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from activities.events import ActivitiesChanged
from lib.timeranges import DateTimeRange, now_to_second

logger = logging.getLogger(__name__)

ReadCounts = Callable[[int, list[DateTimeRange]], Awaitable[list[int]]]


# The longest a busy process lets a changed count wait for its round (see Hub._pace).
MAX_GAP_SECONDS = 2.0


@dataclass(frozen=True)
class LiveCount:
    """What a stream sends: the contract's event data."""

    org_id: str
    record_count: int
    is_complete: bool
    timestamp: dt.datetime

    @property
    def state(self) -> tuple[int, bool]:
        return (self.record_count, self.is_complete)


@dataclass(eq=False)
class Subscription:
    """One stream's place in the hub: its range and the latest count for it."""

    org_pk: int
    org_id: str
    time_range: DateTimeRange
    latest: LiveCount | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def push(self, count: LiveCount) -> None:
        self.latest = count
        self.wake.set()


class Hub:
    def __init__(self, read_counts: ReadCounts, *, coalesce_seconds: float, leading_edge: bool = False) -> None:
        self.read_counts = read_counts
        self.coalesce_seconds = coalesce_seconds
        # Leading edge (the GRIP publisher's): a change after a quiet window is re-read at
        # once, and only the changes that follow within the window wait for the next round;
        # still at most one round per window. Without it (the per-process hub) every round
        # waits the window, which batches the bursts of many streams' first counts too.
        self.leading_edge = leading_edge
        self._last_round = float("-inf")
        # Paced by what the rounds cost: the gap between two rounds' starts is at least twice
        # the CPU this process spent in the last cycle (up to MAX_GAP_SECONDS), so re-reading
        # and sending counts take at most about half of a core however many screens watch. Without
        # it, a process with 1,000 distinct ranges open re-read and sent all of them every
        # 0.1 s and starved the writers on the same cores (figure 7: writes 1.73x slower).
        self._gap = coalesce_seconds
        self._last_cpu = time.process_time()
        self.loop = asyncio.get_running_loop()
        self.watched: dict[int, dict[DateTimeRange, set[Subscription]]] = defaultdict(dict)
        self.dirty: dict[int, set[DateTimeRange]] = defaultdict(set)
        self.rounds = 0  # re-read rounds run (tests and /healthz-style introspection)
        self._round: asyncio.Task[None] | None = None
        self._urgent = False

    # --- subscribers (event loop thread) -----------------------------------------------

    def subscribe(self, *, org_pk: int, org_id: str, time_range: DateTimeRange) -> Subscription:
        sub = Subscription(org_pk, org_id, time_range)
        self.watched[org_pk].setdefault(time_range, set()).add(sub)
        self._mark(org_pk, time_range, urgent=True)  # its first count
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        ranges = self.watched.get(sub.org_pk, {})
        subs = ranges.get(sub.time_range)
        if subs is None:
            return
        subs.discard(sub)
        if not subs:
            del ranges[sub.time_range]
            self.dirty.get(sub.org_pk, set()).discard(sub.time_range)
        if not ranges:
            self.watched.pop(sub.org_pk, None)

    def refresh(self, sub: Subscription) -> None:
        """Re-read one subscriber's range soon (its range just closed, say)."""
        self._mark(sub.org_pk, sub.time_range, urgent=True)

    def refresh_all(self) -> int:
        """Re-read every watched range (after the relay lost announcements); returns how many."""
        n = 0
        for org_pk, ranges in list(self.watched.items()):
            for time_range in ranges:
                self._mark(org_pk, time_range, urgent=False)
                n += 1
        return n

    @property
    def subscriptions(self) -> int:
        return sum(len(subs) for ranges in self.watched.values() for subs in ranges.values())

    # --- announcements (any thread) ----------------------------------------------------

    def changed(self, changes: list[ActivitiesChanged]) -> None:
        """Activities changed (committed): re-read the watched ranges they may touch."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._changed(changes)
        elif not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._changed, changes)

    def _changed(self, changes: list[ActivitiesChanged]) -> None:
        for change in changes:
            for time_range in self.watched.get(change.org_pk, {}):
                if change.touches(time_range.start, time_range.end_exclusive):
                    self._mark(change.org_pk, time_range, urgent=False)

    # --- re-read rounds ----------------------------------------------------------------

    def _mark(self, org_pk: int, time_range: DateTimeRange, *, urgent: bool) -> None:
        self.dirty[org_pk].add(time_range)
        self._urgent = self._urgent or urgent
        if self._round is None or self._round.done():
            self._round = self.loop.create_task(self._run_rounds())

    def _mark_all(self, org_pk: int, ranges: list[DateTimeRange]) -> None:
        for time_range in ranges:
            if time_range in self.watched.get(org_pk, {}):
                self._mark(org_pk, time_range, urgent=False)

    async def _run_rounds(self) -> None:
        while self.dirty:
            if not self._urgent:
                since = self.loop.time() - self._last_round
                if self.leading_edge:
                    wait = max(0.0, self._gap - since)
                else:
                    wait = max(self.coalesce_seconds, self._gap - since)
                if wait > 0:
                    await asyncio.sleep(wait)  # a burst becomes one re-read
            self._urgent = False
            self._pace()
            dirty, self.dirty = self.dirty, defaultdict(set)
            self.rounds += 1
            await asyncio.gather(
                *(self._reread(org_pk, sorted(ranges, key=_order)) for org_pk, ranges in dirty.items())
            )

    def _pace(self) -> None:
        """A round starts: the next one waits at least twice the CPU spent since the last
        start (every thread of the process: the re-read, sending to the screens, anything)."""
        now, cpu = self.loop.time(), time.process_time()
        spent, self._last_cpu = cpu - self._last_cpu, cpu
        fresh = self._last_round == float("-inf") or now - self._last_round > MAX_GAP_SECONDS
        self._gap = self.coalesce_seconds if fresh else min(MAX_GAP_SECONDS, max(self.coalesce_seconds, 2 * spent))
        self._last_round = now

    async def _reread(self, org_pk: int, ranges: list[DateTimeRange]) -> None:
        watched = [r for r in ranges if r in self.watched.get(org_pk, {})]
        if not watched:
            return
        try:
            counts = await self.read_counts(org_pk, watched)
        except Exception:
            logger.exception("could not re-read the counts of organisation %s; retrying", org_pk)
            self.loop.call_later(1.0, self._mark_all, org_pk, watched)
            return
        now = now_to_second()
        for time_range, n in zip(watched, counts, strict=True):
            for sub in list(self.watched.get(org_pk, {}).get(time_range, ())):
                sub.push(LiveCount(sub.org_id, n, time_range.is_complete(now=now), now))


def _order(time_range: DateTimeRange) -> tuple[dt.datetime, dt.datetime]:
    return (time_range.start, time_range.end)


_hub: Hub | None = None


def get_hub(read_counts: ReadCounts, *, coalesce_seconds: float) -> Hub:
    """This process's hub, bound to the running event loop (made on first use)."""
    global _hub
    loop = asyncio.get_running_loop()
    if _hub is None or _hub.loop is not loop:
        _hub = Hub(read_counts, coalesce_seconds=coalesce_seconds)
    return _hub


def current_hub() -> Hub | None:
    """The hub, if this process serves streams (None in gunicorn workers and commands)."""
    return _hub


# Other hubs of this process that follow announcements too: the GRIP publisher's.
_other_hubs: list[Hub] = []


def register_hub(hub: Hub) -> None:
    _other_hubs.append(hub)


def unregister_hub(hub: Hub) -> None:
    if hub in _other_hubs:
        _other_hubs.remove(hub)


def all_hubs() -> list[Hub]:
    """Every hub of this process that announcements must reach."""
    return ([_hub] if _hub is not None else []) + [h for h in _other_hubs if not h.loop.is_closed()]
