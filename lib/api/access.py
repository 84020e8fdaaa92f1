"""Who may call the API: public by default, API keys in token mode (settings.API_ACCESS).

``API_ACCESS=public`` (the contracts' default): everyone reads and writes; credentials
are ignored. ``API_ACCESS=token``: writes need a key, and a key writes only its own
organisations' data; reads stay public unless ``API_READ_ACCESS=token`` too, and then a
key reads only its own organisations' data. The settings are read per request, so tests
can switch modes with ``override_settings``.

These are the rules only; which key a request carries is the ``api_keys`` app's business
(its authentication class puts a ``KeyHolder`` on ``request.user``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from lib.client_ip import client_ip

REALM = 'Bearer realm="api"'
FORBIDDEN = "This API key may not access this organisation's data."


def token_required(method: str) -> bool:
    """Whether a request with this HTTP method needs a key under the current settings."""
    if settings.API_ACCESS != "token":
        return False
    if method in SAFE_METHODS:
        return settings.API_READ_ACCESS == "token"
    return True


class KeyHolder:
    """``request.user`` of a request made with an API key: the key and its organisations."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, key: Any, org_pks: frozenset[int]) -> None:
        self.key = key
        self.org_pks = org_pks

    def __str__(self) -> str:
        return str(self.key)


def require_org(request: Request, org: Model) -> None:
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


class CountingThrottle(SimpleRateThrottle):
    """``API_THROTTLE_COUNTING`` requests per API key (per client address without a key,
    from ``lib.client_ip``: ``X-Forwarded-For`` only as far as ``TRUSTED_PROXIES`` vouch).

    Over the rate: 429 with ``Retry-After`` and a problem body (the exception handler).
    Counters live in Django's default cache (Redis when configured: shared by every
    process).
    """

    scope = "counting"

    def get_rate(self) -> str | None:
        # Read per request (not DRF's import-time copy) so the setting can change in tests.
        return settings.API_THROTTLE_COUNTING

    def get_cache_key(self, request: Request, view: Any) -> str:
        holder = request.user
        ident = f"key-{holder.key.pk}" if isinstance(holder, KeyHolder) else client_ip(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
