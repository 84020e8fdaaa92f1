"""deploy/nginx.conf through a real nginx in front of a real gunicorn (Procfile flags):
slow clients end at the proxy within its header timeout while everyone else is served,
and oversized requests are refused there. Issue 12, item 8."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.project.test_request_limits import ROOT, gunicorn  # noqa: F401 (a fixture)
from tests.record_counts.server import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(NGINX).exists(), reason="needs nginx (apt install nginx-light; .ci/run does)"),
]
HALF_SENT = 300  # as in the probe
HEADER_TIMEOUT = 10.0  # deploy/nginx.conf's client_header_timeout


def site_config(listen: int, web: int) -> str:
    """deploy/nginx.conf as a test serves it: plain HTTP on a free port, our gunicorn."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    assert f"client_header_timeout {HEADER_TIMEOUT:g}s;" in text
    text = re.sub(r"listen 443 ssl;", f"listen 127.0.0.1:{listen} backlog=1024;", text)
    text = text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{web};")
    return text


@pytest.fixture
def nginx(gunicorn):  # noqa: F811
    port = free_port()
    web = int(gunicorn.rsplit(":", 1)[1])
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(
            f"daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log; worker_processes 1;\n"
            "events { worker_connections 2048; }\n"
            f"http {{ access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp};\n"
            f"{site_config(port, web)}\n}}\n"
        )
        proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", tmp], stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(url + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url, port
        proc.terminate()
        proc.wait(10)


def test_half_sent_requests_end_at_the_proxy_and_others_are_served(nginx):
    url, port = nginx
    slow = []
    for _ in range(HALF_SENT):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(b"GET /api/v1/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # and nothing more
        slow.append(sock)
    opened = time.monotonic()

    # Meanwhile the application answers everyone else at once: nothing reached it.
    for _ in range(10):
        started = time.monotonic()
        assert httpx.get(url + "/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 1.0

    # Each half-sent request is closed by the proxy once its header timeout passes.
    closed_after = []
    for sock in slow:
        sock.settimeout(max(0.1, opened + HEADER_TIMEOUT + 5 - time.monotonic()))
        try:
            while sock.recv(4096):
                pass  # nginx may say 408 before it closes
        except TimeoutError:
            pytest.fail("a half-sent request was still open 5 s after the proxy's header timeout")
        closed_after.append(time.monotonic() - opened)
        sock.close()
    assert len(closed_after) == HALF_SENT
    assert max(closed_after) < HEADER_TIMEOUT + 5
    assert min(closed_after) >= HEADER_TIMEOUT - 1  # not closed early: the timeout is what ends them


def test_oversized_headers_end_at_the_proxy(nginx):
    url, _ = nginx
    response = httpx.get(url + "/api/v1/activities", headers={"X-Padding": "y" * 20_000}, timeout=10)
    assert response.status_code == 400  # over large_client_header_buffers' 16 KB: nginx's own answer
    # Within the proxy's limits, the application's own: a problem JSON.
    response = httpx.get(url + "/api/v1/activities", headers={"X-Padding": "y" * 12_000}, timeout=10)
    assert response.status_code == 431
    assert response.headers["Content-Type"] == "application/problem+json"


def test_the_import_page_takes_big_uploads_and_other_paths_do_not(nginx):
    url, _ = nginx
    body = b"x" * (6 * 1024 * 1024)  # over the 5 MB of every other path
    elsewhere = httpx.post(url + "/api/v1/activities", content=body, timeout=30)
    assert elsewhere.status_code == 413  # nginx's own refusal, before gunicorn
    upload = httpx.post(url + "/admin/activities/activity/import/", content=body, timeout=30)
    assert upload.status_code != 413  # through to Django (which sends a stranger to log in)
    assert upload.status_code in (302, 403)
