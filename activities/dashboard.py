"""The coordinators' dashboard: per organisation, activities per month and a live count.

The chart is SVG drawn on the server (no chart library, no CDN); the current period's
count updates live through the period-record-counts stream (EventSource).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from activities.models import Activity, Organization
from activities.selectors import activity_count
from aggregations.models import SubmittedPeriod
from bufdir_project.admin_scope import coordinated_orgs
from bufdir_project.timeranges import isoformat_z, parse_range, reporting_zone

STREAM_URL = "/api/v1/period-record-counts/stream"
MONTHS = 24
CHART_WIDTH, CHART_HEIGHT, BAR_GAP = 720, 180, 4


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class OrgPanel:
    org: Organization
    bars: list[Bar]
    max_count: int
    period_start: dt.date
    period_end: dt.date
    stream_start: str
    stream_end: str
    current_count: int
    last_submitted: SubmittedPeriod | None


def _month_starts(today: dt.date) -> list[dt.date]:
    first = today.replace(day=1)
    months = []
    for _ in range(MONTHS):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return months[::-1]


def monthly_counts(*, org: Organization, today: dt.date) -> list[tuple[dt.date, int]]:
    """Activities per local calendar month for the last 24 months; one grouped query."""
    months = _month_starts(today)
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    time_range = parse_range(months[0].isoformat(), (next_month - dt.timedelta(days=1)).isoformat())
    rows = (
        Activity.objects.for_org(org)
        .in_range(time_range)
        .annotate(month=TruncMonth("recorded_at", tzinfo=reporting_zone()))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    found = {row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]: row["n"] for row in rows}
    return [(month, found.get(month, 0)) for month in months]


def _bars(counts: list[tuple[dt.date, int]]) -> tuple[list[Bar], int]:
    peak = max((n for _, n in counts), default=0) or 1
    width = CHART_WIDTH / len(counts)
    bars = []
    for i, (month, n) in enumerate(counts):
        height = (CHART_HEIGHT - 20) * n / peak
        bars.append(
            Bar(
                label=month.strftime("%Y-%m"),
                count=n,
                x=i * width + BAR_GAP / 2,
                y=CHART_HEIGHT - height,
                width=width - BAR_GAP,
                height=height,
            )
        )
    return bars, peak


def current_period(*, org: Organization, today: dt.date) -> tuple[dt.date, dt.date, SubmittedPeriod | None]:
    """The period being reported now: from the day after the last submitted period
    (or 1 January when none was submitted this year) to 31 December of that year."""
    last = SubmittedPeriod.objects.filter(org=org).order_by("-period_end", "-submitted_at").first()
    start = dt.date(today.year, 1, 1)
    if last is not None and last.period_end >= start:
        start = last.period_end + dt.timedelta(days=1)
    end = dt.date(start.year, 12, 31)
    return start, end, last


def org_panel(*, org: Organization, today: dt.date) -> OrgPanel:
    bars, peak = _bars(monthly_counts(org=org, today=today))
    start, end, last = current_period(org=org, today=today)
    time_range = parse_range(start.isoformat(), end.isoformat())
    return OrgPanel(
        org=org,
        bars=bars,
        max_count=peak,
        period_start=start,
        period_end=end,
        stream_start=isoformat_z(time_range.start),
        stream_end=isoformat_z(time_range.end),
        current_count=activity_count(org=org, time_range=time_range),
        last_submitted=last,
    )


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    panels = [org_panel(org=org, today=today) for org in coordinated_orgs(request).order_by("org_id")]
    context: dict[str, Any] = {
        "title": "Activity dashboard",
        "panels": panels,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "stream_url": STREAM_URL,
    }
    return render(request, "admin/dashboard.html", context)
