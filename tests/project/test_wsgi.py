"""The WSGI app (gunicorn) answers stream paths with a 421 problem at once, never a stream."""

from __future__ import annotations

import json
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from bufdir_project import wsgi

STREAM_PATHS = [
    "/api/v1/period-record-counts/stream",
    "/api/v1/period-record-counts/stream/",
    "/api/v1/period-record-counts/api/v1/period-record-counts/stream",
    "/api/v1/period-record-counts/api/v1/period-record-counts/stream/",
]


def call(path: str, query: str = "") -> tuple[str, dict[str, str], bytes]:
    environ: dict[str, Any] = {"PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "localhost"}
    setup_testing_defaults(environ)
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    chunks = wsgi.application(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return seen["status"], seen["headers"], body


@pytest.mark.parametrize("path", STREAM_PATHS)
def test_a_stream_request_is_a_421_problem_naming_the_stream_process(path):
    status, headers, body = call(path, "org_id=org-bufdir-42&start=2026-01-01&end=2026-12-31")
    assert status == "421 Misdirected Request"
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 421
    assert "stream" in problem["detail"]


def test_other_paths_reach_django(monkeypatch):
    def django(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    monkeypatch.setattr(wsgi, "django_application", django)
    for path in ("/api/v1/period-record-counts", "/api/v1/period-record-counts/count-snapshot-001", "/healthz"):
        assert call(path)[::2] == ("200 OK", path.encode())
