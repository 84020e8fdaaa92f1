"""Page pagination of SPEC.md: ``page`` from 1, ``limit`` 1..100 (default 20).

Body: ``{"data": [...], "pagination": {"page", "limit", "total"}}``. A page past the end
is an empty ``data``; a malformed or out-of-range ``page``/``limit`` is a 400.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# A page beyond this cannot exist for any realistic table and would overflow OFFSET.
MAX_PAGE = 10**9


def _parse_positive(params: Any, name: str, *, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise serializers.ValidationError({name: [f"{name} must be an integer from 1 to {maximum}."]})
    value = int(text)
    if not 1 <= value <= maximum:
        raise serializers.ValidationError({name: [f"{name} must be an integer from 1 to {maximum}."]})
    return value


class PagePagination(BasePagination):
    def paginate_queryset(self, queryset: QuerySet[Any], request: Request, view: APIView | None = None) -> list[Any]:
        self.page = _parse_positive(request.query_params, "page", default=1, maximum=MAX_PAGE)
        self.limit = _parse_positive(request.query_params, "limit", default=DEFAULT_LIMIT, maximum=MAX_LIMIT)
        self.total = queryset.count()
        offset = (self.page - 1) * self.limit
        if offset >= self.total:
            return []
        return list(queryset[offset : offset + self.limit])

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"data": data, "pagination": {"page": self.page, "limit": self.limit, "total": self.total}})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["data", "pagination"],
            "properties": {
                "data": schema,
                "pagination": {
                    "type": "object",
                    "required": ["page", "limit", "total"],
                    # The examples (the contracts') let drf-spectacular wrap a list's
                    # example item in a page.
                    "properties": {
                        "page": {"type": "integer", "minimum": 1, "example": 1},
                        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "example": DEFAULT_LIMIT},
                        "total": {"type": "integer", "minimum": 0, "example": 1},
                    },
                },
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "page",
                "in": "query",
                "required": False,
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"Items per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
