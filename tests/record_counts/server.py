"""A real daphne server on a free port, sharing the test database, and an SSE reader."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import connection
from httpx_sse import connect_sse

ROOT = Path(__file__).resolve().parents[2]
ASGI_APP = "bufdir_project.asgi:application"
SERVER_APP_NAME = "bufdir-test-daphne"  # tags the server's PostgreSQL connections


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bufdir_project.settings",
        SECRET_KEY=env.get("SECRET_KEY", "test-only-secret-key-not-for-production"),
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        # The test process derived its prefix from the database name before pytest-django
        # renamed it to the test database's: a server must hear the test's announcements.
        EVENTS_CHANNEL_PREFIX=settings.EVENTS_CHANNEL_PREFIX,
    )
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(name)
        env.pop("DATABASE_URL", None)
    else:
        s = connection.settings_dict
        env["DATABASE_URL"] = (
            f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
            f"?application_name={SERVER_APP_NAME}"
        )
    return env


class DaphneServer:
    def __init__(
        self, env: dict[str, str] | None = None, command: list[str] | None = None, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Any server that serves /healthz: daphne by default, gunicorn or a command given.
        command = command or ["-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", ASGI_APP]
        # The server's log goes to a file, not a pipe nobody reads (a full pipe would stall
        # the server); ``stop`` prints its tail, which pytest shows for a failed test.
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (open as long as the server runs)
        self.proc = subprocess.Popen(
            [sys.executable, *(c.format(port=self.port) for c in command)],
            cwd=ROOT,
            env=server_env() | (env or {}),
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"daphne did not start: {self.log_tail()}")

    def log_tail(self, size: int = 6000) -> str:
        self.log.seek(0, os.SEEK_END)
        self.log.seek(max(0, self.log.tell() - size))
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if not self.log.closed:
            tail = self.log_tail()
            if tail.strip():
                print(f"--- the server's log (last {len(tail)} characters) ---\n{tail}")
            self.log.close()


class SSEReader:
    """Reads one SSE connection in a thread; message events land in ``events``."""

    def __init__(self, url: str, params: dict[str, str], headers: dict[str, str] | None = None) -> None:
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.opened = threading.Event()
        self.ended = threading.Event()  # the server ended the stream (or it failed)
        self.status: int | None = None
        self._stop = threading.Event()
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=None), headers=headers)
        self._thread = threading.Thread(target=self._run, args=(url, params), daemon=True)
        self._thread.start()

    def _run(self, url: str, params: dict[str, str]) -> None:
        try:
            with connect_sse(self._client, "GET", url, params=params) as source:
                self.status = source.response.status_code
                self.opened.set()
                for sse in source.iter_sse():
                    if self._stop.is_set():
                        return
                    if sse.event == "message":
                        self.events.put(json.loads(sse.data))
        except (httpx.HTTPError, RuntimeError):
            self.opened.set()
        finally:
            self.ended.set()

    def next(self, timeout: float = 3.0) -> dict[str, Any]:
        return self.events.get(timeout=timeout)

    def wait_for(self, count: int, timeout: float = 5.0) -> dict[str, Any]:
        """The first event whose record_count is ``count`` (earlier ones are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.next(max(0.01, deadline - time.monotonic()))
            if event["record_count"] == count:
                return event

    def close(self) -> None:
        self._stop.set()
        self._client.close()


class PushpinProxy:
    """Pushpin (the GRIP proxy) in front of a daphne server, as a streaming reverse proxy."""

    def __init__(self, upstream_port: int, workdir: Path, *, sig_key: str | None = None, wait: bool = True) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Its IPC sockets live here: a short path (unix socket paths stop at 108 bytes).
        rundir = Path(tempfile.mkdtemp(prefix="pp", dir="/tmp"))
        conf = Path("/etc/pushpin/pushpin.conf").read_text()
        conf = conf.replace("rundir=/var/run/pushpin", f"rundir={rundir}")
        conf = conf.replace("logdir=/var/log/pushpin", f"logdir={workdir}")
        (workdir / "routes").write_text(f"* 127.0.0.1:{upstream_port}\n")
        config = workdir / "pushpin.conf"
        # Pushpin sends upstream requests through zurl (a system service in the Debian
        # package); run a private one on sockets of our own, allowed to reach loopback.
        zurl = Path("/etc/zurl.conf").read_text().replace("/var/run/zurl/", f"{rundir}/z-")
        zurl = zurl.replace("deny=127.*,10.*,192.168.*,*.local", "deny=")
        (workdir / "zurl.conf").write_text(zurl)
        conf = conf.replace("routesfile=routes", f"routesfile={workdir / 'routes'}")
        conf = conf.replace(
            "[proxy]\n",
            f"[proxy]\nzurl_out_specs=ipc://{rundir}/z-zurl-in\n"
            f"zurl_out_stream_specs=ipc://{rundir}/z-zurl-in-stream\nzurl_in_specs=ipc://{rundir}/z-zurl-out\n",
            1,
        )
        # Its handler's own sockets: files in the private rundir and a free HTTP port, never
        # the defaults (5560-5563), which the id would only shift onto other services'
        # ports (RabbitMQ's 5672 was hit in CI).
        conf = conf.replace("push_in_spec=tcp://127.0.0.1:5560", f"push_in_spec=ipc://{rundir}/h-push-in")
        conf = conf.replace("push_in_sub_specs=tcp://127.0.0.1:5562", f"push_in_sub_specs=ipc://{rundir}/h-push-in-sub")
        conf = conf.replace("command_spec=tcp://127.0.0.1:5563", f"command_spec=ipc://{rundir}/h-command")
        publish_port = free_port()
        self.publish_url = f"http://127.0.0.1:{publish_port}"
        conf = conf.replace("push_in_http_port=5561", f"push_in_http_port={publish_port}")
        if sig_key is not None:  # hold mode: Pushpin signs its requests with this key (Grip-Sig)
            conf = conf.replace("sig_key=changeme", f"sig_key={sig_key}")
        conf = conf.replace("message_rate=2500", "message_rate=100000")
        if "tcp://" in conf.split("[handler]", 1)[1]:
            raise RuntimeError("pushpin.conf has a TCP handler socket this test does not move")
        config.write_text(conf)
        self.zurl = subprocess.Popen(
            ["zurl", f"--config={workdir / 'zurl.conf'}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.proc = subprocess.Popen(
            ["pushpin", f"--config={config}", f"--port=127.0.0.1:{self.port}", "-m"],
            stdout=(workdir / "pushpin.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        self.workdir = workdir
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        """Until a request through it reaches the upstream (which must be up by then)."""
        workdir = self.workdir
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"pushpin did not start: {(workdir / 'pushpin.log').read_text()[-2000:]}")

    def stop(self) -> None:
        for proc in (self.proc, self.zurl):
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
