"""One error format everywhere: RFC 9457 problem details.

``{"type", "title", "status", "detail"}`` plus ``errors`` (per-field messages) for
validation errors. Served as ``application/problem+json``; never an HTML page and
never a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from lib.api.parsers import PayloadTooLarge

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(status_code: int, detail: str, *, errors: Any = None, title: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(status_code: int, detail: str, *, errors: Any = None) -> JsonResponse:
    """A problem-details response for plain Django views (outside DRF)."""
    return JsonResponse(
        problem(status_code, detail, errors=errors),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _flatten_detail(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return str(detail[0])
    return str(detail)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: turns every error into problem details."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, OperationalError | InterfaceError):
        # The database is unreachable or overloaded, or the connection broke under the
        # request (InterfaceError): fail fast, tell the client to retry. A write that
        # got this may still have committed (the connection broke after COMMIT): retry
        # it with the same Idempotency-Key.
        logger.warning("database unavailable: %s", exc)
        return Response(
            problem(503, "The database is unavailable; retry shortly."),
            status=503,
            content_type=PROBLEM_CONTENT_TYPE,
            headers={"Retry-After": "5"},
        )
    elif isinstance(exc, DatabaseError):
        logger.exception("database error")
        return None

    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]

    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors if isinstance(errors, list) else [errors]}
        fields = ", ".join(str(name) for name in errors)
        body = problem(
            status.HTTP_400_BAD_REQUEST,
            f"Invalid input: {fields}." if fields else "Invalid input.",
            errors=errors,
            title="Validation error",
        )
    else:
        body = problem(exc.status_code, _flatten_detail(exc.detail))
    return Response(body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/healthz"))


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return problem_response(404, "Not found.")
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return problem_response(500, "Internal server error; the error has been logged.")
    return defaults.server_error(request)


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return problem_response(400, "Bad request.")
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return problem_response(403, "Forbidden.")
    return defaults.permission_denied(request, exception)
