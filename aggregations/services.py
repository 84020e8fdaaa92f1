"""Aggregation snapshots: count now, persist, re-count. The API, the admin and the cron
command all call these; none of them counts on its own."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from activities.counting import BREAKDOWN, Tally, count_activities, tally
from activities.models import Organization
from aggregations.evidence import evidence_for
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from aggregations.selectors import overlapping_period, periods_current_counts
from lib.timeranges import DateTimeRange, local_dates_range, now_to_second, truncate_to_second
from schemes.models import SchemeVersion
from schemes.report import scheme_report

FIGURES = ["activity_count", "participant_total", "by_activity_type", "by_status", "snapshot_at"]


def _figures(snapshot: AggregationSnapshot) -> tuple[object, ...]:
    return (
        snapshot.range_start,
        snapshot.range_end,
        snapshot.activity_count,
        snapshot.participant_total,
        snapshot.by_activity_type,
        snapshot.by_status,
    )


def _store(snapshot: AggregationSnapshot, time_range: DateTimeRange, result: Tally) -> bool:
    """Put a range's figures into ``snapshot`` (unsaved); True if any figure changed."""
    before = _figures(snapshot)
    snapshot.range_start = time_range.start
    snapshot.range_end = time_range.end
    snapshot.activity_count = result.activity_count
    snapshot.participant_total = result.participant_total
    snapshot.by_activity_type = result.by(0)
    snapshot.by_status = result.by(1)
    snapshot.snapshot_at = now_to_second()
    return before != _figures(snapshot)


def _apply_count(snapshot: AggregationSnapshot, time_range: DateTimeRange) -> bool:
    """Count ``time_range`` into ``snapshot`` (unsaved), from ONE grouped query."""
    (result,) = tally(org=snapshot.org_id, ranges=[time_range], group_by=BREAKDOWN)
    return _store(snapshot, time_range, result)


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
    """Re-count a batch in one grouped query and write it. The batch's rows (only they)
    are locked first and counted over the ranges they hold then: a range moved by a
    concurrent PUT is counted as moved, never overwritten with the old range's figures;
    a snapshot deleted meanwhile drops out."""
    with transaction.atomic():
        rows = AggregationSnapshot.objects.filter(pk__in=[s.pk for s in batch]).order_by("pk")
        locked = list(rows if dry_run else rows.select_for_update())
        results = tally(org=org_id, ranges=[s.time_range for s in locked], group_by=BREAKDOWN)
        changed = sum(_store(s, s.time_range, result) for s, result in zip(locked, results, strict=True))
        if not dry_run:
            AggregationSnapshot.objects.bulk_update(locked, FIGURES)
    return changed


class PeriodOverlap(ValueError):
    """The period overlaps one the organisation already submitted."""


def period_submit(
    *,
    org: Organization,
    period_start: dt.date,
    period_end: dt.date,
    submitted_by: str,
    scheme_version: SchemeVersion | None = None,
) -> SubmittedPeriod:
    """Record that a period (inclusive local dates) was submitted to Bufdir.

    The count is computed now and frozen; ``submitted_at`` is now. Periods of one
    organisation may not overlap (checked here, and on PostgreSQL by an exclusion
    constraint, which decides between two concurrent submissions).

    With a ``scheme_version`` (a scheme's current rules, frozen with the period) the
    activities are read ONCE and judged by it: ``activity_count`` is the number of
    activities judged (the contract count of that same read), and the evidence (the counted totals
    and files, ``aggregations.evidence``) is written in the same transaction.
    """
    if period_start > period_end:
        raise ValueError("period_start must not be after period_end.")
    time_range = local_dates_range(period_start, period_end)  # RangeError outside the window
    with transaction.atomic():
        clash = overlapping_period(org=org, first_day=period_start, last_day=period_end)
        if clash is not None:
            raise PeriodOverlap(f"Overlaps {clash} ({clash.period_start} to {clash.period_end}).")
        read_snapshot, read_xid = _snapshot_now()  # before the read: what it sees, at least
        counted_at = timezone.now()
        report = None
        if scheme_version is not None:
            report = scheme_report(org=org, version=scheme_version, time_range=time_range, keep_verdicts=True)
            activity_count = report.judged_count
        else:
            activity_count = count_activities(org=org, time_range=time_range)
        try:
            with transaction.atomic():  # a savepoint: the exclusion constraint may refuse
                period = SubmittedPeriod.objects.create(
                    org=org,
                    period_start=period_start,
                    period_end=period_end,
                    submitted_at=truncate_to_second(counted_at.astimezone(dt.UTC)),
                    submitted_by=submitted_by,
                    activity_count=activity_count,
                    scheme_version=scheme_version,
                    read_snapshot=read_snapshot,
                    read_xid=read_xid,
                )
        except IntegrityError:
            raise PeriodOverlap("Overlaps a period submitted at the same moment.") from None
        if report is not None:
            evidence_for(report, period=period, counted_at=counted_at).save()
        return period


def _snapshot_now() -> tuple[str, str]:
    """PostgreSQL's snapshot of committed transactions right now ("" elsewhere). Taken
    just before a submission reads the activities, every transaction it sees is in the
    read, so the history events it does not see are changes since (or, for a write that
    commits during the read itself, at) the submission: none is ever missed. SQLite needs
    none: its one writer means no write can commit between a submission's read and its
    own write (the submission then fails on a stale snapshot instead)."""
    if connection.vendor != "postgresql":
        return "", ""
    with connection.cursor() as cursor:
        # The submitting transaction's own earlier writes are in its read too, though the
        # snapshot lists them as in progress: its id goes with it.
        cursor.execute("SELECT pg_current_snapshot()::text, pg_current_xact_id_if_assigned()::text")
        snapshot, own = cursor.fetchone()
    return str(snapshot), own or ""


def period_drift(*, period: SubmittedPeriod, current: int | None = None) -> tuple[int, int]:
    """(current count, current minus frozen) for a submitted period; ``current`` may come
    from ``periods_current_counts`` when a whole list is shown."""
    if current is None:
        current = periods_current_counts(periods=[period])[period.pk]
    return current, current - period.activity_count
