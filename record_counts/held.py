"""Hold mode: a stream request signed by Pushpin is answered at once with the current
count and ``Grip-Hold: stream``, and Pushpin keeps the client's connection (GRIP:
record_counts/grip.py, docs/stream.md "Hold mode"). Django keeps nothing.

``hold`` is sync: the async stream view runs it in its database threads under ASGI, and
under WSGI ``WsgiHoldMiddleware`` answers with it before the async view is reached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core import signing
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from activities.counting import OrgState, live_counts
from api_keys.services import api_key_still_covers
from lib.api.exceptions import problem_response
from lib.timeranges import DateTimeRange, now_to_second
from record_counts import grip
from record_counts.hub import LiveCount
from record_counts.opening import KEEP_ALIVE, OPENING, encode, open_stream
from record_counts.watched import Watched, registry

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


def _held_response(
    request: HttpRequest, entry: Watched, key_pk: int | None, *, first: bool, org: OrgState | None = None
) -> tuple[HttpResponse, Watched | None, str]:
    """A ``Grip-Hold: stream`` answer: the count unless the client shows it already
    (``org``: the organisation's state as the opening read it)."""
    channel = grip.range_channel(entry.org_pk, entry.time_range)
    last = None if first else _grip_last(request, channel)
    known = registry().last_id(entry) if last is not None else None
    body = OPENING if first else ""
    if last is None or known is None or last != known:
        n = live_counts(org=entry.org_pk, ranges=[entry.time_range], known=org)[0]
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


def hold(request: HttpRequest) -> tuple[HttpResponse, Watched | None, str]:
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
            return _held_response(request, Watched(org_pk, org_id, time_range), key_pk, first=False)
        opened = open_stream(request)
        if isinstance(opened, HttpResponse):
            return opened, None, ""
        org, time_range, reader = opened
        key_pk = reader.key.pk if reader is not None else None
        return _held_response(request, Watched(org.pk, org.org_id, time_range), key_pk, first=True, org=org)
    except (OperationalError, InterfaceError):
        unavailable = problem_response(503, "The database is unavailable; retry shortly.")
        unavailable["Retry-After"] = "5"
        return unavailable, None, ""


class WsgiHoldMiddleware:
    """Under WSGI (gunicorn), answer a Pushpin-signed stream request here, in the worker's
    own thread. The stream view is async (for daphne, where it holds direct streams), and
    Django runs an async view under WSGI through ``async_to_sync``: a thread and an event
    loop per request, then a hop to another thread for the database work, which was half
    the CPU of a hold (figure 4 in docs/performance.md). Placed after the authentication
    middleware (a coordinator's session is a reader). Under ASGI it only passes on; a
    request without ``Grip-Sig`` costs one header lookup."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async or "HTTP_GRIP_SIG" not in request.META or request.method != "GET":
            return self.get_response(request)  # (under ASGI: the coroutine, awaited by Django)
        try:
            view = resolve(request.path_info).func
        except Resolver404:
            return self.get_response(request)
        if getattr(view, "holds_when_signed", False) and grip.is_signed(request):
            return hold(request)[0]
        return self.get_response(request)
