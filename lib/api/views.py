"""Small mixins shared by the API viewsets."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import BaseThrottle

from lib.api.access import CountingThrottle, scope_to_key
from lib.api.ids import PublicId


def api_router() -> SimpleRouter:
    """A router whose routes answer with and without a trailing slash.

    The contracts print paths without one (``/api/v1/bufdir-aggregations/:id``);
    redirecting would lose POST bodies, so both spellings are served directly.
    """
    router = SimpleRouter()
    router.trailing_slash = "/?"
    return router


class JsonNegotiation(BaseContentNegotiation):
    """JSON for every answer, errors included: the view picks CSV or XLSX itself from
    ``format`` and ``Accept``, so that DRF's own ``?format=`` handling (a 404 for an
    unknown one) never runs and an error is always problem JSON."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return (renderers[0], renderers[0].media_type)


class PublicIdLookupMixin:
    """Look objects up by their public id (``agg-snap-001``); anything else is a 404."""

    public_id: PublicId
    lookup_field = "pk"
    lookup_url_kwarg: str | None = "id"
    lookup_value_regex = "[^/]+"
    kwargs: dict[str, Any]

    def get_object(self) -> Any:
        pk = self.public_id.parse(self.kwargs["id"])
        if pk is None:
            raise NotFound()
        queryset = self.filter_queryset(self.get_queryset())  # type: ignore[attr-defined]
        try:
            obj = queryset.get(pk=pk)
        except queryset.model.DoesNotExist:
            raise NotFound() from None
        self.check_object_permissions(self.request, obj)  # type: ignore[attr-defined]
        return obj


class DeleteConfirmMixin:
    """DELETE answers 200 with ``{"deleted": true, "id": ...}`` (the contracts' shape)."""

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance: Model = self.get_object()  # type: ignore[attr-defined]
        public_id = getattr(instance, "public_id", None) or str(instance.pk)
        self.perform_destroy(instance)  # type: ignore[attr-defined]
        return Response({"deleted": True, "id": public_id}, status=status.HTTP_200_OK)


# The contracts' own request example (both print this range), for Swagger's "Example Value".
CONTRACT_RANGE = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}


def contract_example(value: dict[str, Any]) -> OpenApiExample:
    return OpenApiExample("Contract example", value=value, request_only=True)


PROBLEM = OpenApiResponse(description="Problem details (application/problem+json)")
DELETED = OpenApiResponse(
    inline_serializer("Deleted", {"deleted": serializers.BooleanField(), "id": serializers.CharField()}),
    description='{"deleted": true, "id": ...}',
)


class SnapshotViewSet(
    PublicIdLookupMixin,
    DeleteConfirmMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The shape both contracts give their snapshots: public-id lookup, list, retrieve,
    delete; create (POST) and re-count (PUT) are computations each viewset writes itself
    (input serializer -> service -> output serializer). No PATCH."""

    http_method_names = ["get", "post", "put", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        # In read-token mode a key lists only its own organisations' snapshots; a lookup by
        # id of another organisation's snapshot is a 403 (object permission), not a 404.
        return scope_to_key(self.request, queryset) if self.action == "list" else queryset

    def get_throttles(self) -> list[BaseThrottle]:
        # Creating and re-counting run a count query each.
        throttles = super().get_throttles()
        return [*throttles, CountingThrottle()] if self.action in {"create", "update"} else throttles
