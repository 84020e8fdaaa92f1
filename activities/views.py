from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from activities import services
from activities.fields import ACTIVITY_ID_PATTERN
from activities.filters import ActivityFilter
from activities.history import acting_as, user_label
from activities.models import Activity
from activities.serializers import ActivitySerializer
from idempotency.schema import IDEMPOTENCY_KEY
from idempotency.services import idempotent
from lib.api.access import KeyHolder, require_org, scope_to_key
from lib.api.views import DELETED, PROBLEM, DeleteConfirmMixin, contract_example


def _data(validated: dict[str, Any]) -> services.ActivityData:
    return services.ActivityData(**validated)


def _acting(request: Request) -> Any:
    """Who the history puts this request's changes down to: the API key by name (token
    mode), else the user signed in to the site (session cookie), else nobody known."""
    holder = request.user
    if isinstance(holder, KeyHolder):
        return acting_as(f"API key {getattr(holder.key, 'name', holder.key)}")
    # DRF has replaced the site's request.user (by its own, None without a key): ask the session.
    user = get_user(request._request)
    if user.is_authenticated:
        return acting_as(f"{user_label(user)} (API)", user=user)
    return acting_as("API, no key")


TAG = "activities"
# The aggregation contract's activity record (GET /activities), as a request example.
EXAMPLE = {
    "activity_id": "act-10021",
    "org_id": "org-bufdir-42",
    "activity_type": "family_guidance",
    "recorded_at": "2026-01-15T10:30:00Z",
    "participant_count": 4,
    "location": "Oslo",
    "status": "completed",
}


# Operation ids in the contracts' camelCase style (generated clients name functions so).
@extend_schema_view(
    list=extend_schema(operation_id="listActivities", tags=[TAG], summary="List activities"),
    create=extend_schema(
        operation_id="createActivities",
        tags=[TAG],
        summary="Create one activity, or a list of up to 1,000 in one transaction",
        request=ActivitySerializer,
        parameters=[IDEMPOTENCY_KEY],
        examples=[contract_example(EXAMPLE)],
        responses={201: ActivitySerializer, 400: PROBLEM, 422: PROBLEM},
    ),
    retrieve=extend_schema(operation_id="getActivity", tags=[TAG], summary="Get an activity"),
    update=extend_schema(
        operation_id="updateActivity",
        tags=[TAG],
        summary="Replace an activity's fields (activity_id cannot change)",
        examples=[contract_example({k: v for k, v in EXAMPLE.items() if k != "activity_id"})],
    ),
    partial_update=extend_schema(
        operation_id="patchActivity",
        tags=[TAG],
        summary="Change some of an activity's fields",
        examples=[contract_example({"recorded_at": "2026-01-15T13:00:00Z"})],
    ),
    destroy=extend_schema(
        operation_id="deleteActivity", tags=[TAG], summary="Delete an activity", responses={200: DELETED, 404: PROBLEM}
    ),
)
class ActivityViewSet(DeleteConfirmMixin, viewsets.ModelViewSet):
    """Activities of the organisations: every change keeps live counts right."""

    queryset = Activity.objects.select_related("org").order_by("recorded_at", "activity_id")
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilter
    lookup_field = "activity_id"
    lookup_value_regex = ACTIVITY_ID_PATTERN  # anything else is a 404, never a query

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        # Read-token mode: a key lists only its organisations' activities (others: 403 by id).
        return scope_to_key(self.request, queryset) if self.action == "list" else queryset

    @idempotent("activities.create")
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        many = isinstance(request.data, list)
        if many and len(request.data) > services.MAX_BULK_CREATE:
            raise ValidationError(
                {"non_field_errors": [f"At most {services.MAX_BULK_CREATE} activities can be created at once."]}
            )
        if many and not request.data:
            raise ValidationError({"non_field_errors": ["Expected at least one activity."]})
        serializer = self.get_serializer(data=request.data, many=many)
        serializer.is_valid(raise_exception=True)
        items = serializer.validated_data if many else [serializer.validated_data]
        for item in items:
            require_org(request, item["org"])
        with _acting(request):
            created = services.activities_create(items=[_data(item) for item in items])
        out = self.get_serializer(created if many else created[0], many=many)
        return Response(out.data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: BaseSerializer[Activity]) -> None:
        changes = dict(serializer.validated_data)
        changes.pop("activity_id", None)
        if "org" in changes:
            require_org(self.request, changes["org"])  # moving it: the new organisation too
        try:
            with _acting(self.request):
                serializer.instance = services.activity_update(activity=serializer.instance, changes=changes)  # type: ignore[arg-type]
        except Activity.DoesNotExist:
            raise NotFound() from None  # a concurrent DELETE won

    def perform_destroy(self, instance: Activity) -> None:
        with _acting(self.request):
            deleted = services.activity_delete(activity=instance)
        if not deleted:
            raise NotFound()  # a concurrent DELETE won
