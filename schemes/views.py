from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from activities.judging import Verdict
from lib.api.access import CountingThrottle, require_org
from lib.api.fields import range_from_query
from lib.api.pagination import PagePagination
from lib.api.views import PROBLEM, JsonNegotiation
from lib.exports import CSV_TYPE, XLSX_TYPE
from lib.exports import download as file_download
from lib.timeranges import RangeError
from reports.views import TAG, chosen_format
from schemes.exports import file_stem, report_csv, report_json, report_xlsx, verdict_json
from schemes.models import GrantScheme, SchemeVersion
from schemes.periods import ReportingYear, reporting_year
from schemes.report import SchemeReport, scheme_report
from schemes.serializers import EXAMPLE, SchemeReportQuerySerializer, SchemeReportSerializer


class _Listed:
    """A report's verdicts as the project's pagination (written for querysets) pages
    them: the total from the report's numbers, a page read by the counting core."""

    def __init__(self, report: SchemeReport) -> None:
        self.report = report

    def count(self) -> int:
        return self.report.judged_count

    def __getitem__(self, index: slice) -> Sequence[Verdict]:
        start, stop = index.start or 0, index.stop
        return self.report.verdict_page(start, stop - start)


def _version(scheme: GrantScheme, number: int | None) -> SchemeVersion:
    versions = scheme.versions.order_by("-number")
    found = versions.filter(number=number).first() if number is not None else versions.first()
    if found is None:
        if number is None:
            raise ValidationError({"scheme": ["This grant scheme has no rules yet."]})
        raise ValidationError({"version": [f"The scheme {scheme.code} has no version {number}."]})
    return found


def _year(scheme: GrantScheme, year: int) -> ReportingYear:
    try:
        found = reporting_year(scheme, year)
        found.time_range  # noqa: B018  (in the supported window)
    except (RangeError, ValueError, OverflowError):
        raise ValidationError({"year": [f"Reporting year {year} is outside the supported dates."]}) from None
    return found


class SchemeReportView(APIView):
    """GET /api/v1/reports/scheme: an organisation's activities judged by a grant scheme's rules."""

    content_negotiation_class = JsonNegotiation

    def get_throttles(self) -> list[BaseThrottle]:
        return [*super().get_throttles(), CountingThrottle()]  # a counting query per request

    @extend_schema(
        operation_id="getReportScheme",
        tags=[TAG],
        summary="The Bufdir report of a grant scheme: counted and excluded activities, by reason",
        description=(
            "Every activity of the organisation in the range (start and end, or the scheme's "
            "reporting year with year) is judged by the scheme's rules (the newest version, or "
            "version): counted, or excluded for exactly one reason (status, activity_type, "
            "participants, duration, in_person, same_day, unknown_field; precedence in "
            "docs/schemes.md). A scheme that counts every status with no other rule counts "
            "what the contract count does. include=activities adds each activity's verdict, "
            "paginated; format=csv or format=xlsx answers a file listing every activity with "
            "its verdict and reason. Every parameter error is a 400 naming the parameter."
        ),
        parameters=[SchemeReportQuerySerializer],
        responses={
            (200, "application/json"): SchemeReportSerializer,
            (200, CSV_TYPE): OpenApiResponse(OpenApiTypes.STR, description="RFC 4180 CSV, UTF-8"),
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="One sheet"),
            400: PROBLEM,
        },
        examples=[OpenApiExample("A peer-support year", value=EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response | HttpResponse:
        query = SchemeReportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        org, scheme = params["org_id"], params["scheme"]
        year: ReportingYear | None = None
        if "year" in params:
            year = _year(scheme, params["year"])
            time_range = year.time_range
        else:
            try:
                time_range = range_from_query(request.query_params)
            except ValidationError as exc:
                if "start" not in request.query_params and "end" not in request.query_params:
                    required = ["This field is required."]
                    given = {"year": ["Give year, or start and end."], "start": required, "end": required}
                    raise ValidationError(given) from None
                raise exc
        version = _version(scheme, params.get("version"))
        require_org(request, org)
        fmt = chosen_format(request, params.get("format"))
        include = params.get("include") == "activities"
        report = scheme_report(org=org, version=version, time_range=time_range, year=year, keep_verdicts=fmt != "json")
        zone = settings.REPORTING_TIME_ZONE
        if fmt == "json":
            body: dict[str, Any] = report_json(report, time_zone=zone)
            if include:
                pages = PagePagination()
                page = pages.paginate_queryset(_Listed(report), request)  # type: ignore[arg-type]
                body["activities"] = pages.get_paginated_response([verdict_json(v) for v in page]).data
            return Response(body)
        data = report_csv(report) if fmt == "csv" else report_xlsx(report, time_zone=zone)
        return file_download(data, fmt=fmt, filename=f"{file_stem(report)}.{fmt}")
