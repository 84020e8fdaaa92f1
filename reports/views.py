from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from lib.api.access import CountingThrottle, require_org
from lib.api.fields import range_from_query
from lib.api.views import PROBLEM, JsonNegotiation
from lib.exports import CSV_TYPE, XLSX_TYPE
from lib.exports import download as file_download
from lib.timeranges import RangeError
from reports.exports import report_csv, report_xlsx
from reports.render import file_stem, report_json
from reports.serializers import EXAMPLE, ReportQuerySerializer, ReportSeriesSerializer
from reports.series import TooManyBuckets, report_series

TAG = "reports"


def chosen_format(request: Request, given: str | None) -> str:
    if given:
        return given
    accept = request.headers.get("Accept", "")
    if XLSX_TYPE in accept:
        return "xlsx"
    if CSV_TYPE in accept:
        return "csv"
    return "json"


class ReportSeriesView(APIView):
    """GET /api/v1/reports/series: an organisation's activities per local calendar bucket."""

    content_negotiation_class = JsonNegotiation

    def get_throttles(self) -> list[BaseThrottle]:
        return [*super().get_throttles(), CountingThrottle()]  # a counting query per request

    @extend_schema(
        operation_id="getReportSeries",
        tags=[TAG],
        summary="Activities per day, week, month, quarter or year, grouped and compared",
        description=(
            "Buckets are local calendar units in the reporting time zone, every one present "
            "(zeros included), the first and last clipped to the range and marked partial. "
            "The buckets add up to total, which equals the contract count of the same range. "
            "format=csv or format=xlsx (or that Accept) answers a file instead, with a "
            "Content-Disposition file name naming the organisation and the range. Every "
            "parameter error is a 400 naming the parameter, including more than 1000 buckets."
        ),
        parameters=[ReportQuerySerializer],
        responses={
            (200, "application/json"): ReportSeriesSerializer,
            (200, CSV_TYPE): OpenApiResponse(OpenApiTypes.STR, description="RFC 4180 CSV, UTF-8"),
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="One sheet"),
            400: PROBLEM,
        },
        examples=[OpenApiExample("A year by month and type (two months shown)", value=EXAMPLE, response_only=True)],
    )
    def get(self, request: Request) -> Response | HttpResponse:
        query = ReportQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        time_range = range_from_query(request.query_params)
        params = query.validated_data
        org = params["org_id"]
        require_org(request, org)
        fmt = chosen_format(request, params.get("format"))
        try:
            report = report_series(
                org=org,
                time_range=time_range,
                interval=params["interval"],
                group_by=params.get("group_by", ()),
                compare=params.get("compare"),
            )
        except TooManyBuckets as exc:
            raise ValidationError({"interval": [str(exc)]}) from None
        except RangeError as exc:
            raise ValidationError({"compare": [str(exc)]}) from None
        zone = settings.REPORTING_TIME_ZONE
        if fmt == "json":
            return Response(report_json(report, time_zone=zone))
        data = report_csv(report) if fmt == "csv" else report_xlsx(report, time_zone=zone)
        return file_download(data, fmt=fmt, filename=f"{file_stem(report)}.{fmt}")
