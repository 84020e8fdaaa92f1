"""Reads of activities: the one place that counts them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Sum

from activities.models import Activity, Organization
from bufdir_project.timeranges import DateTimeRange


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
