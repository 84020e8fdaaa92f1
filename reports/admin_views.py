"""The admin report page: one organisation's report series, as a table, a chart and
CSV/XLSX downloads; the same code and numbers as GET /api/v1/reports/series."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activities.admin_scope import coordinated_orgs
from activities.counting import GROUP_FIELDS
from lib.exports import download as file_download
from lib.timeranges import RangeError, local_dates_range
from reports.chart import report_chart
from reports.exports import report_csv, report_xlsx
from reports.labels import DIMENSION_LABELS, value_label
from reports.render import file_stem
from reports.series import Report, TooManyBuckets, report_series

PRESETS = [
    ("this_year", _("This grant year")),
    ("last_year", _("Last grant year")),
    ("this_quarter", _("This quarter")),
    ("last_quarter", _("Last quarter")),
    ("custom", _("Custom dates")),
]
INTERVAL_CHOICES = [
    ("day", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
    ("none", _("Whole range")),
]
DIMENSIONS = [("", _("(none)")), *[(name, DIMENSION_LABELS[name]) for name in GROUP_FIELDS]]
COMPARES = [("", _("(none)")), ("previous_period", _("Previous period")), ("previous_year", _("Previous year"))]


def _quarter_start(day: dt.date) -> dt.date:
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def preset_dates(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """First and last local day of a preset; a grant year is a calendar year."""
    if preset == "this_year":
        return dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    if preset == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    start = _quarter_start(today)
    if preset == "last_quarter":
        start = _quarter_start(start - dt.timedelta(days=1))
    following = _quarter_start(start + dt.timedelta(days=92))
    return start, following - dt.timedelta(days=1)


class ReportForm(forms.Form):
    preset = forms.ChoiceField(label=_("Period"), choices=PRESETS, initial="this_year")
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    interval = forms.ChoiceField(label=_("Interval"), choices=INTERVAL_CHOICES, initial="month")
    group_1 = forms.ChoiceField(label=_("Group by"), choices=DIMENSIONS, required=False)
    group_2 = forms.ChoiceField(label=_("then by"), choices=DIMENSIONS, required=False)
    compare = forms.ChoiceField(label=_("Compare with"), choices=COMPARES, required=False)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("preset") == "custom":
            for name in ("start", "end"):
                if not data.get(name):
                    self.add_error(name, gettext("Give both dates for a custom period."))
            if data.get("start") and data.get("end") and data["start"] > data["end"]:
                self.add_error("end", gettext("The last day must not be before the first."))
        elif data.get("preset"):
            data["start"], data["end"] = preset_dates(data["preset"], self.today)
        first, second = data.get("group_1") or "", data.get("group_2") or ""
        if second and not first:
            data["group_1"], data["group_2"], first, second = second, "", second, ""
        if first and first == second:
            self.add_error("group_2", gettext("Choose two different groupings."))
        data["group_by"] = tuple(g for g in (first, second) if g)
        return data


def _report(form: ReportForm, org: Any) -> Report | None:
    data = form.cleaned_data
    try:
        time_range = local_dates_range(data["start"], data["end"])
        return report_series(
            org=org,
            time_range=time_range,
            interval=data["interval"],
            group_by=data["group_by"],
            compare=data.get("compare") or None,
        )
    except TooManyBuckets as exc:
        form.add_error(
            "interval",
            gettext("That is %(asked)s buckets; at most 1000. Choose a longer interval or a shorter period.")
            % {"asked": exc.asked},
        )
    except RangeError:
        form.add_error("compare", gettext("The comparison period is outside the supported dates."))
    return None


def _rows(report: Report) -> list[dict[str, Any]]:
    """Table rows: per bucket its counts per group combination, and the comparison's."""
    earlier = report.comparison.buckets if report.comparison is not None else []
    rows = []
    for i, bucket in enumerate(report.series.buckets):
        rows.append(
            {
                "bucket": bucket,
                "groups": [cell.activity_count for cell in bucket.tally.groups.values()],
                "comparison": earlier[i] if i < len(earlier) else None,
            }
        )
    return rows


@staff_member_required
def report_page(request: HttpRequest, org_id: str) -> HttpResponse:
    org = coordinated_orgs(request).filter(org_id=org_id).first()
    if org is None:
        raise Http404  # another organisation's report: as if it did not exist
    today = timezone.localdate()
    # Without choices yet: this grant year by month.
    form = ReportForm(request.GET or {"preset": "this_year", "interval": "month"}, today=today)
    report = _report(form, org) if form.is_valid() else None
    download = request.GET.get("download")
    if report is not None and download in {"csv", "xlsx"}:
        zone = settings.REPORTING_TIME_ZONE
        data = report_csv(report) if download == "csv" else report_xlsx(report, time_zone=zone)
        return file_download(data, fmt=download, filename=f"{file_stem(report)}.{download}")
    query = request.GET.copy()
    query.pop("download", None)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": gettext("Report: %(name)s") % {"name": org.name},
        "org": org,
        "form": form,
        "report": report,
        "time_zone": settings.REPORTING_TIME_ZONE,
    }
    if report is not None:
        context.update(
            chart=report_chart(report),
            rows=_rows(report),
            group_columns=[
                " / ".join(value_label(d, v) for d, v in zip(report.group_by, key, strict=True))
                for key in report.series.total.groups
            ],
            group_totals=[cell.activity_count for cell in report.series.total.groups.values()],
            dimension_names=[DIMENSION_LABELS[d] for d in report.group_by],
            query=query.urlencode() or "preset=this_year&interval=month",
        )
    return render(request, "admin/reports/report.html", context)


@staff_member_required
def report_index(request: HttpRequest) -> HttpResponse:
    """Which organisation's report: the user's own organisations."""
    context = {
        **admin.site.each_context(request),
        "title": gettext("Reports"),
        "orgs": coordinated_orgs(request).order_by("org_id"),
    }
    return render(request, "admin/reports/index.html", context)
