"""The coordinators' dashboard: per organisation, activities per month and a live count.

The chart is SVG drawn on the server (no chart library, no CDN); the current period's
count updates live through the period-record-counts stream (EventSource).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from activities.admin_scope import coordinated_orgs
from activities.counting import live_counts, tally_buckets
from activities.models import Organization
from aggregations.models import SubmittedPeriod
from aggregations.selectors import last_submitted_period
from lib.admin_window import outside_note
from lib.timeranges import RangeError, check_date, isoformat_z, local_dates_range

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
    period_start: dt.date | None
    period_end: dt.date | None
    stream_start: str
    stream_end: str
    current_count: int | None
    last_submitted: SubmittedPeriod | None
    problem: str = ""  # why there is no current period (a stored period outside the window)


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
    time_range = local_dates_range(months[0], next_month - dt.timedelta(days=1))
    found = tally_buckets(org=org, time_range=time_range, interval="month")
    return [(month, found[month].activity_count if month in found else 0) for month in months]


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
    (or 1 January when none was submitted this year) to 31 December of that year.
    Raises ``RangeError`` when a period stored before the supported window was enforced
    ends outside it (there is then no current period to show)."""
    last = last_submitted_period(org=org)
    start = dt.date(today.year, 1, 1)
    if last is not None and last.period_end >= start:
        check_date(last.period_end)
        start = check_date(last.period_end + dt.timedelta(days=1))
    end = dt.date(start.year, 12, 31)
    return start, end, last


def org_panel(*, org: Organization, today: dt.date) -> OrgPanel:
    bars, peak = _bars(monthly_counts(org=org, today=today))
    try:
        start, end, last = current_period(org=org, today=today)
        time_range = local_dates_range(start, end)
    except RangeError:
        last = last_submitted_period(org=org)
        problem = gettext(
            "The last submitted period ends %(outside)s: there is no current period. Delete or correct that period."
        ) % {"outside": outside_note()}
        return OrgPanel(org=org, bars=bars, max_count=peak, period_start=None, period_end=None, stream_start="",
                        stream_end="", current_count=None, last_submitted=last, problem=problem)  # fmt: skip
    return OrgPanel(
        org=org,
        bars=bars,
        max_count=peak,
        period_start=start,
        period_end=end,
        stream_start=isoformat_z(time_range.start),
        stream_end=isoformat_z(time_range.end),
        current_count=live_counts(org=org, ranges=[time_range])[0],
        last_submitted=last,
    )


@staff_member_required
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    panels = [org_panel(org=org, today=today) for org in coordinated_orgs(request).order_by("org_id")]
    context: dict[str, Any] = {
        **admin.site.each_context(request),  # the admin's header: user links, theme toggle
        "title": gettext("Activity dashboard"),
        "panels": panels,
        "chart_width": CHART_WIDTH,
        "chart_height": CHART_HEIGHT,
        "stream_url": STREAM_URL,
    }
    return render(request, "admin/dashboard.html", context)
