"""One error shape everywhere the API answers, and no 500 for a NUL byte in admin.

``problem_errors`` (outermost in MIDDLEWARE) turns every error answered as something
other than JSON under ``/api/`` and ``/healthz`` into a problem JSON of the same status
and headers (``Allow`` stays): Django's CSRF 403 page, an empty 405 from
``require_GET``, the debug 404 page with ``DEBUG=1``, a 400 of the request parser.
DRF's own errors are problem JSON already (``lib.api.exceptions``) and pass as they are.

A query string over ``MAX_QUERY_STRING`` or headers over ``MAX_HEADER_BYTES`` under those
paths are a 414 / 431 problem before a view runs.

In admin a NUL byte in any query or form value is a 400 before a view runs: PostgreSQL
refuses NUL in text with an error, not a miss, and admin's filters and autocomplete
would pass it straight through (a 500).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from lib.api.exceptions import PROBLEM_CONTENT_TYPE, problem_response

API_PREFIXES = ("/api/", "/healthz")
# What the application refuses itself, with a problem JSON, before a view runs; kept
# below the servers' own limits (Procfile: gunicorn --limit-request-line 8190, its maximum,
# --limit-request-field_size 16384), whose answers are theirs (HTML or a closed
# connection) and are for what never reaches the application (docs/deployment.md).
MAX_QUERY_STRING = 4096
MAX_HEADER_BYTES = 8192
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


def _api(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def _as_problem(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if response.status_code < 400 or not _api(request.path):
        return response
    content_type = response.get("Content-Type", "")
    if content_type.startswith((PROBLEM_CONTENT_TYPE, "application/json")):
        return response
    phrase = HTTPStatus(response.status_code).phrase if response.status_code in HTTPStatus._value2member_map_ else ""
    detail = {
        403: "Forbidden (a browser form without its CSRF token, or no access).",
        404: "No such path in this API.",
        405: f"The method {request.method} is not allowed here.",
    }.get(response.status_code, phrase or "The request could not be served.")
    problem = problem_response(response.status_code, detail)
    for name in KEPT_HEADERS:
        if name in response:
            problem[name] = response[name]
    return problem


def _too_large(request: HttpRequest) -> HttpResponse | None:
    """A 414 for a query string, a 431 for headers, larger than the application takes."""
    if not _api(request.path):
        return None
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
        return problem_response(414, f"The query string is longer than {MAX_QUERY_STRING} bytes.")
    header_bytes = sum(
        len(str(k)) + len(str(v)) for k, v in request.META.items() if k.startswith("HTTP_") or k == "CONTENT_TYPE"
    )
    if header_bytes > MAX_HEADER_BYTES:
        return problem_response(431, f"The request headers are larger than {MAX_HEADER_BYTES} bytes.")
    return None


def _nul_in_admin(request: HttpRequest) -> bool:
    if not request.path.startswith("/admin/"):
        return False
    if "\x00" in request.path:
        return True
    values = [*request.GET.keys(), *(v for vs in request.GET.lists() for v in vs[1])]
    if request.method == "POST" and request.content_type != "multipart/form-data":
        values += [*request.POST.keys(), *(v for vs in request.POST.lists() for v in vs[1])]
    return any("\x00" in v for v in values)


NUL_REFUSED = "A NUL character is not allowed in a request."

Handler = Callable[[HttpRequest], HttpResponse]
AsyncHandler = Callable[[HttpRequest], Awaitable[HttpResponse]]


def problem_errors(get_response: Handler | AsyncHandler) -> Handler | AsyncHandler:
    """Sync and async: the stream's async view keeps its event-loop path."""
    if iscoroutinefunction(get_response):

        async def middleware_async(request: HttpRequest) -> HttpResponse:
            if _nul_in_admin(request):
                return HttpResponseBadRequest(NUL_REFUSED)
            refused = _too_large(request)
            if refused is not None:
                return refused
            return _as_problem(request, await get_response(request))

        markcoroutinefunction(middleware_async)
        return middleware_async

    def middleware(request: HttpRequest) -> HttpResponse:
        if _nul_in_admin(request):
            return HttpResponseBadRequest(NUL_REFUSED)
        refused = _too_large(request)
        if refused is not None:
            return refused
        return _as_problem(request, get_response(request))  # type: ignore[arg-type]

    return middleware


problem_errors.sync_capable = True  # type: ignore[attr-defined]
problem_errors.async_capable = True  # type: ignore[attr-defined]
