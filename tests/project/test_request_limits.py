"""Oversized requests against a real gunicorn started with the Procfile's flags: what
reaches the application is a problem JSON; the server's own limits sit above it."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.record_counts.server import free_port, server_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def procfile_web_args(port: int) -> list[str]:
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    args = shlex.split(line.removeprefix("web:").replace("${PORT:-8000}", str(port)))
    return [sys.executable, "-m", *args]


@pytest.fixture
def gunicorn():
    port = free_port()
    proc = subprocess.Popen(procfile_web_args(port), cwd=ROOT, env=server_env(), stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


def test_the_procfile_sets_the_server_limits():
    args = procfile_web_args(8000)
    assert args[args.index("--limit-request-line") + 1] == "8190"  # gunicorn's maximum
    assert args[args.index("--limit-request-field_size") + 1] == "16384"


def test_what_reaches_the_app_is_a_problem_json(gunicorn):
    response = httpx.get(gunicorn + "/api/v1/activities/", params={"location": "x" * 6_000}, timeout=10)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/problem+json"
    response = httpx.get(gunicorn + "/api/v1/activities/", headers={"X-Padding": "y" * 12_000}, timeout=10)
    # One header of 12 KB passes gunicorn (16 KB per field); the application refuses it.
    assert response.status_code == 431
    assert response.headers["Content-Type"] == "application/problem+json"
