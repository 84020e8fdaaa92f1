"""API keys as credentials: the authentication class that turns an ``Authorization``
header into a ``KeyHolder`` (the rules of who may do what are in lib.api.access).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from api_keys.models import ApiKey
from api_keys.services import api_key_check, api_key_org_pks
from lib.api.access import REALM, KeyHolder, token_required

SCHEMES = ("bearer", "api-key")


def raw_key_from(authorization: str) -> str | None:
    """The key in ``Bearer <key>`` or ``Api-Key <key>``; None for other schemes or none."""
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() not in SCHEMES or not value.strip():
        return None
    return value.strip()


def authenticate_key(authorization: str) -> KeyHolder | None:
    """The holder of the key in an Authorization header; raises 401 for a bad key."""
    raw = raw_key_from(authorization)
    if raw is None:
        return None
    key = api_key_check(raw_key=raw)
    if key is None:
        raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
    return KeyHolder(key, api_key_org_pks(key=key))


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>`` (or ``Api-Key <key>``), in token mode only."""

    def authenticate(self, request: Request) -> tuple[KeyHolder, ApiKey] | None:
        if settings.API_ACCESS != "token":
            return None  # public mode: nothing to check, no query
        holder = authenticate_key(request.META.get("HTTP_AUTHORIZATION", ""))
        return None if holder is None else (holder, holder.key)

    def authenticate_header(self, request: Request) -> str:
        return REALM  # makes DRF answer 401 (not 403) with WWW-Authenticate


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
