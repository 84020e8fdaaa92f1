"""Deploy checks (`manage.py check --deploy`) of the live stream's wiring."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, register
from django.core.checks import Warning as CheckWarning


@register(deploy=True)
def check_events_prefix(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """An empty channel prefix with Redis: every environment on that Redis shares one channel."""
    if settings.REDIS_URL and not settings.EVENTS_CHANNEL_PREFIX:
        return [
            CheckWarning(
                "EVENTS_CHANNEL_PREFIX is empty: every environment on this Redis shares one live-count channel.",
                hint="Unset it (each database then gets its own channel) or set one per environment, e.g. prod:.",
                id="record_counts.W001",
            )
        ]
    return []
