"""GRIP: the stream held by Pushpin instead of by Django (docs/stream.md, "Hold mode").

A stream request that arrives through Pushpin carries ``Grip-Sig``, a JWT (HS256) that
Pushpin signs with its ``sig_key``. When ``GRIP_KEY`` is set and the signature verifies,
the view answers at once with the opening padding and the current count as the body and
these instructions, and Pushpin keeps the client's connection:

- ``Grip-Hold: stream``;
- ``Grip-Channel``: the range's channel (``<prefix>rc.<org pk>.<start µs>.<end µs>``),
  with ``prev-id`` = the id of the count just sent; the range's end channel (the same
  name + ``.end``), on which deleting the range's count snapshot publishes ``close``;
  and, for a reader with an API key, the key's channel (``<prefix>key.<key pk>``), on
  which a revocation publishes ``close``;
- ``Grip-Keep-Alive``: the same comment as the direct stream, every
  ``STREAM_KEEPALIVE_SECONDS``;
- ``Grip-Link: <...>; rel=next; timeout=GRIP_NEXT_SECONDS``: Pushpin re-requests it
  periodically and whenever a published count does not follow the client's last one
  (a gap: ``prev-id`` mismatch). That request re-checks the reader, refreshes the
  range in the watched registry, and sends the current count if the client's last id
  (``Grip-Last``) is not it.

A count's id is its state, ``<record_count>-<0|1 is_complete>``: content-addressed, so
"the client's last id is the channel's last id" means "the client shows the current
count", and no sequence counter has to be shared between processes. Requests without a
valid signature are served as before (the direct stream).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from lib.timeranges import DateTimeRange

logger = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
PUBLISH_TIMEOUT = 2.0


def enabled() -> bool:
    return bool(getattr(settings, "GRIP_KEY", ""))


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_sig(token: str, *, key: str | None = None, now: float | None = None) -> bool:
    """Whether ``token`` is a JWT (HS256) signed with the GRIP key and not expired."""
    key = settings.GRIP_KEY if key is None else key
    if not key or not token:
        return False
    try:
        header_b64, payload_b64, sig_b64 = token.split(".")
        header = json.loads(_b64decode(header_b64))
        if header.get("alg") != "HS256":
            return False
        expected = hmac.new(key.encode(), f"{header_b64}.{payload_b64}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64decode(sig_b64)):
            return False
        payload = json.loads(_b64decode(payload_b64))
    except (ValueError, TypeError, AttributeError):
        return False
    exp = payload.get("exp") if isinstance(payload, dict) else None
    return isinstance(exp, int | float) and exp > (time.time() if now is None else now)


def is_signed(request: HttpRequest) -> bool:
    return enabled() and verify_sig(request.META.get("HTTP_GRIP_SIG", ""))


def _micros(instant: dt.datetime) -> int:
    return (instant - EPOCH) // dt.timedelta(microseconds=1)


def range_channel(org_pk: int, time_range: DateTimeRange) -> str:
    return f"{settings.EVENTS_CHANNEL_PREFIX}rc.{org_pk}.{_micros(time_range.start)}.{_micros(time_range.end)}"


def range_end_channel(org_pk: int, time_range: DateTimeRange) -> str:
    """Where a ``close`` for the range's streams goes. Not the count channel: that one has
    ``prev-id`` sequencing, and Pushpin treats an item that does not follow the client's
    last id as a gap to recover (a re-request), not as the close it carries."""
    return range_channel(org_pk, time_range) + ".end"


def key_channel(key_pk: int) -> str:
    return f"{settings.EVENTS_CHANNEL_PREFIX}key.{key_pk}"


def state_id(record_count: int, is_complete: bool) -> str:
    return f"{record_count}-{int(is_complete)}"


def keep_alive_header(comment: str) -> str:
    cstring = comment.replace("\\", "\\\\").replace("\n", "\\n")
    return f"{cstring}; format=cstring; timeout={int(settings.STREAM_KEEPALIVE_SECONDS)}"


def stream_item(channel: str, content: str, *, id: str | None = None, prev_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"channel": channel, "formats": {"http-stream": {"content": content}}}
    if id is not None:
        item["id"] = id
    if prev_id is not None:
        item["prev-id"] = prev_id
    return item


def close_item(channel: str) -> dict[str, Any]:
    return {"channel": channel, "formats": {"http-stream": {"action": "close"}}}


def publish_urls() -> list[str]:
    return [u.strip().rstrip("/") for u in str(getattr(settings, "GRIP_PUBLISH_URL", "")).split(",") if u.strip()]


def publish(items: Iterable[dict[str, Any]]) -> bool:
    """POST items to every Pushpin's publish endpoint (``GRIP_PUBLISH_URL``, comma-separated:
    Pushpin instances share nothing, so each gets every publish). True if all took them."""
    items = list(items)
    if not items:
        return True
    body = json.dumps({"items": items}).encode()
    ok = True
    for url in publish_urls():
        try:
            _post(url + "/publish/", body)
        except (OSError, http.client.HTTPException) as exc:
            ok = False
            logger.warning("could not publish %s item(s) to Pushpin at %s: %s", len(items), url, exc)
    return ok


# Each thread keeps one HTTP/1.1 connection per Pushpin (a publish is on the path from a
# write to every screen: a new TCP connection and urllib's set-up each time were about
# a millisecond of it). Threads: the publisher's sends, and requests that close streams.
_connections = threading.local()


def _post(url: str, body: bytes) -> None:
    parts = urllib.parse.urlsplit(url)
    held: dict[str, http.client.HTTPConnection] = _connections.__dict__.setdefault("by_host", {})
    key = f"{parts.scheme}://{parts.netloc}"
    for attempt in (1, 2):
        conn = held.get(key)
        reused = conn is not None
        if conn is None:
            kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            conn = held[key] = kind(parts.netloc, timeout=PUBLISH_TIMEOUT)
        try:
            conn.request("POST", parts.path, body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            held.pop(key, None)
            # A kept connection that Pushpin closed meanwhile fails before any answer:
            # try once more on a fresh one (a duplicate publish is harmless: its prev-id
            # no longer matches, so Pushpin only re-checks through the next link).
            if reused and attempt == 1:
                continue
            raise
        if response.will_close:
            conn.close()
            held.pop(key, None)
        if response.status >= 300:
            raise http.client.HTTPException(f"HTTP {response.status} {response.reason}")
        return


def close_channels(channels: Iterable[str]) -> None:
    """End every held stream on these channels (after commit: a revoked key, a deleted snapshot)."""
    if enabled() and publish_urls():
        publish(close_item(c) for c in channels)
