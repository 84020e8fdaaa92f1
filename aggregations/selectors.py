"""Reads of submitted periods, shared by the API, the admin, the dashboard and services."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from activities.counting import live_counts
from activities.models import Organization
from aggregations.models import SubmittedPeriod
from lib.timeranges import in_window, local_dates_range

# Newest first: the latest period_end, ties by the latest submitted_at. The first of an
# organisation's periods in this order is its last submitted period.
NEWEST_FIRST = ("-period_end", "-submitted_at", "-id")


def submitted_periods() -> QuerySet[SubmittedPeriod]:
    """Every submitted period, newest first, with what its representation reads."""
    return SubmittedPeriod.objects.select_related("org", "scheme_version__scheme").order_by(*NEWEST_FIRST)


def last_submitted_period(*, org: Organization | int) -> SubmittedPeriod | None:
    """The period with the latest ``period_end`` (ties: latest ``submitted_at``)."""
    return submitted_periods().filter(org=org).first()


def overlapping_period(*, org: Organization | int, first_day: dt.date, last_day: dt.date) -> SubmittedPeriod | None:
    """A submitted period of the organisation that shares a day with first_day..last_day."""
    return (
        SubmittedPeriod.objects.filter(org=org, period_start__lte=last_day, period_end__gte=first_day)
        .order_by("period_start")
        .first()
    )


def periods_current_counts(*, periods: Iterable[SubmittedPeriod]) -> dict[int, int]:
    """Today's count of each period's activities, by period key: per organisation one
    marker lookup, and one count only when something changed since the last view."""
    by_org: dict[int, list[SubmittedPeriod]] = defaultdict(list)
    for period in periods:
        by_org[period.org_id].append(period)
    counts: dict[int, int] = {}
    for org_id, listed in by_org.items():
        # A period stored before the supported window was enforced may lie outside it:
        # it has no current count (the admin says why).
        items = [p for p in listed if in_window(p.period_start) and in_window(p.period_end)]
        ranges = [local_dates_range(p.period_start, p.period_end) for p in items]
        for period, n in zip(items, live_counts(org=org_id, ranges=ranges), strict=True):
            counts[period.pk] = n
    return counts
