"""WSGI entry point: gunicorn serves the REST API, admin and static files (Procfile ``web``).

The live count stream needs ASGI (daphne, the Procfile's ``stream`` process). A WSGI
worker would give its only thread to a stream for as long as the client stays, so a
stream request that reaches it anyway (a proxy routing it wrongly) is answered at once
with a 421 problem that says where the stream is served, and never reaches Django;
unless it comes through Pushpin in hold mode (a valid ``Grip-Sig``, record_counts/grip.py):
that one is answered at once with the first count and Pushpin holds the connection.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bufdir_project.settings")

STREAM_SUFFIX = "/period-record-counts/stream"  # also ends the contract's doubled path
MISDIRECTED = {
    "type": "about:blank",
    "title": "Misdirected Request",
    "status": 421,
    "detail": "The live count stream is served by the stream (ASGI) process, not this WSGI "
    "worker: route /api/v1/period-record-counts/stream to it (see docs/deployment.md).",
}

django_application = get_wsgi_application()


def _signed_by_pushpin(environ: dict[str, Any]) -> bool:
    """A stream request through Pushpin is answered at once (hold mode): Django holds nothing."""
    from record_counts import grip

    return grip.enabled() and grip.verify_sig(environ.get("HTTP_GRIP_SIG", ""))


def is_stream_path(path: str) -> bool:
    return path.rstrip("/").endswith(STREAM_SUFFIX)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if is_stream_path(environ.get("PATH_INFO", "")) and not _signed_by_pushpin(environ):
        body = json.dumps(MISDIRECTED).encode()
        start_response(
            "421 Misdirected Request",
            [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
        )
        return [body]
    return django_application(environ, start_response)
