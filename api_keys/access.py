"""Who may call the API: public by default, API keys in token mode (settings.API_ACCESS).

``API_ACCESS=public`` (the contracts' default): everyone reads and writes; credentials
are ignored. ``API_ACCESS=token``: writes need a key, and a key writes only its own
organisations' data; reads stay public unless ``API_READ_ACCESS=token`` too, and then a
key reads only its own organisations' data. The settings are read per request, so tests
can switch modes with ``override_settings``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from activities.models import Organization
from api_keys.models import ApiKey
from api_keys.services import api_key_check, api_key_org_pks

SCHEMES = ("bearer", "api-key")
REALM = 'Bearer realm="api"'


def token_required(method: str) -> bool:
    """Whether a request with this HTTP method needs a key under the current settings."""
    if settings.API_ACCESS != "token":
        return False
    if method in SAFE_METHODS:
        return settings.API_READ_ACCESS == "token"
    return True


def raw_key_from(authorization: str) -> str | None:
    """The key in ``Bearer <key>`` or ``Api-Key <key>``; None for other schemes or none."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() not in SCHEMES or not value.strip():
        return None
    return value.strip()


class KeyHolder:
    """``request.user`` of a request made with an API key."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.org_pks = api_key_org_pks(key=key)

    def __str__(self) -> str:
        return str(self.key)


def authenticate_key(authorization: str) -> KeyHolder | None:
    """The holder of the key in an Authorization header; raises 401 for a bad key."""
    raw = raw_key_from(authorization)
    if raw is None:
        return None
    key = api_key_check(raw_key=raw)
    if key is None:
        raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
    return KeyHolder(key)


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>`` (or ``Api-Key <key>``), in token mode only."""

    def authenticate(self, request: Request) -> tuple[KeyHolder, ApiKey] | None:
        if settings.API_ACCESS != "token":
            return None  # public mode: nothing to check, no query
        holder = authenticate_key(request.META.get("HTTP_AUTHORIZATION", ""))
        return None if holder is None else (holder, holder.key)

    def authenticate_header(self, request: Request) -> str:
        return REALM  # makes DRF answer 401 (not 403) with WWW-Authenticate


FORBIDDEN = "This API key may not access this organisation's data."


def require_org(request: Request, org: Organization) -> None:
    """403 unless the request may act on ``org`` (always allowed when no key is required)."""
    if not token_required(request.method or "GET"):
        return
    holder = request.user
    if not isinstance(holder, KeyHolder) or org.pk not in holder.org_pks:
        raise exceptions.PermissionDenied(FORBIDDEN)


def scope_to_key(request: Request, queryset: QuerySet[Any], *, org_field: str = "org") -> QuerySet[Any]:
    """Only the key's organisations' rows, when the request needs a key; else unchanged."""
    if not token_required(request.method or "GET"):
        return queryset
    holder = request.user
    org_pks: frozenset[int] = holder.org_pks if isinstance(holder, KeyHolder) else frozenset()
    return queryset.filter(**{f"{org_field}__in": org_pks})


class ApiAccess(BasePermission):
    """Needs a key when the mode says so; objects only of the key's organisations."""

    message = FORBIDDEN

    def has_permission(self, request: Request, view: Any) -> bool:
        if not token_required(request.method or "GET"):
            return True
        return isinstance(request.user, KeyHolder)  # else DRF answers 401

    def has_object_permission(self, request: Request, view: Any, obj: Model) -> bool:
        if not token_required(request.method or "GET"):
            return True
        holder = request.user
        return isinstance(holder, KeyHolder) and getattr(obj, "org_id", None) in holder.org_pks


class ApiKeySchema(OpenApiAuthenticationExtension):
    """Documents the key in the OpenAPI schema, optional where the current mode allows none."""

    target_class = "api_keys.access.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (`bfd_…`); needed only when the service runs with API_ACCESS=token.",
        }

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        if token_required(auto_schema.method):
            return [{"ApiKey": []}]
        return [{"ApiKey": []}, {}]
