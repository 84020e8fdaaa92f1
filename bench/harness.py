"""Servers, load clients and statistics for the benchmarks (loopback only, bounded in time)."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

LAYOUTS: dict[str, Callable[[int], list[str]]] = {
    "daphne-1": lambda port: [
        str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "--access-log", os.devnull,
        "bufdir_project.asgi:application",
    ],
    "uvicorn-1": lambda port: [
        str(BIN / "uvicorn"), "bufdir_project.asgi:application", "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--log-level", "warning",
    ],
    "uvicorn-2": lambda port: [
        str(BIN / "uvicorn"), "bufdir_project.asgi:application", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "2", "--no-access-log", "--log-level", "warning",
    ],
    "gunicorn-wsgi-2": lambda port: [
        str(BIN / "gunicorn"), "bufdir_project.wsgi:application", "-b", f"127.0.0.1:{port}",
        "-w", "2", "--log-level", "warning",
    ],
    "gunicorn-trivial-2": lambda port: [
        str(BIN / "gunicorn"), "bench.trivial_wsgi:application", "-b", f"127.0.0.1:{port}",
        "-w", "2", "--log-level", "warning",
    ],
}  # fmt: skip


def server_env(database_url: str, redis_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key-not-for-production"),
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


@contextmanager
def server(layout: str, port: int, env: dict[str, str], timeout: float = 30) -> Iterator[subprocess.Popen[bytes]]:
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    proc = subprocess.Popen(
        LAYOUTS[layout](port), cwd=ROOT, env=env, stderr=(ROOT / "bench" / "results" / f"server-{layout}.log").open("w")
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{layout} did not start on port {port}")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Stats:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float

    def row(self) -> dict[str, Any]:
        return asdict(self)


def summarise(latencies: list[float], errors: int, seconds: float) -> Stats:
    if not latencies:
        return Stats(0, errors, seconds, float("nan"), float("nan"), float("nan"), 0.0)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return Stats(len(ordered), errors, seconds, pct(0.50), pct(0.95), pct(0.99), len(ordered) / seconds)


async def _hammer(
    method: str, url: str, clients: int, duration: float, body: Callable[[], Any] | None, expect: tuple[int, ...]
) -> Stats:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        deadline = time.monotonic() + duration

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    response = await client.request(method, url, json=body() if body else None)
                    ok = response.status_code in expect
                except httpx.HTTPError:
                    ok = False
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors += 1

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return summarise(latencies, errors, time.monotonic() - started)


def hammer(
    method: str,
    url: str,
    *,
    clients: int,
    duration: float,
    body: Callable[[], Any] | None = None,
    expect: tuple[int, ...] = (200, 201),
) -> Stats:
    return asyncio.run(_hammer(method, url, clients, duration, body, expect))


def sql_loop(dsn: str, sql: str, params: tuple[Any, ...], *, clients: int, duration: float) -> Stats:
    """The floor: the same query through psycopg in a loop, one connection per client."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def worker() -> None:
        local: list[float] = []
        with psycopg.connect(dsn) as conn, conn.cursor() as cur:
            cur.execute(sql, params)  # warm the plan cache
            cur.fetchall()
            while time.monotonic() < deadline:
                started = time.perf_counter()
                cur.execute(sql, params)
                cur.fetchall()
                local.append(time.perf_counter() - started)
        with lock:
            latencies.extend(local)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summarise(latencies, 0, time.monotonic() - started)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
