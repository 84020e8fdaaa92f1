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
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.core import signing
from django.core.handlers.asgi import ASGIRequest
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from activities.admin_scope import coordinated_orgs
from activities.counting import live_counts
from activities.models import Organization
from api_keys.access import authenticate_key
from api_keys.services import api_key_still_covers
from lib.api.access import REALM, KeyHolder, token_required
from lib.api.exceptions import problem_response
from lib.api.fields import range_from_query
from lib.timeranges import DateTimeRange, isoformat_z, now_to_second
from record_counts import grip, publisher, relay
from record_counts.hub import Hub, LiveCount, Subscription, get_hub
from record_counts.serializers import StreamQuerySerializer
from record_counts.watched import Watched, registry

P = ParamSpec("P")
R = TypeVar("R")

# The stream's own threads for its short database work: a few, because each call is a
# millisecond or two and PostgreSQL connections are the scarce thing (the pool holds 10).
DB_THREADS = 4
_db_threads = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="stream-db")


def _in_db_thread(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Run in the stream's threads, and give the connection back after every call."""

    def closing(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        finally:
            connections.close_all()  # never keep a connection for an idle stream

    return sync_to_async(closing, thread_sensitive=False, executor=_db_threads)


_read_counts = _in_db_thread(lambda org_pk, ranges: live_counts(org=org_pk, ranges=ranges))


def hub() -> Hub:
    return get_hub(_read_counts, coalesce_seconds=settings.STREAM_COALESCE_SECONDS)


def encode(count: LiveCount) -> str:
    """One SSE event with the contract's data: ``{org_id, record_count, is_complete, timestamp}``."""
    data = {
        "org_id": count.org_id,
        "record_count": count.record_count,
        "is_complete": count.is_complete,
        "timestamp": isoformat_z(count.timestamp),
    }
    return f"event: message\ndata: {json.dumps(data)}\n\n"


# Sent first: flushes the response headers at once, and the padding makes old proxies
# and browsers that buffer the first 2 KiB of a response start delivering events.
OPENING = ":" + " " * 2048 + "\n\n"
KEEP_ALIVE = ": keep-alive\n\n"


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
        org: Organization,
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


def _unauthorized(detail: str) -> HttpResponse:
    response = problem_response(401, detail)
    response["WWW-Authenticate"] = REALM
    return response


def _stream_reader(request: HttpRequest) -> KeyHolder | HttpResponse | None:
    """Who reads, when reads need a key: the key's holder, or a logged-in admin user (the
    dashboard's EventSource sends the session cookie and cannot send headers); None when
    reads are public. A response means: answer that instead (401)."""
    if not token_required("GET"):
        return None
    try:
        holder = authenticate_key(request.META.get("HTTP_AUTHORIZATION", ""))
    except AuthenticationFailed as exc:
        return _unauthorized(str(exc.detail))
    if holder is not None:
        return holder
    if request.user.is_authenticated and request.user.is_staff:
        return None  # checked against the user's organisations below
    return _unauthorized("Authentication credentials were not provided.")


def _may_read(request: HttpRequest, reader: KeyHolder | None, org: Organization) -> bool:
    if not token_required("GET"):
        return True
    if reader is not None:
        return org.pk in reader.org_pks
    return coordinated_orgs(request).filter(pk=org.pk).exists()


def _open(request: HttpRequest) -> tuple[Organization, DateTimeRange, KeyHolder | None] | HttpResponse:
    """What a new stream watches, or the problem response to answer instead."""
    try:
        reader = _stream_reader(request)
        if isinstance(reader, HttpResponse):
            return reader
        query = StreamQuerySerializer(data=request.GET.dict())
        try:
            query.is_valid(raise_exception=True)
            time_range = range_from_query(request.GET)
        except ValidationError as exc:
            fields = ", ".join(exc.detail) if isinstance(exc.detail, dict) else ""
            return problem_response(400, f"Invalid input: {fields}.", errors=exc.detail)
        org = query.validated_data["org_id"]
        if not _may_read(request, reader, org):
            return problem_response(403, "This API key may not access this organisation's data.")
    except (OperationalError, InterfaceError):
        unavailable = problem_response(503, "The database is unavailable; retry shortly.")
        unavailable["Retry-After"] = "5"
        return unavailable
    return org, time_range, reader


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


_open_in_db_thread = _in_db_thread(_open)


# --- hold mode (GRIP, through Pushpin): record_counts/grip.py, docs/stream.md -------------

NEXT_SALT = "record_counts.grip-next"


def _grip_last(request: HttpRequest, channel: str) -> str | None:
    """The client's last id on ``channel``, from a next-link request's ``Grip-Last``."""
    for part in request.META.get("HTTP_GRIP_LAST", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() == channel:
            for param in params.split(";"):
                key, _, value = param.strip().partition("=")
                if key == "last-id":
                    return value.strip().strip('"')
    return None


def _held(
    request: HttpRequest, entry: Watched, key_pk: int | None, *, first: bool
) -> tuple[HttpResponse, Watched | None, str]:
    """A ``Grip-Hold: stream`` answer: the count unless the client shows it already."""
    channel = grip.range_channel(entry.org_pk, entry.time_range)
    last = None if first else _grip_last(request, channel)
    known = registry().last_id(entry) if last is not None else None
    body = OPENING if first else ""
    if last is None or known is None or last != known:
        n = live_counts(org=entry.org_pk, ranges=[entry.time_range])[0]
        now = now_to_second()
        count = LiveCount(entry.org_id, n, entry.time_range.is_complete(now=now), now)
        current = grip.state_id(*count.state)
        if current != last:
            body += encode(count)
    else:
        current = last
    if not registry().watch(entry, current):
        if not first:
            return HttpResponse("", content_type="text/event-stream"), None, current  # ends the stream
        busy = problem_response(503, "Too many distinct ranges are watched for this organisation; retry shortly.")
        busy["Retry-After"] = str(int(settings.GRIP_NEXT_SECONDS))
        return busy, None, current
    token = signing.dumps(
        [entry.org_pk, entry.org_id, entry.time_range.start.isoformat(), entry.time_range.end.isoformat(), key_pk],
        salt=NEXT_SALT,
        compress=True,
    )
    response = HttpResponse(body, content_type="text/event-stream")
    channels = [f"{channel}; prev-id={current}", grip.range_end_channel(entry.org_pk, entry.time_range)]
    if key_pk is not None:
        channels.append(grip.key_channel(key_pk))
    response["Grip-Hold"] = "stream"
    response["Grip-Channel"] = ", ".join(channels)
    response["Grip-Keep-Alive"] = grip.keep_alive_header(KEEP_ALIVE)
    response["Grip-Link"] = f"<{request.path}?grip_next={token}>; rel=next; timeout={int(settings.GRIP_NEXT_SECONDS)}"
    response["Cache-Control"] = "no-cache"
    return response, entry, current


def _hold(request: HttpRequest) -> tuple[HttpResponse, Watched | None, str]:
    """A stream request signed by Pushpin: its first hold, or a next-link re-request."""
    token = request.GET.get("grip_next")
    try:
        if token is not None:
            try:
                org_pk, org_id, start, end, key_pk = signing.loads(token, salt=NEXT_SALT)
            except signing.BadSignature:
                return problem_response(400, "Invalid next link."), None, ""
            if key_pk is not None and not api_key_still_covers(key_pk=key_pk, org_pk=org_pk):
                return HttpResponse("", content_type="text/event-stream"), None, ""  # revoked: end
            time_range = DateTimeRange(dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end))
            return _held(request, Watched(org_pk, org_id, time_range), key_pk, first=False)
        opened = _open(request)
        if isinstance(opened, HttpResponse):
            return opened, None, ""
        org, time_range, reader = opened
        key_pk = reader.key.pk if reader is not None else None
        return _held(request, Watched(org.pk, org.org_id, time_range), key_pk, first=True)
    except (OperationalError, InterfaceError):
        unavailable = problem_response(503, "The database is unavailable; retry shortly.")
        unavailable["Retry-After"] = "5"
        return unavailable, None, ""


_hold_in_db_thread = _in_db_thread(_hold)


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
