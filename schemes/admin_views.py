"""The admin's scheme report page: one organisation's activities judged by a grant
scheme for a reporting year, with CSV/XLSX downloads; the same code and files as
GET /api/v1/reports/scheme."""

from __future__ import annotations

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
from lib.exports import download as file_download
from schemes.exports import file_stem, report_csv, report_xlsx
from schemes.models import GrantScheme
from schemes.periods import reporting_year, year_holding
from schemes.report import SchemeReport, scheme_report
from schemes.rules import REASONS

REASON_LABELS = {
    "status": _("Status not counted"),
    "activity_type": _("Activity type not counted"),
    "participants": _("Too few participants"),
    "duration": _("Too short"),
    "in_person": _("Not in person"),
    "same_day": _("Another one of the type counted that day"),
    "unknown_field": _("Duration or in person unknown"),
}


class SchemeReportForm(forms.Form):
    scheme = forms.ModelChoiceField(
        label=_("Grant scheme"), queryset=GrantScheme.objects.order_by("code"), to_field_name="code"
    )
    year = forms.IntegerField(label=_("Reporting year"), min_value=1900, max_value=2198)


DOWNLOADS = {"csv", "xlsx"}  # the files of a report: only they list every verdict


def _report(form: SchemeReportForm, org: Any, *, listing: bool) -> SchemeReport | None:
    """The report of the form's choices: its numbers (one grouped statement), and every
    verdict only for a download (``listing``): a page view lists none."""
    scheme: GrantScheme = form.cleaned_data["scheme"]
    version = scheme.current_version()
    if version is None:
        form.add_error("scheme", gettext("This grant scheme has no rules yet."))
        return None
    year = reporting_year(scheme, form.cleaned_data["year"])
    return scheme_report(org=org, version=version, time_range=year.time_range, year=year, keep_verdicts=listing)


@staff_member_required
def scheme_report_page(request: HttpRequest, org_id: str) -> HttpResponse:
    org = coordinated_orgs(request).filter(org_id=org_id).first()
    if org is None:
        raise Http404  # another organisation's report: as if it did not exist
    first = GrantScheme.objects.order_by("code").first()
    initial: dict[str, Any] = {}
    if first is not None:  # without choices yet: the first scheme's last ended year
        initial = {"scheme": first.code, "year": year_holding(first, timezone.localdate()) - 1}
    form = SchemeReportForm(request.GET or initial or None)
    download = request.GET.get("download")
    listing = download in DOWNLOADS
    report = _report(form, org, listing=listing) if form.is_bound and form.is_valid() else None
    if report is not None and download in DOWNLOADS:
        zone = settings.REPORTING_TIME_ZONE
        data = report_csv(report) if download == "csv" else report_xlsx(report, time_zone=zone)
        return file_download(data, fmt=download, filename=f"{file_stem(report)}.{download}")
    query = request.GET.copy()
    query.pop("download", None)
    if report is not None and not query:
        query.update({"scheme": report.scheme.code, "year": str(form.cleaned_data["year"])})
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": gettext("Grant scheme report: %(name)s") % {"name": org.name},
        "org": org,
        "form": form,
        "report": report,
        "time_zone": settings.REPORTING_TIME_ZONE,
        "query": query.urlencode(),
    }
    if report is not None:
        context["reasons"] = [(REASON_LABELS[r], r, report.summary.excluded[r]) for r in REASONS]
    return render(request, "admin/schemes/report.html", context)
