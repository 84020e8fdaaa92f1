"""Aggregation snapshots: count now, persist, re-count. The API, the admin and the cron
command all call these; none of them counts on its own."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction

from activities.models import Organization
from activities.selectors import activity_breakdown, activity_breakdowns, activity_count
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from aggregations.selectors import overlapping_period, periods_current_counts
from lib.timeranges import DateTimeRange, local_dates_range, now_to_second
from record_counts.services import lock_org_counts


def _figures(snapshot: AggregationSnapshot) -> tuple[object, ...]:
    return (
        snapshot.range_start,
        snapshot.range_end,
        snapshot.activity_count,
        snapshot.participant_total,
        snapshot.by_activity_type,
        snapshot.by_status,
    )


def _apply_count(snapshot: AggregationSnapshot, time_range: DateTimeRange) -> bool:
    """Count ``time_range`` into ``snapshot`` (unsaved); True if any figure changed."""
    result = activity_breakdown(org=snapshot.org_id, time_range=time_range)
    before = _figures(snapshot)
    snapshot.range_start = time_range.start
    snapshot.range_end = time_range.end
    snapshot.activity_count = result.activity_count
    snapshot.participant_total = result.participant_total
    snapshot.by_activity_type = result.by_activity_type
    snapshot.by_status = result.by_status
    snapshot.snapshot_at = now_to_second()
    return before != _figures(snapshot)


def snapshot_create(*, org: Organization, time_range: DateTimeRange) -> AggregationSnapshot:
    """Count the organisation's activities in the range now and persist a new snapshot.

    Count and insert share one transaction: a failure leaves no snapshot behind.
    """
    with transaction.atomic():
        snapshot = AggregationSnapshot(org=org)
        _apply_count(snapshot, time_range)
        snapshot.save()
    return snapshot


def snapshot_delete(*, snapshot: AggregationSnapshot) -> bool:
    """Delete a snapshot; False if it was already gone (of two concurrent deletes, one wins)."""
    deleted, _ = AggregationSnapshot.objects.filter(pk=snapshot.pk).delete()
    return bool(deleted)


def snapshot_reaggregate(
    *, snapshot: AggregationSnapshot, time_range: DateTimeRange | None = None
) -> tuple[AggregationSnapshot, bool]:
    """Re-count a snapshot (over a new range, if given). Returns it and whether it changed.

    The row is locked while it is re-counted, so two re-aggregations of one snapshot
    never interleave; a snapshot deleted meanwhile raises ``DoesNotExist``.
    """
    with transaction.atomic():
        # of="self": locking the joined organisation row too would stall its activity writes.
        locked = AggregationSnapshot.objects.select_for_update(of=("self",)).select_related("org").get(pk=snapshot.pk)
        changed = _apply_count(locked, time_range or locked.time_range)
        locked.save()
    return locked, changed


@dataclass
class ReaggregateResult:
    checked: int = 0
    changed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


BATCH = 50


def snapshots_reaggregate(
    *,
    snapshots: Iterable[AggregationSnapshot],
    dry_run: bool = False,
    progress: Callable[[ReaggregateResult], None] | None = None,
) -> ReaggregateResult:
    """Re-count many snapshots, batched: per organisation, up to 50 snapshots share one
    grouped query, and the changed ones are written with one bulk update per batch.
    A batch that fails is counted as failed and the rest go on."""
    result = ReaggregateResult()
    by_org: dict[int, list[AggregationSnapshot]] = defaultdict(list)
    for snapshot in snapshots:
        by_org[snapshot.org_id].append(snapshot)
    for org_id, items in by_org.items():
        for i in range(0, len(items), BATCH):
            batch = items[i : i + BATCH]
            try:
                result.changed += _reaggregate_batch(org_id, batch, dry_run=dry_run)
                result.checked += len(batch)
            except DatabaseError as exc:
                result.failed += len(batch)
                result.errors.append(f"{', '.join(s.public_id for s in batch[:3])}…: {exc}")
            if progress:
                progress(result)
    return result


def _reaggregate_batch(org_id: int, batch: list[AggregationSnapshot], *, dry_run: bool) -> int:
    breakdowns = activity_breakdowns(org=org_id, time_ranges=[s.time_range for s in batch])
    now = now_to_second()
    changed = []
    for snapshot, result in zip(batch, breakdowns, strict=True):
        figures = (result.activity_count, result.participant_total, result.by_activity_type, result.by_status)
        if figures != (
            snapshot.activity_count,
            snapshot.participant_total,
            snapshot.by_activity_type,
            snapshot.by_status,
        ):
            changed.append(snapshot)
        (snapshot.activity_count, snapshot.participant_total, snapshot.by_activity_type, snapshot.by_status) = figures
        snapshot.snapshot_at = now
    if not dry_run:
        with transaction.atomic():
            # Only rows still present are updated (a concurrent DELETE wins).
            AggregationSnapshot.objects.bulk_update(
                batch, ["activity_count", "participant_total", "by_activity_type", "by_status", "snapshot_at"]
            )
    return len(changed)


class PeriodOverlap(ValueError):
    """The period overlaps one the organisation already submitted."""


def period_submit(
    *, org: Organization, period_start: dt.date, period_end: dt.date, submitted_by: str
) -> SubmittedPeriod:
    """Record that a period (inclusive local dates) was submitted to Bufdir.

    The count is computed now and frozen; ``submitted_at`` is now. Periods of one
    organisation may not overlap (checked here under the organisation's count lock,
    and by an exclusion constraint on PostgreSQL).
    """
    if period_start > period_end:
        raise ValueError("period_start must not be after period_end.")
    time_range = local_dates_range(period_start, period_end)
    with transaction.atomic():
        lock_org_counts([org.pk])
        clash = overlapping_period(org=org, first_day=period_start, last_day=period_end)
        if clash is not None:
            raise PeriodOverlap(f"Overlaps {clash} ({clash.period_start} to {clash.period_end}).")
        return SubmittedPeriod.objects.create(
            org=org,
            period_start=period_start,
            period_end=period_end,
            submitted_at=now_to_second(),
            submitted_by=submitted_by,
            activity_count=activity_count(org=org, time_range=time_range),
        )


def period_drift(*, period: SubmittedPeriod, current: int | None = None) -> tuple[int, int]:
    """(current count, current minus frozen) for a submitted period; ``current`` may come
    from ``periods_current_counts`` when a whole list is shown."""
    if current is None:
        current = periods_current_counts(periods=[period])[period.pk]
    return current, current - period.activity_count
