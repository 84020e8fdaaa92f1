"""Reads of count snapshots: their counts are read live, through the counting core."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.db.models import QuerySet

from activities.counting import live_counts
from activities.models import Organization
from lib.timeranges import DateTimeRange, now_to_second
from record_counts.models import CountSnapshot


def count_snapshot_list() -> QuerySet[CountSnapshot]:
    """Every snapshot with its organisation, newest first (deterministic for paging)."""
    return CountSnapshot.objects.select_related("org").order_by("-snapshot_at", "-id")


def count_snapshot_for_range(*, org: Organization, time_range: DateTimeRange) -> CountSnapshot | None:
    """The organisation's snapshot of exactly that range, if any."""
    return CountSnapshot.objects.filter(org=org, range_start=time_range.start, range_end=time_range.end).first()


def with_live_counts(snapshots: Sequence[CountSnapshot]) -> Sequence[CountSnapshot]:
    """Give each snapshot its live count: ``record_count`` counted now, ``snapshot_at``
    the instant it is exact as of. Per organisation among them: one marker lookup, and
    one counting query for the ranges not cached in its current state. Not saved.

    A snapshot stored before the supported window was enforced may hold a range no
    count can be built for (ending in the last second Python can hold): it keeps its
    stored figure."""
    by_org: dict[int, list[CountSnapshot]] = defaultdict(list)
    for snapshot in snapshots:
        if snapshot.has_countable_range:
            by_org[snapshot.org_id].append(snapshot)
    for org_pk, items in by_org.items():
        now = now_to_second()  # before the count: the count is exact at least as of now
        for snapshot, n in zip(items, live_counts(org=org_pk, ranges=[s.time_range for s in items]), strict=True):
            snapshot.record_count, snapshot.snapshot_at = n, now
    return snapshots
