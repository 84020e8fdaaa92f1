"""Throttling of the counting endpoints: each request runs a count query."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api_keys.access import KeyHolder


class CountingThrottle(SimpleRateThrottle):
    """``API_THROTTLE_COUNTING`` requests per API key (per client IP without a key).

    Over the rate: 429 with ``Retry-After`` and a problem body (the exception handler).
    Counters live in Django's default cache, so limits hold per process unless that cache
    is shared.
    """

    scope = "counting"

    def get_rate(self) -> str | None:
        # Read per request (not DRF's import-time copy) so the setting can change in tests.
        return settings.API_THROTTLE_COUNTING

    def get_cache_key(self, request: Request, view: Any) -> str:
        holder = request.user
        ident = f"key-{holder.key.pk}" if isinstance(holder, KeyHolder) else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
