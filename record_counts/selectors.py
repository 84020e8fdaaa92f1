"""Reads of count snapshots (writes are in record_counts.services)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from activities.models import Organization
from lib.timeranges import DateTimeRange
from record_counts.models import CountSnapshot


@dataclass(frozen=True)
class LiveCount:
    """A snapshot's committed count, as one consistent read of its row."""

    snapshot_pk: int
    org_id: str
    range_start: dt.datetime
    range_end: dt.datetime
    record_count: int
    version: int

    def is_complete(self, *, now: dt.datetime) -> bool:
        return self.time_range.is_complete(now=now)

    @property
    def time_range(self) -> DateTimeRange:
        return DateTimeRange(self.range_start, self.range_end)


def count_snapshot_list() -> QuerySet[CountSnapshot]:
    """Every snapshot with its organisation, newest first (deterministic for paging)."""
    return CountSnapshot.objects.select_related("org").order_by("-snapshot_at", "-id")


def count_snapshot_for_range(*, org: Organization, time_range: DateTimeRange) -> CountSnapshot | None:
    """The organisation's snapshot of exactly that range, if any."""
    return CountSnapshot.objects.filter(org=org, range_start=time_range.start, range_end=time_range.end).first()


def live_counts(*, snapshot_pks: Iterable[int]) -> list[LiveCount]:
    """The committed counts of these snapshots, in one query (absent ones are left out)."""
    rows = (
        CountSnapshot.objects.filter(pk__in=sorted(set(snapshot_pks)))
        .order_by("pk")
        .values_list("pk", "org__org_id", "range_start", "range_end", "record_count", "version")
    )
    return [LiveCount(*row) for row in rows]
