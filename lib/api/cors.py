"""Cross-origin access to the API (django-cors-headers), by what a request may do.

- A read that needs no key (GET/HEAD, and the stream, while ``API_READ_ACCESS`` is
  public): any origin. The data is public anyway (any script outside a browser can read
  it), and no cookie is ever sent cross-origin (``CORS_ALLOW_CREDENTIALS`` stays off).
- Everything else (writes, and every request in read-token mode): only the origins in
  ``CORS_WRITE_ORIGINS`` (django-cors-headers' ``CORS_ALLOWED_ORIGINS``), which may also
  send ``Authorization`` and ``Idempotency-Key``.
- Only under ``/api/`` (``CORS_URLS_REGEX``): admin and the dashboard never answer CORS.

A preflight asks for the method it is about to send (``Access-Control-Request-Method``),
and that method is what is judged. A read-only origin's preflight answer names only the
read methods and headers, so a browser that caches it (``Access-Control-Max-Age``) never
reuses it for a write.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from corsheaders.conf import conf
from corsheaders.middleware import (
    ACCESS_CONTROL_ALLOW_HEADERS,
    ACCESS_CONTROL_ALLOW_METHODS,
    CorsMiddleware,
)
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from lib.api.access import token_required

READ_METHODS = ("GET", "HEAD", "OPTIONS")
# What a read may carry beyond the CORS-safelisted headers (a client library's JSON
# Accept/Content-Type, an EventSource's reconnect); no credentials.
READ_HEADERS = ("accept", "accept-language", "content-language", "content-type", "last-event-id")


def _intended_method(request: HttpRequest) -> str:
    """The method of the request itself, or of the one a preflight asks about."""
    if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
        return request.headers["access-control-request-method"].upper()
    return request.method or "GET"


def public_read(request: HttpRequest) -> bool:
    """Whether any origin may make this request: an API read that needs no key."""
    return (
        bool(re.match(conf.CORS_URLS_REGEX, request.path_info))
        and _intended_method(request) in READ_METHODS
        and not token_required("GET")
    )


class ApiCorsMiddleware(CorsMiddleware):
    """django-cors-headers with any origin allowed for public reads (see the module)."""

    def check_signal(self, request: HttpRequest) -> bool:
        # The library asks this (besides its allow-list) whether a request's path is
        # CORS-enabled and whether its origin is allowed; public reads are, from anywhere.
        return public_read(request) or super().check_signal(request)

    def add_response_headers(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().add_response_headers(request, response)
        if ACCESS_CONTROL_ALLOW_METHODS in response and not self._listed(request):
            response[ACCESS_CONTROL_ALLOW_METHODS] = ", ".join(READ_METHODS)
            response[ACCESS_CONTROL_ALLOW_HEADERS] = ", ".join(READ_HEADERS)
        return response

    def _listed(self, request: HttpRequest) -> bool:
        """Whether the origin is in CORS_WRITE_ORIGINS (may do everything, not only read)."""
        origin = request.headers.get("origin", "")
        try:
            return self.origin_found_in_white_lists(origin, urlsplit(origin))
        except ValueError:
            return False
