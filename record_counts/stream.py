"""GET /api/v1/period-record-counts/stream: live counts of one range as Server-Sent Events.

The range's live CountSnapshot (created and counted on first use) is the source of
truth; its channel gets the absolute count, with the row's version, after every
committed change (record_counts.events). This view wraps django-eventstream's stream
so that:

- bad parameters are a 400 problem before any stream starts;
- the first event is the current count, read *after* the listener is registered, so
  no change can fall between the count and the subscription;
- an event is forwarded only when its version is newer than the last one forwarded:
  a stale count (the initial read racing a change, or two publishers sending in the
  other order than they committed) can never follow a newer one, and duplicates of
  one version (a burst read by many publishers after it settled) go out once;
- when django-eventstream throws events away (more than 10 pending for a slow client,
  or events queued during its first read) the current count is re-read and sent if
  newer, so every client ends on the exact final count;
- a range that closes while the stream is open gets an event with ``is_complete: true``
  within one keep-alive interval (django-eventstream sends one every 20 s when idle);
- the stream ends when its snapshot is deleted or moved to another range (the client's
  EventSource reconnects and watches a snapshot of its own range again);
- no database connection is held while streaming: each read closes its own.

The view is async: daphne's event loop accepts connections while the short database
work (checking the parameters and the reader, finding the snapshot, reading a count)
runs in a small pool of threads of its own (``DB_THREADS``), which closes its
connections after each call. A burst of thousands of connecting screens therefore
queues for those few threads instead of starting a thread each and racing for the
PostgreSQL pool, and an open stream is only a coroutine and a listener.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import SyncToAsync, sync_to_async
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET
from django_eventstream.eventrequest import EventRequest
from django_eventstream.utils import add_default_headers, sse_encode_event
from django_eventstream.views import Listener, stream
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from activities.admin_scope import coordinated_orgs
from activities.models import Organization
from api_keys.access import authenticate_key
from lib.api.access import REALM, KeyHolder, token_required
from lib.api.exceptions import problem_response
from lib.api.fields import range_from_query
from lib.timeranges import DateTimeRange, now_to_second
from record_counts.events import (
    DELETED_EVENT,
    EVENT_TYPE,
    RANGE_KEY,
    VERSION_KEY,
    channel_for,
    count_payload,
    range_key,
)
from record_counts.selectors import LiveCount, live_counts
from record_counts.serializers import StreamQuerySerializer
from record_counts.services import count_snapshot_for_stream


class CountListener(Listener):
    """Remembers that events were dropped for it (django-eventstream resets ``overflow``)."""

    lost = False

    @property
    def overflow(self) -> bool:
        return self._overflow

    @overflow.setter
    def overflow(self, value: bool) -> None:
        self._overflow = value
        if value:
            self.lost = True


@dataclass(frozen=True)
class Watch:
    """What one stream watches: a snapshot, as long as it holds the stream's range."""

    snapshot_pk: int
    time_range: DateTimeRange

    @property
    def key(self) -> str:
        return range_key(self.time_range)


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


def _read_current(snapshot_pk: int) -> LiveCount | None:
    found = live_counts(snapshot_pks=[snapshot_pk])
    return found[0] if found else None


_current = _in_db_thread(_read_current)


def _encode(payload: dict[str, object]) -> str:
    public = {k: v for k, v in payload.items() if k not in (VERSION_KEY, RANGE_KEY)}
    return sse_encode_event(EVENT_TYPE, public, json_encode=True)


@functools.lru_cache(maxsize=256)
def _decoded(data: str) -> tuple[dict[str, Any], str]:
    """An event's payload and its client-ready text: once per event, not once per stream."""
    payload = json.loads(data)
    return payload, _encode(payload)


def _release_request_thread() -> None:
    """Let go of the thread Django keeps for this request while the stream idles.

    Django's ASGI handler runs a request's sync steps (signals, middleware, and
    django-eventstream's own read) in a thread of the request's own, kept until the
    response ends: for a stream, hours of one idle thread per open screen. Dropping it
    here is safe: asgiref starts a fresh one if a later sync step of the request needs
    it, and shuts that one down when the request ends, as usual.
    """
    context = SyncToAsync.thread_sensitive_context.get(None)
    if context is not None:
        executor = SyncToAsync.context_to_thread_executor.pop(context, None)
        if executor is not None:
            executor.shutdown(wait=False)


def _blocks(chunk: str) -> list[tuple[str, str, str]]:
    """Split a chunk from django-eventstream into (event type, data, raw block)."""
    out = []
    for block in chunk.split("\n\n"):
        if not block.strip():
            continue
        kind, data = "", []
        for line in block.split("\n"):
            if line.startswith("event: "):
                kind = line[len("event: ") :]
            elif line.startswith("data:"):
                data.append(line[len("data:") :].lstrip(" "))
        out.append((kind, "\n".join(data), block + "\n\n"))
    return out


async def _live_counts(inner: AsyncGenerator[str, None], listener: CountListener, watch: Watch) -> AsyncIterator[str]:
    try:
        yield await inner.__anext__()  # padding + stream-open: the listener is registered now
        current = await _current(watch.snapshot_pk)
        if current is None or current.time_range != watch.time_range:
            return
        seen = current.version
        complete = current.is_complete(now=now_to_second())
        yield _encode(count_payload(current))
        _release_request_thread()
        async for chunk in inner:
            out: list[str] = []
            for kind, data, raw in _blocks(chunk):
                if kind == DELETED_EVENT:
                    return
                if kind != EVENT_TYPE:
                    out.append(raw)  # keep-alives
                    continue
                payload, encoded = _decoded(data)
                if payload.get(RANGE_KEY) != watch.key:
                    return  # the snapshot was moved to another range
                if payload.get(VERSION_KEY, -1) <= seen:
                    continue  # stale or already sent
                seen, complete = payload[VERSION_KEY], payload["is_complete"]
                out.append(encoded)
            # django-eventstream yields an empty chunk after it has thrown events away:
            # on overflow, and for events queued while it first read (views.py "FIXME").
            closed_now = not complete and watch.time_range.is_complete(now=now_to_second())
            if listener.lost or not chunk or closed_now:
                listener.lost = False
                current = await _current(watch.snapshot_pk)
                if current is None or current.time_range != watch.time_range:
                    return
                if current.version > seen or (closed_now and current.version == seen):
                    seen, complete = current.version, current.is_complete(now=now_to_second())
                    out.append(_encode(count_payload(current)))
                _release_request_thread()  # django-eventstream's re-read may have started one
            if out:
                yield "".join(out)
    finally:
        await inner.aclose()  # unregisters the listener


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


def _open(request: HttpRequest) -> Watch | HttpResponse:
    """What a new stream watches, or the problem response to answer instead."""
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
    if not _may_read(request, reader, query.validated_data["org_id"]):
        return problem_response(403, "This API key may not access this organisation's data.")
    try:
        snapshot = count_snapshot_for_stream(org=query.validated_data["org_id"], time_range=time_range)
    except (OperationalError, InterfaceError):
        unavailable = problem_response(503, "The database is unavailable; retry shortly.")
        unavailable["Retry-After"] = "5"
        return unavailable
    return Watch(snapshot.pk, time_range)


_open_in_db_thread = _in_db_thread(_open)


@require_GET
async def count_stream(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    opened = await _open_in_db_thread(request)
    if isinstance(opened, HttpResponse):
        return opened
    response = StreamingHttpResponse(count_events(opened), content_type="text/event-stream")
    add_default_headers(response, request=request)
    return response


def count_events(watch: Watch) -> AsyncIterator[str]:
    """The SSE body of one stream: registers a listener on the snapshot's channel."""
    # Built by hand rather than from the request: no session or user lookup (no query),
    # and a Last-Event-ID from an earlier connection is irrelevant (the current count
    # comes first anyway).
    event_request = EventRequest()
    event_request.channels = {channel_for(watch.snapshot_pk)}
    event_request.channel_last_ids = {}
    event_request.is_next = event_request.is_recover = False
    event_request.user = None
    listener = CountListener()
    listener.user_id = "anonymous"
    listener.channels = event_request.channels
    return _live_counts(stream(event_request, listener), listener, watch)
