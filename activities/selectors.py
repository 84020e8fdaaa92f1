"""Reads of activities: the one place that counts them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Aggregate, Count, Q, Sum
from django.db.models.functions import TruncMonth

from activities.models import Activity, Organization
from lib.timeranges import DateTimeRange, reporting_zone


def activity_count(*, org: Organization | int, time_range: DateTimeRange) -> int:
    """How many of the organisation's activities (any status) lie in the range; one query."""
    return Activity.objects.for_org(org).in_range(time_range).count()


@dataclass(frozen=True)
class Breakdown:
    """Counts of one organisation's activities in a range, with their breakdowns."""

    activity_count: int
    participant_total: int
    by_activity_type: dict[str, int]
    by_status: dict[str, int]


def activity_breakdown(*, org: Organization | int, time_range: DateTimeRange) -> Breakdown:
    """Count, participant total and per-type/per-status counts from ONE grouped query.

    ``COUNT(*)`` and the grouped columns are all in the covering (org, recorded_at)
    index, so on PostgreSQL this is an index-only scan.
    """
    rows = (
        Activity.objects.for_org(org)
        .in_range(time_range)
        .order_by()
        .values_list("activity_type", "status")
        .annotate(n=Count("*"), participants=Sum("participant_count"))
    )
    by_type: dict[str, int] = defaultdict(int)
    by_status: dict[str, int] = defaultdict(int)
    total = participants = 0
    for activity_type, status, n, p in rows:
        by_type[activity_type] += n
        by_status[status] += n
        total += n
        participants += p or 0
    return Breakdown(
        activity_count=total,
        participant_total=participants,
        by_activity_type=dict(sorted(by_type.items())),
        by_status=dict(sorted(by_status.items())),
    )


def activity_breakdowns(*, org: Organization | int, time_ranges: list[DateTimeRange]) -> list[Breakdown]:
    """``activity_breakdown`` for many ranges of one organisation in ONE grouped query.

    Each range is a pair of filtered aggregates over the envelope of all the ranges
    (still the covering index), so re-aggregating many snapshots costs one round trip
    per batch instead of one per snapshot.
    """
    if not time_ranges:
        return []
    envelope = DateTimeRange(min(r.start for r in time_ranges), max(r.end for r in time_ranges))
    aggregates: dict[str, Aggregate] = {}
    for i, r in enumerate(time_ranges):
        inside = Q(recorded_at__gte=r.start, recorded_at__lt=r.end_exclusive)
        aggregates[f"n{i}"] = Count("recorded_at", filter=inside)  # non-null, in the index
        aggregates[f"p{i}"] = Sum("participant_count", filter=inside)
    rows = (
        Activity.objects.for_org(org)
        .in_range(envelope)
        .order_by()
        .values("activity_type", "status")
        .annotate(**aggregates)
    )
    results: list[Breakdown] = [Breakdown(0, 0, {}, {}) for _ in time_ranges]
    by_type: list[dict[str, int]] = [defaultdict(int) for _ in time_ranges]
    by_status: list[dict[str, int]] = [defaultdict(int) for _ in time_ranges]
    totals = [[0, 0] for _ in time_ranges]
    for row in rows:
        for i in range(len(time_ranges)):
            n = row[f"n{i}"]
            if n:
                by_type[i][row["activity_type"]] += n
                by_status[i][row["status"]] += n
                totals[i][0] += n
                totals[i][1] += row[f"p{i}"] or 0
    for i in range(len(time_ranges)):
        results[i] = Breakdown(
            activity_count=totals[i][0],
            participant_total=totals[i][1],
            by_activity_type=dict(sorted(by_type[i].items())),
            by_status=dict(sorted(by_status[i].items())),
        )
    return results


def activity_counts(*, org: Organization | int, time_ranges: list[DateTimeRange]) -> list[int]:
    """``activity_count`` for many ranges of one organisation in ONE query (one filtered
    count per range over their envelope), for lists that show a count per row."""
    if not time_ranges:
        return []
    envelope = DateTimeRange(min(r.start for r in time_ranges), max(r.end for r in time_ranges))
    totals = (
        Activity.objects.for_org(org)
        .in_range(envelope)
        .aggregate(
            **{
                f"n{i}": Count("recorded_at", filter=Q(recorded_at__gte=r.start, recorded_at__lt=r.end_exclusive))
                for i, r in enumerate(time_ranges)
            }
        )
    )
    return [totals[f"n{i}"] for i in range(len(time_ranges))]


def activities_per_month(*, org: Organization | int, time_range: DateTimeRange) -> dict[dt.date, int]:
    """Activities per local calendar month (reporting zone) in the range; one grouped query."""
    rows = (
        Activity.objects.for_org(org)
        .in_range(time_range)
        .annotate(month=TruncMonth("recorded_at", tzinfo=reporting_zone()))
        .order_by()
        .values("month")
        .annotate(n=Count("recorded_at"))
    )
    return {(r["month"].date() if isinstance(r["month"], dt.datetime) else r["month"]): r["n"] for r in rows}
