from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from activities.filters import ActivityFilter
from activities.models import Activity
from activities.serializers import ActivitySerializer
from aggregations import evidence, services
from aggregations.evidence import CHANGES_SHOWN
from aggregations.filters import AggregationSnapshotFilter, SubmittedPeriodFilter
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from aggregations.selectors import last_submitted_period, submitted_periods
from aggregations.serializers import (
    ActivitiesQuerySerializer,
    EvidenceQuerySerializer,
    OrgQuerySerializer,
    SnapshotCreateSerializer,
    SnapshotSerializer,
    SnapshotUpdateSerializer,
    SubmittedPeriodSerializer,
    SubmittedPeriodSummarySerializer,
)
from idempotency.schema import IDEMPOTENCY_KEY
from idempotency.services import idempotent
from lib.api.access import require_org, scope_to_key
from lib.api.fields import range_from_query
from lib.api.ids import AGG_SNAPSHOT_ID, SUBMITTED_PERIOD_ID
from lib.api.pagination import PagePagination
from lib.api.views import (
    CONTRACT_RANGE,
    DELETED,
    PROBLEM,
    JsonNegotiation,
    PublicIdLookupMixin,
    SnapshotViewSet,
    contract_example,
)
from lib.exports import CSV_TYPE, XLSX_TYPE

TAG = "bufdir-aggregations"

PLAIN_PERIOD = {
    "org_id": "org-bufdir-42",
    "submitted_period_id": "sub-period-009",
    "period_start": "2025-10-01",
    "period_end": "2026-02-28",
    "submitted_at": "2026-02-28T16:00:00Z",
    "submitted_by": "user-coordinator-07",
    "activity_count": 1203,
    "scheme": None,
    "evidence": None,
    "changes_since_submission": [],
    "changes_since_submission_total": 0,
}
SCHEME_PERIOD = {
    **PLAIN_PERIOD,
    "submitted_period_id": "sub-period-012",
    "period_start": "2025-01-01",
    "period_end": "2025-12-31",
    "submitted_at": "2026-01-20T09:00:00Z",
    "submitted_by": "kari",
    "activity_count": 412,
    "scheme": {"code": "peer-support", "name": "Likepersonsarbeid", "rule_version": 2},
    "evidence": {
        "activity_count": 318,
        "participant_total": 2240,
        "by_activity_type": {"peer_support": 318},
        "activity_count_now": 319,
        "csv_sha256": "5d41402abc4b2a76b9719d911017c592ae1e0b3f6e4b7a6a3d1c6d3b9c5f2e01",
        "xlsx_sha256": "9b74c9897bac770ffc029102a200c5de4c1f3a7e2b8d6f0a1e3c5b7d9f1a2c3e",
        "csv_url": "https://example.org/api/v1/submitted-periods/sub-period-012/evidence?format=csv",
        "xlsx_url": "https://example.org/api/v1/submitted-periods/sub-period-012/evidence?format=xlsx",
    },
    "changes_since_submission": [
        {
            "activity_id": "act-10388",
            "action": "create",
            "at": "2026-02-03T08:15:00Z",
            "by": "API key Oslo office sync",
            "changes": {},
        },
        {
            "activity_id": "act-10021",
            "action": "change",
            "at": "2026-01-28T14:02:11Z",
            "by": "kari",
            "changes": {"recorded_at": ["2025-12-31T22:30:00Z", "2025-12-31T23:30:00Z"]},
        },
    ],
    "changes_since_submission_total": 2,
}
PERIOD_EXAMPLES = [
    OpenApiExample("A plain submission (the contract's example)", value=PLAIN_PERIOD, response_only=True),
    OpenApiExample("A grant scheme submission, changed since", value=SCHEME_PERIOD, response_only=True),
]
PERIOD_BEYOND_CONTRACT = (
    "Beyond the contract: the grant scheme it was submitted under (scheme, or null), "
    "what that submission counted with the SHA-256 of its evidence files and links to "
    "them (evidence, or null; activity_count_now is today's count under the same frozen "
    "rules), and the changes to the period's activities since submission "
    f"(changes_since_submission, newest first, at most {CHANGES_SHOWN}; "
    "changes_since_submission_total counts them all, each with when and by whom)."
)


# Operation ids: the contract's names where it gives one, the same camelCase style elsewhere
# (generated clients name their functions after them).
@extend_schema_view(
    list=extend_schema(
        operation_id="listAggregationSnapshots", tags=[TAG], summary="List aggregation snapshots, newest first"
    ),
    retrieve=extend_schema(
        operation_id="getAggregationSnapshot",
        tags=[TAG],
        summary="Get an aggregation snapshot",
        responses={200: SnapshotSerializer, 404: PROBLEM},
    ),
    create=extend_schema(
        operation_id="countActivitiesInRange",
        tags=[TAG],
        summary="Count activities in a range now and persist a snapshot (countActivitiesInRange)",
        request=SnapshotCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        examples=[contract_example({"org_id": "org-bufdir-42", "range": CONTRACT_RANGE})],
        responses={201: SnapshotSerializer, 400: PROBLEM, 422: PROBLEM},
    ),
    update=extend_schema(
        operation_id="reaggregateSnapshot",
        tags=[TAG],
        summary="Re-aggregate a snapshot (optionally over a new range)",
        request=SnapshotUpdateSerializer,
        examples=[contract_example({"range": CONTRACT_RANGE})],
        responses={200: SnapshotSerializer, 400: PROBLEM, 404: PROBLEM},
    ),
    destroy=extend_schema(
        operation_id="deleteAggregationSnapshot",
        tags=[TAG],
        summary="Delete a snapshot",
        responses={200: DELETED, 404: PROBLEM},
    ),
)
class AggregationSnapshotViewSet(SnapshotViewSet):
    """The Bufdir Aggregation Repository."""

    queryset = AggregationSnapshot.objects.select_related("org").order_by("-snapshot_at", "-id")
    serializer_class = SnapshotSerializer
    filterset_class = AggregationSnapshotFilter
    public_id = AGG_SNAPSHOT_ID

    @idempotent("bufdir-aggregations.create")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SnapshotCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_org(request, data.validated_data["org_id"])
        snapshot = services.snapshot_create(org=data.validated_data["org_id"], time_range=data.validated_data["range"])
        location = reverse("aggregation-snapshot-detail", kwargs={"id": snapshot.public_id})
        return Response(
            SnapshotSerializer(snapshot).data, status=status.HTTP_201_CREATED, headers={"Location": location}
        )

    def perform_destroy(self, instance: AggregationSnapshot) -> None:
        if not services.snapshot_delete(snapshot=instance):
            raise NotFound()  # a concurrent DELETE won

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        snapshot = self.get_object()
        data = SnapshotUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            snapshot, _ = services.snapshot_reaggregate(snapshot=snapshot, time_range=data.validated_data.get("range"))
        except AggregationSnapshot.DoesNotExist:
            raise NotFound() from None  # deleted while we were re-counting
        return Response(SnapshotSerializer(snapshot).data)

    @extend_schema(
        operation_id="getActivitiesInRange",
        tags=[TAG],
        summary="Activities in a range (getActivitiesInRange)",
        description=(
            "Ordered by recorded_at, then activity_id; paginated. Missing or malformed parameters, "
            "unknown parameters and an unknown org_id are a 400 naming the parameter."
        ),
        parameters=[ActivitiesQuerySerializer],
        responses={200: ActivitySerializer(many=True), 400: PROBLEM},
    )
    # pagination_class tells the schema the answer is a page ({data, pagination}).
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=PagePagination)
    def activities(self, request: Request) -> Response:
        query = ActivitiesQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        time_range = range_from_query(request.query_params)
        org = query.validated_data["org_id"]
        require_org(request, org)
        queryset = Activity.objects.select_related("org").for_org(org).in_range(time_range)
        extra = {k: v for k, v in request.query_params.items() if k in {"activity_type", "status", "location"}}
        filterset = ActivityFilter(data=extra, queryset=queryset)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        paginator = PagePagination()
        page = paginator.paginate_queryset(filterset.qs.order_by("recorded_at", "activity_id"), request, view=self)
        return paginator.get_paginated_response(ActivitySerializer(page, many=True).data)

    @extend_schema(
        operation_id="getLastSubmittedPeriod",
        tags=[TAG],
        summary="The most recently submitted report period (getLastSubmittedPeriod)",
        description=(
            "The period with the latest period_end (ties: latest submitted_at). A missing or "
            "unknown org_id is a 400 naming it; 404 when the organisation has submitted nothing. "
            + PERIOD_BEYOND_CONTRACT
            + " An older period: getSubmittedPeriod."
        ),
        parameters=[OrgQuerySerializer],
        responses={200: SubmittedPeriodSerializer, 400: PROBLEM, 404: PROBLEM},
        examples=PERIOD_EXAMPLES,
    )
    @action(detail=False, methods=["get"], url_path="last-submitted-period", filterset_class=None)
    def last_submitted_period(self, request: Request) -> Response:
        query = OrgQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        require_org(request, query.validated_data["org_id"])
        period = last_submitted_period(org=query.validated_data["org_id"])
        if period is None:
            raise NotFound("This organisation has not submitted any period yet.")
        return Response(SubmittedPeriodSerializer(period, context={"request": request}).data)


EVIDENCE_HEADERS = [
    OpenApiParameter(
        "X-Evidence-SHA256",
        str,
        OpenApiParameter.HEADER,
        response=[200],
        description="The file's SHA-256 in hex, as sha256sum prints it (evidence.csv_sha256 / xlsx_sha256).",
    ),
    OpenApiParameter(
        "Repr-Digest",
        str,
        OpenApiParameter.HEADER,
        response=[200],
        description="RFC 9530: sha-256=:<base64>:. Also sent as Digest (RFC 3230).",
    ),
]


class SubmittedPeriodEvidenceView(APIView):
    """GET /api/v1/submitted-periods/{id}/evidence: a scheme submission's evidence file."""

    content_negotiation_class = JsonNegotiation

    @extend_schema(
        operation_id="getSubmittedPeriodEvidence",
        tags=[TAG],
        summary="The evidence file of a submitted period (getSubmittedPeriodEvidence)",
        description=(
            "The file stored at submission, byte for byte: every activity counted under the "
            "frozen rule version with its id and counted fields, as CSV (format=csv, the "
            "default) or XLSX (format=xlsx). Its SHA-256 is in X-Evidence-SHA256 (hex) and "
            "Repr-Digest/Digest (base64), and equals evidence.csv_sha256 / xlsx_sha256 of "
            "getLastSubmittedPeriod. 404 for an unknown period or one submitted without a "
            "scheme (no evidence); 400 for another format; in token mode a key reads only "
            "its own organisations' periods (403)."
        ),
        parameters=[EvidenceQuerySerializer, *EVIDENCE_HEADERS],
        responses={
            # CSV as a string: a generated client parses text/* as text (the bytes stay in
            # its response's content); XLSX as binary.
            (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="One sheet, with a title"),
            (200, CSV_TYPE): OpenApiResponse(
                OpenApiTypes.STR,
                description="RFC 4180 CSV, UTF-8",
                examples=[
                    OpenApiExample(
                        "Two counted activities",
                        value=(
                            "activity_id,recorded_at,activity_type,status,participant_count,duration_minutes,"
                            "in_person,location\r\nact-10021,2026-01-15T10:30:00Z,peer_support,completed,4,90,"
                            "true,Oslo\r\nact-10022,2026-02-03T17:00:00Z,peer_support,completed,6,60,true,Oslo\r\n"
                        ),
                    )
                ],
            ),
            400: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
        },
    )
    def get(self, request: Request, id: str) -> HttpResponse:
        query = EvidenceQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        fmt = query.validated_data["format"]
        pk = SUBMITTED_PERIOD_ID.parse(id)
        period = (
            SubmittedPeriod.objects.select_related("org", "scheme_version__scheme").filter(pk=pk).first()
            if pk is not None
            else None
        )
        if period is None:
            raise NotFound("No such submitted period.")
        require_org(request, period.org)
        found = evidence.evidence_of(period)
        if found is None:
            raise NotFound("This period was submitted without a grant scheme: it has no evidence.")
        return evidence.evidence_response(period, found, fmt)


@extend_schema_view(
    list=extend_schema(
        operation_id="listSubmittedPeriods",
        tags=[TAG],
        summary="List submitted periods, newest first",
        description=(
            "Newest first as getLastSubmittedPeriod picks them (latest period_end, then latest "
            "submitted_at), so for one organisation the first is its last submitted period. Each "
            "is the summary (the contract's fields and the scheme); getSubmittedPeriod gives one "
            "with its evidence and drift. In token mode a key lists only its own organisations' "
            "periods."
        ),
        examples=[
            OpenApiExample(
                "One grant scheme submission",
                value={k: SCHEME_PERIOD[k] for k in SubmittedPeriodSummarySerializer.Meta.fields},
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(
        operation_id="getSubmittedPeriod",
        tags=[TAG],
        summary="Get a submitted period, with its evidence and drift",
        description=(
            "Any submitted period by its id (sub-period-NNN), as getLastSubmittedPeriod answers "
            "the latest one. " + PERIOD_BEYOND_CONTRACT + " 404 for an unknown or malformed id; "
            "in token mode a key reads only its own organisations' periods (403)."
        ),
        responses={200: SubmittedPeriodSerializer, 404: PROBLEM},
        examples=PERIOD_EXAMPLES,
    ),
)
class SubmittedPeriodViewSet(
    PublicIdLookupMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """GET /api/v1/submitted-periods and /{id}: the periods submitted to Bufdir, read only
    (they are submitted in admin)."""

    queryset = submitted_periods()
    filterset_class = SubmittedPeriodFilter
    public_id = SUBMITTED_PERIOD_ID
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> Any:
        # As for snapshots: a list shows only the key's organisations; another
        # organisation's period by id is a 403 (ApiAccess's object permission).
        queryset = super().get_queryset()
        return scope_to_key(self.request, queryset) if self.action == "list" else queryset

    def get_serializer_class(self) -> Any:
        return SubmittedPeriodSummarySerializer if self.action == "list" else SubmittedPeriodSerializer


@extend_schema(exclude=True)
class AggregationSnapshotAliasViewSet(AggregationSnapshotViewSet):
    """The contract's doubled paths (/api/v1/bufdir-aggregations/api/v1/bufdir-aggregations/…)."""
