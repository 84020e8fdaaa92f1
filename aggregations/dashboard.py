"""The coordinators' dashboard: per organisation, activities per month and a live count.

The chart is the report code's (reports.series, reports.chart): SVG drawn on the server
with axes, month labels and values (no chart library, no CDN); the current period's
count updates live through the period-record-counts stream (EventSource).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from activities.admin_scope import coordinated_orgs
from activities.counting import live_counts
from activities.models import Organization
from aggregations.deadlines import Deadline, deadlines
from aggregations.models import SubmittedPeriod
from aggregations.selectors import last_submitted_period
from lib.admin_window import outside_note
from lib.timeranges import DateTimeRange, RangeError, check_date, isoformat_z, local_dates_range, reporting_zone
from reports.chart import Chart, report_chart
from reports.series import Report, report_series

STREAM_URL = "/api/v1/period-record-counts/stream"
MONTHS = 24


@dataclass(frozen=True)
class OrgPanel:
    org: Organization
    chart: Chart  # the last 24 months, from the report code (reports.series / reports.chart)
    max_count: int
    period_start: dt.date | None
    period_end: dt.date | None
    stream_start: str
    stream_end: str
    current_count: int | None
    last_submitted: SubmittedPeriod | None
    problem: str = ""  # why there is no current period (a stored period outside the window)
    deadlines: list[Deadline] = field(default_factory=list)  # per grant scheme, overdue first


def last_months(today: dt.date) -> DateTimeRange:
    """The 24 local calendar months up to and including this one."""
    first = today.replace(day=1)
    for _ in range(MONTHS - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return local_dates_range(first, next_month - dt.timedelta(days=1))


def monthly_report(*, org: Organization, today: dt.date) -> Report:
    """Activities per local calendar month for the last 24 months: the report of those
    months (one grouped query), so the dashboard and the report page never disagree."""
    return report_series(org=org, time_range=last_months(today), interval="month")


def monthly_counts(*, org: Organization, today: dt.date) -> list[tuple[dt.date, int]]:
    """(first day of the month, count) for the last 24 months."""
    zone = reporting_zone()
    return [
        (b.start.astimezone(zone).date(), b.tally.activity_count)
        for b in monthly_report(org=org, today=today).series.buckets
    ]


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
    months = monthly_report(org=org, today=today)
    chart = report_chart(months)
    peak = max((b.tally.activity_count for b in months.series.buckets), default=0)
    try:
        start, end, last = current_period(org=org, today=today)
        time_range = local_dates_range(start, end)
    except RangeError:
        last = last_submitted_period(org=org)
        problem = gettext(
            "The last submitted period ends %(outside)s: there is no current period. Delete or correct that period."
        ) % {"outside": outside_note()}
        return OrgPanel(org=org, chart=chart, max_count=peak, period_start=None, period_end=None, stream_start="",
                        stream_end="", current_count=None, last_submitted=last, problem=problem)  # fmt: skip
    return OrgPanel(
        org=org,
        chart=chart,
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
    orgs = list(coordinated_orgs(request).order_by("org_id"))
    due = deadlines(orgs=orgs, today=today)
    panels = [
        replace(org_panel(org=org, today=today), deadlines=[d for d in due if d.org.pk == org.pk]) for org in orgs
    ]
    context: dict[str, Any] = {
        **admin.site.each_context(request),  # the admin's header: user links, theme toggle
        "title": gettext("Activity dashboard"),
        "panels": panels,
        "overdue": sum(1 for d in due if d.overdue),
        "stream_url": STREAM_URL,
    }
    return render(request, "admin/dashboard.html", context)
