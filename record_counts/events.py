"""Live count events: one channel per count snapshot, absolute counts, sent after commit.

Every event carries the snapshot's current count (not a delta), so a client that
misses events, overflows or reconnects is right again with the next one it gets.
Each event also carries the snapshot's ``version`` (bumped with every change of the
count, in the same UPDATE) under ``VERSION_KEY``: two publishers that commit one
after the other may still *send* in the other order (threads, processes, Redis), and
the stream forwards an event only when its version is newer than the last one it
forwarded (record_counts.stream), so the last count a client sees is the final one.
``RANGE_KEY`` names the range the count is of: a PUT may move a snapshot to another
range, and a stream of the old range must not show the new range's count. Both keys
are stripped before the event reaches the client (the contract's shape).
Across processes events travel through Redis (EVENTSTREAM_REDIS, set from REDIS_URL);
while Redis is unreachable they reach the streams of the publishing process only
(record_counts.relay).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django_eventstream import send_event
from redis.exceptions import RedisError

from lib.timeranges import DateTimeRange, isoformat_z, now_to_second
from record_counts import relay
from record_counts.selectors import LiveCount, live_counts

logger = logging.getLogger(__name__)
EVENT_TYPE = "message"  # what EventSource.onmessage receives
DELETED_EVENT = "snapshot-deleted"
VERSION_KEY = "_version"
RANGE_KEY = "_range"


def channel_for(snapshot_pk: int) -> str:
    return f"{settings.EVENTS_CHANNEL_PREFIX}count-snapshot-{snapshot_pk}"


def range_key(time_range: DateTimeRange) -> str:
    """A range as a string that compares equal exactly when the ranges are equal."""
    return f"{time_range.start.astimezone(dt.UTC):%Y%m%dT%H%M%S.%f}/{time_range.end.astimezone(dt.UTC):%Y%m%dT%H%M%S}"


def count_payload(live: LiveCount) -> dict[str, Any]:
    """The contract's event shape, stamped now, plus the internal version."""
    now = now_to_second()
    return {
        "org_id": live.org_id,
        "record_count": live.record_count,
        "is_complete": live.is_complete(now=now),
        "timestamp": isoformat_z(now),
        VERSION_KEY: live.version,
        RANGE_KEY: range_key(live.time_range),
    }


def publish_counts(snapshot_pks: Iterable[int]) -> int:
    """Send each snapshot's committed count to its channel; returns how many were sent.

    Called from ``transaction.on_commit``, once per transaction with every snapshot it
    changed (coalesced: a 10,000-row import is one event per snapshot). A failure to
    publish is logged, never raised into the request that already committed (the next
    change or reconnect repairs it).
    """
    sent = 0
    for live in live_counts(snapshot_pks=snapshot_pks):
        try:
            _send(channel_for(live.snapshot_pk), EVENT_TYPE, count_payload(live))
            sent += 1
        except Exception:
            logger.exception("could not publish the count of snapshot %s", live.snapshot_pk)
    return sent


def _send(channel: str, event_type: str, data: dict[str, Any]) -> None:
    """Publish through Redis; when Redis fails (bounded: record_counts.relay), deliver to
    this process's streams instead, so they keep working while Redis is away."""
    if not relay.redis_skipped():
        try:
            send_event(channel, event_type, data)
            return
        except RedisError as exc:
            relay.publish_failed()
            logger.warning("Redis unavailable (%s): event for %s delivered in this process only", exc, channel)
    relay.deliver_locally(channel, event_type, json.dumps(data, cls=DjangoJSONEncoder))


def publish_deleted(snapshot_pk: int) -> None:
    """Tell the streams watching a deleted (or moved) snapshot to end; their client reconnects."""
    try:
        _send(channel_for(snapshot_pk), DELETED_EVENT, {})
    except Exception:
        logger.exception("could not publish the deletion of snapshot %s", snapshot_pk)
