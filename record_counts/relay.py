"""Carries "activities changed" from the process that wrote to every process with streams.

``announce`` is subscribed to ``activities.events`` (in ``RecordCountsConfig.ready``):
after each commit it publishes the change on one Redis pub/sub channel
(``<EVENTS_CHANNEL_PREFIX>activities-changed``) when ``REDIS_URL`` is set, or hands it
to this process's hub directly when it is not (a single process still works).
``Subscriber`` runs in every process that serves streams and feeds what arrives on
that channel to its hub.

Redis outages stay bounded: a publish has a 1 s socket timeout and no hidden retries;
when it fails, the change goes to this process's hub instead and Redis is skipped for
``DOWN_FOR`` seconds, so writes never wait on a dead Redis. The subscriber reconnects
with backoff, pings Redis after ``EVENTS_REDIS_HEARTBEAT`` seconds of silence to notice
a dead link, and after every reconnect makes the hub re-read every watched range, so
announcements published during the outage are not missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import time
from typing import Any

from django.conf import settings
from redis.exceptions import RedisError

from activities.events import ActivitiesChanged
from record_counts.hub import all_hubs

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT = 1.0  # connect, handshake and command replies (a publish is ~0.1 ms on a LAN)
PONG_TIMEOUT = 3.0  # no answer to a ping within this: the link is dead, reconnect
BACKOFF_MAX = 5.0
DOWN_FOR = 2.0  # after a failed publish, deliver locally without trying Redis for this long

_down_until = 0.0
_client: Any = None


def channel() -> str:
    return f"{settings.EVENTS_CHANNEL_PREFIX}activities-changed"


def redis_kwargs() -> dict[str, Any]:
    """EVENTS_REDIS with bounded timeouts and one immediate retry (a pooled
    connection left dead by a Redis restart fails once, then a fresh one works)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    kwargs = dict(settings.EVENTS_REDIS)
    for name in ("socket_connect_timeout", "socket_timeout"):
        kwargs[name] = min(kwargs.get(name) or SOCKET_TIMEOUT, SOCKET_TIMEOUT)
    kwargs["retry"] = Retry(NoBackoff(), 1)
    return kwargs


def encode(changes: list[ActivitiesChanged]) -> str:
    return json.dumps(
        [{"org": c.org_pk, "spans": [[a.isoformat(), b.isoformat()] for a, b in c.spans]} for c in changes]
    )


def decode(raw: bytes | str) -> list[ActivitiesChanged]:
    return [
        ActivitiesChanged(
            int(item["org"]),
            tuple((dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in item["spans"]),
        )
        for item in json.loads(raw)
    ]


def deliver_locally(changes: list[ActivitiesChanged]) -> None:
    for hub in all_hubs():
        hub.changed(changes)


def announce(changes: list[ActivitiesChanged]) -> None:
    """The listener of committed activity changes: to Redis, or to this process's hub."""
    global _down_until, _client
    if not getattr(settings, "EVENTS_REDIS", None):
        deliver_locally(changes)
        return
    if time.monotonic() >= _down_until:
        try:
            if _client is None:
                import redis

                _client = redis.Redis(**redis_kwargs())
            _client.publish(channel(), encode(changes))
            return
        except RedisError as exc:
            _down_until = time.monotonic() + DOWN_FOR
            logger.warning("Redis unavailable (%s): activity changes reach this process's streams only", exc)
    deliver_locally(changes)


class Subscriber:
    """Feeds the Redis channel to this process's hub, surviving Redis outages."""

    def __init__(self) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.client = Redis(**{**redis_kwargs(), "retry": Retry(NoBackoff(), 0)})
        self.heartbeat = float(settings.EVENTS_REDIS_HEARTBEAT)
        self.had_outage = False
        self.connected = asyncio.Event()

    async def run(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.connected.clear()
                if not self.had_outage:
                    logger.warning("Redis relay lost (%s); streams get this process's changes only; retrying", exc)
                self.had_outage = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
            else:
                delay = 0.5

    async def _listen(self) -> None:
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(channel())
            confirmed = await pubsub.get_message(timeout=SOCKET_TIMEOUT)
            if not confirmed or confirmed["type"] != "subscribe":
                raise ConnectionError(f"no subscription confirmation from Redis: {confirmed!r}")
            self.connected.set()
            if self.had_outage:
                stale = sum(hub.refresh_all() for hub in all_hubs())
                logger.warning("Redis relay back; %s watched ranges re-read", stale)
                self.had_outage = False
            last_heard, pinged = time.monotonic(), False
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                now = time.monotonic()
                if message is not None:
                    last_heard, pinged = now, False
                    if message["type"] == "message":
                        try:
                            deliver_locally(decode(message["data"]))
                        except (ValueError, KeyError, TypeError):
                            logger.exception("ignored a malformed announcement from Redis")
                elif not pinged and now - last_heard > self.heartbeat:
                    await pubsub.ping()
                    pinged = True
                elif pinged and now - last_heard > self.heartbeat + PONG_TIMEOUT:
                    raise ConnectionError("Redis did not answer a ping")
        finally:
            with contextlib.suppress(Exception):  # the connection may already be broken
                await pubsub.aclose()


_subscriber_task: asyncio.Task[None] | None = None
_subscriber: Subscriber | None = None


async def ensure_subscribed() -> None:
    """Start this process's subscriber (once per event loop) and wait briefly for it, so
    a stream opened right after start-up does not miss the first announcements."""
    global _subscriber_task, _subscriber
    if not getattr(settings, "EVENTS_REDIS", None):
        return
    loop = asyncio.get_running_loop()
    if _subscriber_task is None or _subscriber_task.done() or _subscriber_task.get_loop() is not loop:
        _subscriber = Subscriber()
        _subscriber_task = loop.create_task(_subscriber.run())
        with contextlib.suppress(TimeoutError):  # only the first stream waits, and briefly
            await asyncio.wait_for(_subscriber.connected.wait(), timeout=SOCKET_TIMEOUT)
