"""Aggregation snapshots: count now, persist, re-count. The API, the admin and the cron
command all call these; none of them counts on its own."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from activities.models import Organization
from activities.selectors import activity_breakdown
from aggregations.models import AggregationSnapshot
from bufdir_project.timeranges import DateTimeRange, now_to_second


def _apply_count(snapshot: AggregationSnapshot, time_range: DateTimeRange) -> bool:
    """Count ``time_range`` into ``snapshot`` (unsaved); True if any figure changed."""
    result = activity_breakdown(org=snapshot.org_id, time_range=time_range)
    before = (
        snapshot.range_start,
        snapshot.range_end,
        snapshot.activity_count,
        snapshot.participant_total,
        snapshot.by_activity_type,
        snapshot.by_status,
    )
    snapshot.range_start = time_range.start
    snapshot.range_end = time_range.end
    snapshot.activity_count = result.activity_count
    snapshot.participant_total = result.participant_total
    snapshot.by_activity_type = result.by_activity_type
    snapshot.by_status = result.by_status
    snapshot.snapshot_at = now_to_second()
    after = (
        snapshot.range_start,
        snapshot.range_end,
        snapshot.activity_count,
        snapshot.participant_total,
        snapshot.by_activity_type,
        snapshot.by_status,
    )
    return before != after


def snapshot_create(*, org: Organization, time_range: DateTimeRange) -> AggregationSnapshot:
    """Count the organisation's activities in the range now and persist a new snapshot."""
    snapshot = AggregationSnapshot(org=org)
    _apply_count(snapshot, time_range)
    snapshot.save()
    return snapshot


def snapshot_reaggregate(
    *, snapshot: AggregationSnapshot, time_range: DateTimeRange | None = None
) -> tuple[AggregationSnapshot, bool]:
    """Re-count a snapshot (over a new range, if given). Returns it and whether it changed.

    The row is locked while it is re-counted, so two re-aggregations of one snapshot
    never interleave; a snapshot deleted meanwhile raises ``DoesNotExist``.
    """
    with transaction.atomic():
        locked = AggregationSnapshot.objects.select_for_update().select_related("org").get(pk=snapshot.pk)
        changed = _apply_count(locked, time_range or locked.time_range)
        locked.save()
    return locked, changed


def snapshots_reaggregate(*, snapshots: Iterable[AggregationSnapshot]) -> tuple[int, int]:
    """Re-count many snapshots; returns (checked, changed). One grouped query each."""
    checked = changed = 0
    for snapshot in snapshots:
        try:
            _, did_change = snapshot_reaggregate(snapshot=snapshot)
        except AggregationSnapshot.DoesNotExist:
            continue
        checked += 1
        changed += did_change
    return checked, changed
