"""OpenAPI postprocessing: the responses every endpoint can give, links, the stream.

drf-spectacular documents what the views declare; the error responses below come from
layers around the views (parsers, permissions, throttles, the database-outage handler),
so they are added here once instead of on every ``extend_schema``.
"""

from __future__ import annotations

from typing import Any

from lib.api.exceptions import PROBLEM_CONTENT_TYPE
from lib.api.fields import BOUND_SCHEMA

IDEMPOTENCY_HEADER = "Idempotency-Key"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "description": "Per-field messages (validation errors only)."},
    },
    "required": ["type", "title", "status", "detail"],
}

DESCRIPTIONS = {
    "400": "Validation problem: malformed JSON or invalid fields or parameters, named in `errors`.",
    "401": "Token mode: a missing or invalid API key (`WWW-Authenticate: Bearer`).",
    "403": "Token mode: the key may not act on this organisation's data.",
    "404": "No such resource.",
    "409": "Another count snapshot of this organisation already holds that range.",
    "413": "The request body is too large.",
    "414": "The query string is longer than the API takes (4,096 bytes).",
    "415": "The request body is not `application/json`.",
    "431": "The request headers are larger than the API takes (8,192 bytes).",
    "422": f"This `{IDEMPOTENCY_HEADER}` was already used with another body.",
    "429": "Counting rate limit (`API_THROTTLE_COUNTING`) exceeded; see `Retry-After`.",
    "503": "The database is unavailable; retry after `Retry-After` seconds.",
}

# Creating or re-counting a snapshot runs a count query and is throttled.
COUNTING_PATHS = ("/api/v1/bufdir-aggregations/", "/api/v1/period-record-counts/")

REPORT_PATHS = ("/api/v1/reports/",)

STREAM_PATH = "/api/v1/period-record-counts/stream"


def _problem(code: str) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS[code],
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _error_codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    params = operation.get("parameters", [])
    codes = ["401", "403", "431", "503"]  # any request can carry headers too large
    if "requestBody" in operation or any(p["in"] == "query" for p in params):
        codes.append("400")
    if any(p["in"] == "query" for p in params):
        codes.append("414")
    if "requestBody" in operation:
        codes += ["413", "415"]
    if any(p["in"] == "path" for p in params):
        codes.append("404")
    if any(p["in"] == "header" and p["name"] == IDEMPOTENCY_HEADER for p in params):
        codes.append("422")
    if (
        method in {"post", "put"}
        and path.startswith(COUNTING_PATHS)
        and not path.startswith("/api/v1/bufdir-aggregations/activities")
    ):
        codes.append("429")
    if path.startswith(REPORT_PATHS):
        codes.append("429")  # every report runs a counting query
    if method == "put" and path.startswith("/api/v1/period-record-counts/{"):
        codes.append("409")
    return codes


LINKS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("/api/v1/activities/", "post", "201"): {
        "path": "/api/v1/activities/{activity_id}/",
        "parameter": "activity_id",
        "value": "$response.body#/activity_id",
    },
    ("/api/v1/bufdir-aggregations/", "post", "201"): {
        "path": "/api/v1/bufdir-aggregations/{id}/",
        "parameter": "id",
        "value": "$response.body#/id",
    },
    ("/api/v1/period-record-counts/", "post", "200"): {
        "path": "/api/v1/period-record-counts/{id}/",
        "parameter": "id",
        "value": "$response.body#/id",
    },
}


def _add_links(paths: dict[str, Any]) -> None:
    """Stateful testing follows these: create, then read, change or delete by the new id."""
    for (path, method, code), link in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(code)
        target = paths.get(link["path"])
        if response is None or target is None:
            continue
        links = response.setdefault("links", {})
        for operation in target.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            links[operation["operationId"]] = {
                "operationId": operation["operationId"],
                "parameters": {link["parameter"]: link["value"]},
            }


PAGINATION_PARAMETERS = {"page", "limit"}  # an empty one is a 400 (lib/api/pagination.py)


def _allow_empty_filters(operation: dict[str, Any]) -> None:
    """A filter given empty (``?status=``) is no filter, as everywhere in django-filter.

    Said with ``allowEmptyValue`` rather than by adding ``""`` to enums or patterns, so
    that the value schemas stay plain (a boolean, an enum, a date-time) for generated clients.
    """
    for param in operation.get("parameters", []):
        if param["in"] == "query" and not param.get("required") and param["name"] not in PAGINATION_PARAMETERS:
            param["allowEmptyValue"] = True


def _no_defaults_in_patches(schemas: dict[str, Any]) -> None:
    """A PATCH leaves a field it omits alone: its body schema has no ``default``.

    With one, a generated client fills the default in (openapi-python-client sent
    ``"location": ""`` with every PATCH and wiped the location).
    """
    for name, component in schemas.items():
        if name.startswith("Patched"):
            for prop in component.get("properties", {}).values():
                prop.pop("default", None)


def _stream_operation() -> dict[str, Any]:
    def query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": True,
            "schema": schema or {"type": "string"},
            "description": description,
        }

    return {
        "get": {
            "operationId": "getCountStream",
            "summary": "Server-Sent Events stream of live record counts for a range (getCountStream)",
            "description": (
                "Never ends: the first `message` event is the current count, then one event per committed "
                'change. Each event\'s data is `{"org_id", "record_count", "is_complete", "timestamp"}`. '
                "Bad parameters are a 400 problem before any stream starts."
            ),
            "tags": ["period-record-counts"],
            "parameters": [
                query("org_id", "Organisation id, e.g. org-bufdir-42."),
                query("start", "Range start: datetime with offset, or a local date.", BOUND_SCHEMA),
                query("end", "Range end, inclusive to the whole second: datetime or a local date.", BOUND_SCHEMA),
            ],
            "security": [{"ApiKey": []}, {}],
            "responses": {
                "200": {
                    "description": "The event stream.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                **{code: _problem(code) for code in ("400", "401", "403", "503")},
            },
        }
    }


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    _no_defaults_in_patches(schemas)
    paths = result["paths"]
    paths[STREAM_PATH] = _stream_operation()
    for path, item in paths.items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if method == "get":
                _allow_empty_filters(operation)
            responses = operation["responses"]
            declared = [code for code in responses if code >= "400" and code in DESCRIPTIONS]
            for code in sorted({*_error_codes(path, method, operation), *declared}):
                # Replace bare descriptions ("Problem details") with the documented body.
                if code not in responses or "content" not in responses[code]:
                    responses[code] = _problem(code)
    _add_links(paths)
    return result
