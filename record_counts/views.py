from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import APIException, NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from idempotency.schema import IDEMPOTENCY_KEY
from idempotency.services import idempotent
from lib.api.access import require_org
from lib.api.ids import COUNT_SNAPSHOT_ID
from lib.api.views import CONTRACT_RANGE, DELETED, PROBLEM, SnapshotViewSet, contract_example
from record_counts import selectors, services
from record_counts.filters import CountSnapshotFilter
from record_counts.models import CountSnapshot
from record_counts.serializers import (
    CountCreateSerializer,
    CountResultSerializer,
    CountSnapshotSerializer,
    CountUpdateSerializer,
)


class Conflict(APIException):
    status_code = 409
    default_detail = "Another count snapshot of this organisation already holds that range."


TAG = "period-record-counts"


# Operation ids in the contracts' camelCase style (the stream's, getCountStream, is in
# lib/api/schema.py, which documents the stream).
@extend_schema_view(
    list=extend_schema(operation_id="listCountSnapshots", tags=[TAG], summary="List count snapshots"),
    retrieve=extend_schema(
        operation_id="getCountSnapshot",
        tags=[TAG],
        summary="Get a count snapshot",
        responses={200: CountSnapshotSerializer, 404: PROBLEM},
    ),
    destroy=extend_schema(
        operation_id="deleteCountSnapshot",
        tags=[TAG],
        summary="Delete a count snapshot",
        responses={200: DELETED, 404: PROBLEM},
    ),
)
class CountSnapshotViewSet(SnapshotViewSet):
    """The Period Record Count Service."""

    queryset = selectors.count_snapshot_list()
    serializer_class = CountSnapshotSerializer
    filterset_class = CountSnapshotFilter
    public_id = COUNT_SNAPSHOT_ID

    # Counts are read live: one counting query per organisation on the page.
    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        return None if page is None else selectors.with_live_counts(page)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        (snapshot,) = selectors.with_live_counts([self.get_object()])
        return Response(self.get_serializer(snapshot).data)

    @extend_schema(
        operation_id="countRecordsInRange",
        tags=[TAG],
        summary="Count records of an organisation in a range, exactly, now",
        request=CountCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        examples=[contract_example({"org_id": "org-bufdir-42", "range": CONTRACT_RANGE})],
        responses={200: CountResultSerializer, 400: PROBLEM, 422: PROBLEM},
    )
    @idempotent("period-record-counts.create")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CountCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        require_org(request, data.validated_data["org_id"])
        snapshot = services.count_snapshot_upsert(
            org=data.validated_data["org_id"], time_range=data.validated_data["range"]
        )
        return Response(CountResultSerializer.of(snapshot))

    @extend_schema(
        operation_id="refreshCountSnapshot",
        tags=[TAG],
        summary="Force-refresh a count snapshot (exact recount)",
        request=CountUpdateSerializer,
        examples=[contract_example({"range": CONTRACT_RANGE})],
        responses={200: CountSnapshotSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        snapshot = self.get_object()
        data = CountUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            snapshot = services.count_snapshot_refresh(snapshot=snapshot, time_range=data.validated_data.get("range"))
        except services.RangeTaken as taken:
            raise Conflict(f"{taken} already holds that range for this organisation.") from None
        except CountSnapshot.DoesNotExist:
            raise NotFound() from None
        return Response(CountSnapshotSerializer(snapshot).data)

    def perform_destroy(self, instance: CountSnapshot) -> None:
        try:
            services.count_snapshot_delete(snapshot=instance)
        except CountSnapshot.DoesNotExist:
            raise NotFound() from None  # a concurrent DELETE won


@extend_schema(exclude=True)
class CountSnapshotAliasViewSet(CountSnapshotViewSet):
    """The contract's doubled paths (/api/v1/period-record-counts/api/v1/period-record-counts/…)."""
