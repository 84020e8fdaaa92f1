"""The client's address, as far as this deployment can know it.

``TRUSTED_PROXIES`` is how many proxies in front of the app append to
``X-Forwarded-For`` (nginx with ``proxy_add_x_forwarded_for``, Pushpin, a load
balancer). 0, the default: the socket's address, and the header is ignored (anyone can
send it). N: the address the N-th proxy from the app saw, i.e. the N-th entry from the
right; entries further left were written by the client and are not believed. Rate
limits (counting throttle, admin login) use this, so a client cannot pick a new
identity per request.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    remote = str(request.META.get("REMOTE_ADDR", ""))
    trusted = int(getattr(settings, "TRUSTED_PROXIES", 0))
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    if trusted <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    if not addresses:
        return remote
    return addresses[-min(trusted, len(addresses))]
