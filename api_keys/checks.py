"""Deploy checks (`manage.py check --deploy`): an open API in production is a decision to see."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, register
from django.core.checks import Warning as CheckWarning


@register(Tags.security, deploy=True)
def check_api_access(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEBUG:
        return []
    messages: list[CheckMessage] = []
    if settings.API_ACCESS == "public":
        messages.append(
            CheckWarning(
                "API_ACCESS is 'public': anyone who reaches the API can change any organisation's data.",
                hint="Set API_ACCESS=token and give each client an API key (manage.py create_api_key --org ORG).",
                id="api_keys.W001",
            )
        )
    if not settings.API_THROTTLE_COUNTING:
        messages.append(
            CheckWarning(
                "API_THROTTLE_COUNTING is unset: the counting endpoints are not throttled.",
                hint="Set a rate such as API_THROTTLE_COUNTING=60/minute.",
                id="api_keys.W002",
            )
        )
    if settings.SECURE_PROXY_SSL_HEADER and not settings.TRUSTED_PROXIES:
        messages.append(
            CheckWarning(
                "Behind a TLS proxy (BEHIND_TLS_PROXY) with TRUSTED_PROXIES=0: every client has the proxy's "
                "address, so one client's rate limit (counting, admin login) is everyone's.",
                hint="Set TRUSTED_PROXIES to the number of proxies that append to X-Forwarded-For (nginx alone: 1).",
                id="api_keys.W003",
            )
        )
    return messages
