"""Figure 4: SSE fan-out to 1,000 and 4,000 clients, memory, connections, and a burst.

One server process (daphne; uvicorn as a measured alternative) with Redis; asyncio +
httpx clients on loopback, sharing the machine's cores with the server; every wait
bounded. Per client count: how long connecting took, the time from one change until
every client had the new count (p50, p99, max), the server's resident memory per open
stream, and the PostgreSQL connections the server holds while the streams idle. Then
10,000 activities imported at once by 20 processes while 100 clients watch: every
client must end on the exact final count.
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from bench.harness import ROOT, server

PORT = 8766
STREAM = "/api/v1/period-record-counts/stream"
RANGE = {"start": "2026-01-01", "end": "2026-12-31"}


class Client:
    def __init__(self) -> None:
        self.latest: int | None = None
        self.first = asyncio.Event()
        self.changed_at: float | None = None
        self.target: int | None = None
        self.retries = 0


CONNECTING = 100  # connections opening at once: like screens coming on, not a SYN flood


async def _listen(
    http: httpx.AsyncClient, params: dict[str, str], client: Client, stop: asyncio.Event, gate: asyncio.Semaphore
) -> None:
    """One screen: opens its stream (at most CONNECTING at a time, retrying a failed
    connect as EventSource would), then records every count it gets."""
    await gate.acquire()
    opening = True
    try:
        while True:
            try:
                async with http.stream("GET", STREAM, params=params) as response:
                    async for line in response.aiter_lines():
                        if line.startswith("data: {"):
                            client.latest = json.loads(line[6:])["record_count"]
                            if opening:
                                opening = False
                                gate.release()
                                client.first.set()
                            if client.target is not None and client.latest == client.target:
                                client.changed_at = client.changed_at or time.perf_counter()
                        if stop.is_set():
                            return
            except httpx.TransportError:
                if not opening or stop.is_set():
                    raise
                client.retries += 1
                await asyncio.sleep(0.5)
    finally:
        if opening:
            gate.release()


def _pg_connections(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]


async def _fanout(
    ctx: Any, proc: psutil.Process, n: int, org_id: str, org_pk: int, layout: str
) -> list[dict[str, Any]]:
    params = {"org_id": org_id, **RANGE}
    clients = [Client() for _ in range(n)]
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)
    rss_before = proc.memory_info().rss
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", timeout=httpx.Timeout(30, read=None), limits=limits
    ) as http:
        gate = asyncio.Semaphore(CONNECTING)
        connecting = time.perf_counter()
        tasks = [asyncio.create_task(_listen(http, params, c, stop, gate)) for c in clients]
        try:
            await asyncio.wait_for(asyncio.gather(*(c.first.wait() for c in clients)), timeout=180)
        except TimeoutError:
            connected = sum(c.first.is_set() for c in clients)
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise RuntimeError(f"only {connected} of {n} clients got their first event within 180 s") from None
        connect_s = time.perf_counter() - connecting
        retries = sum(c.retries for c in clients)
        await asyncio.sleep(1)
        rss_after = proc.memory_info().rss
        held = _pg_connections(ctx.dsn)
        current = clients[0].latest or 0
        for c in clients:
            c.target = current + 1
        server_cpu, client_cpu = sum(proc.cpu_times()[:2]), time.process_time()
        started = time.perf_counter()
        await http.post("/api/v1/activities", json={"org_id": org_id, "activity_type": "peer_support",
                                                    "recorded_at": "2026-06-15T12:00:00Z"})  # fmt: skip
        deadline = time.perf_counter() + 30
        while any(c.changed_at is None for c in clients) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        # Who used the two cores until the last client had the count: the server, or us.
        server_cpu = (sum(proc.cpu_times()[:2]) - server_cpu) * 1000
        client_cpu = (time.process_time() - client_cpu) * 1000
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delays = sorted((c.changed_at - started) * 1000 for c in clients if c.changed_at is not None)
    missing = n - len(delays)
    target_ms = 250 if n <= 1000 else 1500
    p99 = delays[min(len(delays) - 1, int(0.99 * len(delays)))] if delays else float("nan")
    case = f"{n:,} clients, one change, {layout}"
    return [
        {"figure": "4 stream", "case": case, "measure": "all connected (s)", "value": connect_s,
         "note": f"{n / connect_s:.0f} streams/s, {CONNECTING} at a time, {retries} connects retried"},
        {"figure": "4 stream", "case": case, "measure": "fan-out p50 ms", "value": statistics.median(delays) if delays else float("nan")},
        {"figure": "4 stream", "case": case, "measure": "fan-out p99 ms", "value": p99, "target": f"< {target_ms} ms",
         "met": p99 < target_ms and not missing, "note": f"{missing} clients missed it" if missing else ""},
        {"figure": "4 stream", "case": case, "measure": "fan-out max ms", "value": delays[-1] if delays else float("nan")},
        {"figure": "4 stream", "case": case, "measure": "server CPU ms in fan-out", "value": server_cpu,
         "note": f"{server_cpu * 1000 / n:.0f} us per client"},
        {"figure": "4 stream", "case": case, "measure": "load client CPU ms in fan-out", "value": client_cpu},
        {"figure": "4 stream", "case": case, "measure": "RSS KiB per connection", "value": (rss_after - rss_before) / 1024 / n},
        {"figure": "4 stream", "case": case, "measure": "PostgreSQL connections held", "value": held,
         "target": "pool's, none per stream (<= 10)", "met": held <= 10},
    ]  # fmt: skip


async def _burst(
    ctx: Any, org_id: str, org_pk: int, layout: str, watchers: int = 100, rows: int = 10_000
) -> list[dict[str, Any]]:
    params = {"org_id": org_id, **RANGE}
    clients = [Client() for _ in range(watchers)]
    stop = asyncio.Event()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "burst.csv"
        lines = ["activity_id,org_id,activity_type,recorded_at"]
        lines += [
            f"burst-{i},{org_id},peer_support,2026-07-01T00:{(i // 60) % 60:02d}:{i % 60:02d}Z" for i in range(rows)
        ]
        path.write_text("\n".join(lines) + "\n")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=httpx.Timeout(30, read=None),
                                     limits=httpx.Limits(max_connections=watchers + 5)) as http:  # fmt: skip
            gate = asyncio.Semaphore(CONNECTING)
            tasks = [asyncio.create_task(_listen(http, params, c, stop, gate)) for c in clients]
            await asyncio.wait_for(asyncio.gather(*(c.first.wait() for c in clients)), timeout=60)
            # Many small transactions, as a burst from several writers would be (each one event).
            chunks = [path.parent / f"part{k}.csv" for k in range(20)]
            for k, chunk in enumerate(chunks):
                body = lines[0] + "\n" + "\n".join(lines[1 + k * (rows // 20) : 1 + (k + 1) * (rows // 20)]) + "\n"
                chunk.write_text(body)
            procs = [subprocess.Popen([sys.executable, "manage.py", "import_activities", str(c)], cwd=ROOT, env=ctx.env,
                                      stdout=subprocess.DEVNULL) for c in chunks]  # fmt: skip
            for p in procs:
                p.wait(120)
            with psycopg.connect(ctx.dsn) as conn:
                final = conn.execute(
                    "SELECT record_count FROM record_counts_countsnapshot s JOIN activities_organization o ON o.id = s.org_id "
                    "WHERE o.org_id = %s ORDER BY s.snapshot_at DESC LIMIT 1", (org_id,)
                ).fetchone()[0]  # fmt: skip
            deadline = time.perf_counter() + 15
            while any(c.latest != final for c in clients) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    with psycopg.connect(ctx.dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM activities_activity WHERE activity_id LIKE 'burst-%%'")
    right = sum(c.latest == final for c in clients)
    return [{"figure": "4 stream", "case": f"{rows:,} imported at once by 20 processes, {watchers} watching, {layout}",
             "measure": "clients on the exact final count", "value": right, "floor": watchers,
             "target": "all", "met": right == watchers}]  # fmt: skip


def run_stream_figures(ctx: Any) -> list[dict[str, Any]]:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))  # inherited by the server
    env = dict(ctx.env, REDIS_URL=ctx.redis_url)
    with psycopg.connect(ctx.dsn) as conn:
        org_pk, org_id = conn.execute(
            "SELECT id, org_id FROM activities_organization ORDER BY id LIMIT 1 OFFSET 100"
        ).fetchone()
    rows: list[dict[str, Any]] = []
    ctx.env = env
    for layout in ctx.stream_servers:
        with server(layout, PORT, env) as proc:
            ps = psutil.Process(proc.pid)
            for n in (1000, 4000):
                rows.extend(asyncio.run(_fanout(ctx, ps, n, org_id, org_pk, layout)))
            rows.extend(asyncio.run(_burst(ctx, org_id, org_pk, layout)))
    return rows
