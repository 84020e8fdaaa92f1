"""Redis outages: publishing stays bounded, streams fall back to in-process delivery,
and the relay from Redis to this process's streams comes back by itself.

django-eventstream, as shipped, (1) publishes with redis-py's default retries (up to
three, with backoff) and no read timeout, so a write's after-commit publish could stall
its request for seconds, or forever on a hung network; (2) delivers an event *only*
through Redis once Redis is configured, so while Redis is down even the streams in the
publishing process get nothing; (3) runs its Redis subscriber as one task that dies on
the first connection error and is never restarted, so after a Redis restart no stream
gets an event again until the process restarts. ``install()`` (called from the app's
``ready()``) replaces its publishing client with a bounded one and its subscriber with
``ResilientRedisListener``; ``record_counts.events`` falls back to local delivery.

After the subscriber reconnects, every open stream re-reads its count (it is marked as
having lost events), so events published by other processes during the outage are not
missed: each stream ends on the current count.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from django.conf import settings
from django_eventstream.event import Event
from django_eventstream.views import RedisListener, get_listener_manager

logger = logging.getLogger(__name__)

CHANNEL = "events_channel"  # django-eventstream's pub/sub channel
SOCKET_TIMEOUT = 1.0  # connect, handshake and command replies (a publish is ~0.1 ms on a LAN)
PONG_TIMEOUT = 3.0  # no answer to that ping: the link is dead, reconnect
BACKOFF_MAX = 5.0
DOWN_FOR = 2.0  # after a failed publish, deliver locally without trying Redis for this long

_down_until = 0.0


def redis_kwargs() -> dict[str, Any]:
    """EVENTSTREAM_REDIS with bounded timeouts and no hidden retries (we decide what to do)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    kwargs = dict(settings.EVENTSTREAM_REDIS)
    for name in ("socket_connect_timeout", "socket_timeout"):
        kwargs[name] = min(kwargs.get(name) or SOCKET_TIMEOUT, SOCKET_TIMEOUT)
    # One immediate retry: a pooled connection left dead by a Redis restart fails once,
    # then a fresh one works. Never redis-py's default retries with backoff.
    kwargs["retry"] = Retry(NoBackoff(), 1)
    return kwargs


def redis_skipped() -> bool:
    """True shortly after a publish failed: don't make every write wait for a dead Redis."""
    return time.monotonic() < _down_until


def publish_failed() -> None:
    global _down_until
    _down_until = time.monotonic() + DOWN_FOR


def deliver_locally(channel: str, event_type: str, data: str) -> None:
    """Hand an event (JSON text) to this process's streams, as the Redis relay would."""
    get_listener_manager().add_to_queues(channel, Event(channel, event_type, data))


def mark_all_streams_stale() -> int:
    """Make every open stream of this process re-read its count; returns how many."""
    manager = get_listener_manager()
    with manager.lock:
        listeners = {listener for group in manager.listeners_by_channel.values() for listener in group}
        for listener in listeners:
            listener.overflow = True  # the stream re-reads, as after dropped events
    for listener in listeners:
        listener.wake_threadsafe()
    return len(listeners)


class ResilientRedisListener(RedisListener):
    """django-eventstream's subscriber, made to survive Redis outages (see module doc)."""

    def __init__(self) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.redis_client = Redis(**{**redis_kwargs(), "retry": Retry(NoBackoff(), 0)})
        self.pubsub = self.redis_client.pubsub()
        self.had_outage = False  # events may have been missed since the last subscription
        self.heartbeat = float(settings.EVENTS_REDIS_HEARTBEAT)  # silence before a ping

    async def start(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self.had_outage:
                    logger.warning("Redis relay lost (%s); streams get this process's events only; retrying", exc)
                self.had_outage = True
                with contextlib.suppress(Exception):  # the connection is already broken
                    await self.pubsub.aclose()
                self.pubsub = self.redis_client.pubsub()
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
            else:
                delay = 0.5

    async def listen(self) -> None:
        await self.pubsub.subscribe(CHANNEL)
        confirmed = await self.pubsub.get_message(timeout=SOCKET_TIMEOUT)
        if not confirmed or confirmed["type"] != "subscribe":
            raise ConnectionError(f"no subscription confirmation from Redis: {confirmed!r}")
        if self.had_outage:
            stale = mark_all_streams_stale()
            logger.warning("Redis relay back; %s open streams re-read their counts", stale)
            self.had_outage = False
        last_heard, pinged = time.monotonic(), False
        while True:
            message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            now = time.monotonic()
            if message is not None:
                last_heard, pinged = now, False
                if message["type"] == "message":
                    try:
                        self.dispatch(message["data"])
                    except (ValueError, KeyError, TypeError):
                        logger.exception("ignored a malformed event from Redis")
            elif not pinged and now - last_heard > self.heartbeat:
                await self.pubsub.ping()
                pinged = True
            elif pinged and now - last_heard > self.heartbeat + PONG_TIMEOUT:
                raise ConnectionError("Redis did not answer a ping")

    @staticmethod
    def dispatch(raw: bytes | str) -> None:
        event = json.loads(raw)
        channel = event["channel"]
        get_listener_manager().add_to_queues(
            channel, Event(channel, event["event_type"], event["data"], id=event["pub_id"])
        )


def install() -> None:
    """Swap django-eventstream's Redis clients for the bounded, resilient ones (if Redis is on)."""
    if not getattr(settings, "EVENTSTREAM_REDIS", None):
        return
    import redis
    from django_eventstream import eventstream

    eventstream.redis_client = redis.Redis(**redis_kwargs())
    manager = get_listener_manager()
    if not manager.redis_listener_started:
        manager.redis_listener = ResilientRedisListener()
