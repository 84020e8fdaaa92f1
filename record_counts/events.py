"""Live count events: one channel per count snapshot, absolute counts, sent after commit.

Every event carries the snapshot's current count (not a delta), so a client that
misses events, overflows or reconnects is right again with the next one it gets.
Across processes events travel through Redis (EVENTSTREAM_REDIS, set from REDIS_URL).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django_eventstream import send_event

from bufdir_project.timeranges import isoformat_z, now_to_second
from record_counts.models import CountSnapshot

logger = logging.getLogger(__name__)
EVENT_TYPE = "message"  # what EventSource.onmessage receives


def channel_for(snapshot_pk: int) -> str:
    return f"count-snapshot-{snapshot_pk}"


def count_payload(*, org_id: str, record_count: int, is_complete: bool) -> dict[str, Any]:
    """The contract's event shape."""
    return {
        "org_id": org_id,
        "record_count": record_count,
        "is_complete": is_complete,
        "timestamp": isoformat_z(now_to_second()),
    }


def publish_counts(snapshot_pks: Iterable[int]) -> int:
    """Send each snapshot's committed count to its channel; returns how many were sent.

    Called from ``transaction.on_commit``: a failure to publish is logged, never raised
    into the request that already committed (the next change or reconnect repairs it).
    """
    pks = sorted(set(snapshot_pks))
    if not pks:
        return 0
    now = now_to_second()
    sent = 0
    rows = CountSnapshot.objects.filter(pk__in=pks).values_list("pk", "org__org_id", "range_end", "record_count")
    for pk, org_id, range_end, record_count in rows:
        payload = count_payload(
            org_id=org_id, record_count=record_count, is_complete=range_end.replace(microsecond=0) < now
        )
        try:
            send_event(channel_for(pk), EVENT_TYPE, payload)
            sent += 1
        except Exception:
            logger.exception("could not publish the count of snapshot %s", pk)
    return sent
