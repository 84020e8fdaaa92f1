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


@register(deploy=True)
def check_grip(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Hold mode (docs/stream.md) half configured, or with Pushpin's well-known default key."""
    if not settings.GRIP_KEY:
        return []
    messages: list[CheckMessage] = []
    if settings.GRIP_KEY == "changeme" or len(settings.GRIP_KEY) < 16:
        messages.append(
            CheckWarning(
                "GRIP_KEY is Pushpin's default sig_key or shorter than 16 characters: anyone could sign requests.",
                hint="Generate a long random key and give it to Pushpin (sig_key) and every app process.",
                id="record_counts.W002",
            )
        )
    if not settings.GRIP_PUBLISH_URL:
        messages.append(
            CheckWarning(
                "GRIP_KEY is set but GRIP_PUBLISH_URL is not: held streams would never get a changed count.",
                hint="Set GRIP_PUBLISH_URL to Pushpin's publish endpoint, e.g. http://127.0.0.1:5561.",
                id="record_counts.W003",
            )
        )
    elif not settings.REDIS_URL:
        messages.append(
            CheckWarning(
                "Hold mode without REDIS_URL: only a single daphne process can publish, for its own writes.",
                hint="Set REDIS_URL for every process and run one `manage.py grip_publisher` (docs/deployment.md).",
                id="record_counts.W004",
            )
        )
    return messages
