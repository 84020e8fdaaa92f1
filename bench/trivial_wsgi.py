"""The transport floor of figure 7: a WSGI app that answers ``{}`` to anything.

Served by the same gunicorn layout and hit by the same client as the API, it measures
what a request costs before Django starts (HTTP parsing, a new TCP connection per
request, since gunicorn's sync workers do not keep connections alive, and the client).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
