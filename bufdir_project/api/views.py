"""Small mixins shared by the API viewsets."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from bufdir_project.api.ids import PublicId


def api_router() -> SimpleRouter:
    """A router whose routes answer with and without a trailing slash.

    The contracts print paths without one (``/api/v1/bufdir-aggregations/:id``);
    redirecting would lose POST bodies, so both spellings are served directly.
    """
    router = SimpleRouter()
    router.trailing_slash = "/?"
    return router


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
