"""GET /api/v1/period-record-counts/stream: live counts of one range as Server-Sent Events.

A thin layer over this process's hub (record_counts.hub): check the parameters and the
reader (a 400/401/403 problem before any stream starts), subscribe to the range, then
send the current count first and every changed count after it, with a keep-alive
comment while idle. Opening a stream writes nothing: it creates no row and takes no
lock, so the number of people watching never makes a write slower.

The view is async: daphne's event loop holds the open streams (a coroutine and a
subscription each), while the short database work (checking the parameters and the
reader, re-reading counts) runs in a small pool of threads of its own
(``DB_THREADS``) that close their connections after each call, so an idle stream pins
no database connection and a burst of connecting screens queues for a few threads.
Why a hub of our own and not django-eventstream's listeners: docs/stream.md.

The checks before a stream opens and the events' text are in record_counts/opening.py;
hold mode (a request through Pushpin, answered at once) in record_counts/held.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from activities.counting import OrgState, count_ranges, live_counts
from api_keys.services import api_key_still_covers
from lib.timeranges import DateTimeRange, now_to_second
from record_counts import grip, publisher, relay
from record_counts.held import hold
from record_counts.hub import Hub, Subscription, get_hub
from record_counts.opening import KEEP_ALIVE, OPENING, encode, open_stream

P = ParamSpec("P")
R = TypeVar("R")

# The stream's own threads for its short database work: a few, because each call is a
# millisecond or two and PostgreSQL connections are the scarce thing (the pool holds 10).
DB_THREADS = 4
_db_threads = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="stream-db")


def _in_db_thread(
    func: Callable[P, R], *, executor: ThreadPoolExecutor = _db_threads, keep: bool = False
) -> Callable[P, Awaitable[R]]:
    """Run in the stream's threads, and give the connection back after every call; with
    ``keep``, only after a call that failed (the next call then takes a fresh one)."""

    def closing(*args: P.args, **kwargs: P.kwargs) -> R:
        ok = False
        try:
            result = func(*args, **kwargs)
            ok = True
            return result
        finally:
            if not (keep and ok):
                connections.close_all()  # never keep a connection for an idle stream

    return sync_to_async(closing, thread_sensitive=False, executor=executor)


_read_counts = _in_db_thread(lambda org_pk, ranges: live_counts(org=org_pk, ranges=ranges))

# The GRIP publisher's re-reads (manage.py grip_publisher), on the path from every write
# to every screen: one thread of its own that keeps its database connection between
# rounds (the pool's check of a connection taken afresh is a round trip of its own;
# there is one publisher per deployment, so it pins one connection, and a failed read
# drops it: the hub retries the round, on a fresh one). It counts with the core's
# count_ranges, not live_counts: right after an announcement the new state's counts
# are almost never cached yet, and looking them up would cost the change marker's
# query and a round trip to Redis before the count (docs/stream.md, "Who publishes").
_publisher_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="publisher-db")
read_changed_counts = _in_db_thread(
    lambda org_pk, ranges: count_ranges(org=org_pk, ranges=ranges), executor=_publisher_thread, keep=True
)


def hub() -> Hub:
    return get_hub(_read_counts, coalesce_seconds=settings.STREAM_COALESCE_SECONDS)


def _release_request_thread() -> None:
    """Let go of the thread Django keeps for this request while the stream idles.

    Django's ASGI handler runs a request's sync steps (signals, sync middleware) in a
    thread of the request's own, kept until the response ends: for a stream, hours of
    one idle thread per open screen (measured: 500 streams held 509 threads). Dropping
    it is safe: asgiref starts a fresh one if a later sync step of the request needs
    it, and shuts that one down when the request ends. This reads asgiref's
    thread-sensitive context (documented behaviour, internal attribute names), and is
    covered by tests/record_counts/test_stream_resources.py.
    """
    context = SyncToAsync.thread_sensitive_context.get(None)
    if context is not None:
        executor = SyncToAsync.context_to_thread_executor.pop(context, None)
        if executor is not None:
            executor.shutdown(wait=False)


class CountEvents:
    """The SSE body of one stream: the first count, then each change, keep-alives between.

    It subscribes when the body starts (so a client gone before that leaves nothing
    behind), and the first count is read after the subscription is registered. Django
    calls ``close()`` when the response ends or the client disconnects (an async
    generator has no ``close()``, and one left suspended at a ``yield`` would hold its
    subscription until garbage collection), so the subscription goes with the client.
    """

    def __init__(
        self,
        org: OrgState,
        time_range: DateTimeRange,
        hub: Hub,
        still_allowed: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.org, self.time_range, self.hub = org, time_range, hub
        self.still_allowed = still_allowed  # re-checked at every keep-alive
        self.sub: Subscription | None = None
        self._events = self._run()

    def __aiter__(self) -> CountEvents:
        return self

    async def __anext__(self) -> str:
        return await self._events.__anext__()

    def close(self) -> None:
        """Called by Django (in a thread) when the response ends: leave the hub."""
        if self.sub is not None:
            sub, self.sub = self.sub, None
            self.hub.loop.call_soon_threadsafe(self.hub.unsubscribe, sub)

    async def _run(self) -> AsyncIterator[str]:
        keepalive = float(settings.STREAM_KEEPALIVE_SECONDS)
        sent: tuple[int, bool] | None = None
        sub = self.sub = self.hub.subscribe(org_pk=self.org.pk, org_id=self.org.org_id, time_range=self.time_range)
        try:
            yield OPENING
            _release_request_thread()
            while True:
                try:
                    # Not asyncio.wait_for: cancelled by Django when the client goes, its
                    # cancel path left the request hanging until daphne killed it (measured).
                    async with asyncio.timeout(keepalive):
                        await sub.wake.wait()
                except TimeoutError:
                    if self.still_allowed is not None and not await self.still_allowed():
                        return  # the reader's key was revoked: end the stream
                    if sent is not None and not sent[1] and sub.time_range.is_complete(now=now_to_second()):
                        self.hub.refresh(sub)  # the range has closed: send is_complete true
                    yield KEEP_ALIVE
                    continue
                sub.wake.clear()
                latest = sub.latest
                if latest is not None and latest.state != sent:
                    sent = latest.state
                    yield encode(latest)
        finally:
            self.sub = None
            self.hub.unsubscribe(sub)


_key_still_covers_query = _in_db_thread(lambda key_pk, org_pk: api_key_still_covers(key_pk=key_pk, org_pk=org_pk))
# One answer per (key, organisation) per half keep-alive, shared by this process's
# streams: thousands of screens on one key ask the database once, not once each.
_key_checks: dict[tuple[int, int], tuple[float, bool]] = {}


async def _key_still_covers(key_pk: int, org_pk: int) -> bool:
    now = time.monotonic()
    checked = _key_checks.get((key_pk, org_pk))
    if checked is not None and now - checked[0] < float(settings.STREAM_KEEPALIVE_SECONDS) / 2:
        return checked[1]
    allowed = await _key_still_covers_query(key_pk, org_pk)
    if len(_key_checks) > 10_000:
        _key_checks.clear()
    _key_checks[(key_pk, org_pk)] = (now, allowed)
    return allowed


_open_in_db_thread = _in_db_thread(open_stream)
_hold_in_db_thread = _in_db_thread(hold)


@csrf_exempt  # GET only and changes nothing: any other method is a 405, not a CSRF 403
@require_GET
async def count_stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if grip.is_signed(request):
        held, entry, served = await _hold_in_db_thread(request)
        # Without Redis this process publishes, from its event loop: only a server's own
        # loop lives on (under WSGI each request gets a passing one; there, run Redis and
        # the grip_publisher process, docs/deployment.md).
        if entry is not None and isinstance(request, ASGIRequest):
            inline = publisher.ensure_inline(_read_counts)
            if inline is not None:
                inline.add(entry, served)
        return held
    opened = await _open_in_db_thread(request)
    if isinstance(opened, HttpResponse):
        return opened
    org, time_range, reader = opened
    still_allowed = None
    if reader is not None:
        key_pk = reader.key.pk

        async def still_allowed() -> bool:
            return await _key_still_covers(key_pk, org.pk)

    await relay.ensure_subscribed()
    events = CountEvents(org, time_range, hub(), still_allowed)
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass events through unbuffered
    return response


count_stream.holds_when_signed = True  # type: ignore[attr-defined]  # (held.WsgiHoldMiddleware)
