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
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psutil
import psycopg

from bench.harness import ROOT, server

PORT = 8766
STREAM = "/api/v1/period-record-counts/stream"
RANGE = {"start": "2026-01-01", "end": "2026-12-31"}
# RANGE's bounds: Oslo midnight of its first day, and of the day after its last.
RANGE_UTC = (
    dt.datetime(2026, 1, 1, tzinfo=ZoneInfo("Europe/Oslo")).astimezone(dt.UTC),
    dt.datetime(2027, 1, 1, tzinfo=ZoneInfo("Europe/Oslo")).astimezone(dt.UTC),
)


class Client:
    def __init__(self) -> None:
        self.latest: int | None = None
        self.first = asyncio.Event()
        self.changed_at: float | None = None
        self.target: int | None = None
        self.retries = 0
        self.board: list[int] | None = None  # the current change's count of streams that have it


def _arrived(client: Client) -> None:
    """The client has the change it waits for: mark the time, and count it once."""
    if client.changed_at is None:
        client.changed_at = time.perf_counter()
        if client.board is not None:
            client.board[0] += 1


CONNECTING = 100  # connections opening at once: like screens coming on, not a SYN flood
# Figure 4's Pushpin set-ups time FANOUT_CHANGES changes one after the other (each reaching
# every client, then a pause past the coalescing window): one change's p99 over the
# clients swings by tens of ms between runs on 2 shared cores, so the figure is the
# median change's, with every change's p99 and the worst beside it.
FANOUT_CHANGES = 9
FANOUT_GAP_SECONDS = 0.5
# How long one change may take to reach every stream before the next starts: past figure
# 4's slowest (about 4 s at 10,000), short enough that a stream Pushpin never gave the
# change does not stretch the window (and the app's idle work counted per change) by a minute.
FANOUT_WAIT_SECONDS = 20


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
                                _arrived(client)
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
            with psycopg.connect(ctx.dsn) as conn:  # the range's true count, fresh (snapshots store none live)
                final = conn.execute(
                    "SELECT count(*) FROM activities_activity WHERE org_id = %s AND recorded_at >= %s "
                    "AND recorded_at < %s", (org_pk, *RANGE_UTC),
                ).fetchone()[0]  # type: ignore[index]  # fmt: skip
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
    """Figure 4: the three set-ups side by side at each N (run_grip_figures), then the
    import burst against each direct server layout (every client on the exact final count)."""
    rows = run_grip_figures(ctx)
    env = dict(ctx.env, REDIS_URL=ctx.redis_url)
    with psycopg.connect(ctx.dsn) as conn:
        org_pk, org_id = conn.execute(
            "SELECT id, org_id FROM activities_organization ORDER BY id LIMIT 1 OFFSET 100"
        ).fetchone()
    ctx.env = env
    if ctx.stream_burst:
        for layout in ctx.stream_servers:
            try:
                with server(layout, PORT, env):
                    rows.extend(asyncio.run(_burst(ctx, org_id, org_pk, layout)))
            except Exception as exc:  # the set-ups' rows above still count
                rows.append({"figure": "4 stream", "case": f"import burst, {layout}", "measure": "failed",
                             "value": f"{type(exc).__name__}: {exc}"[:160]})  # fmt: skip
    return rows


def run_single_server_fanout(ctx: Any, sizes: tuple[int, ...] = (1000, 4000)) -> list[dict[str, Any]]:
    """The figure before issue 16 (one server, with its PostgreSQL connections held)."""
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
            for n in sizes:
                rows.extend(asyncio.run(_fanout(ctx, ps, n, org_id, org_pk, layout)))
    return rows


# --- figure 4, three set-ups side by side (issue 16): the floor, ours through Pushpin, ours direct ---
#
#   floor    Pushpin (deploy/pushpin/run: the committed pushpin.conf, message_rate raised) in
#            front of bench/grip_floor.py, which holds every request with a fixed first event;
#            the change is one publish straight to Pushpin.
#   pushpin  Pushpin in front of gunicorn (2 sync workers, hold mode) and the grip_publisher
#            process, with Redis; the change is one activity POST to the app.
#   direct   daphne alone (the --stream-servers layout, daphne-1), as before.
#
# Per set-up and N: connect rate (CONNECTING at a time, failed connects retried as
# EventSource would, and how many never connected), fan-out p50/p99/max of one change,
# application CPU for that change (every app process: gunicorn master and workers and the
# publisher, or daphne; it includes handling the write), stream sockets held by app
# processes while N streams are open, and resident memory per held stream in Pushpin and in
# the app.

GRIP_BENCH_KEY = "bench-only-grip-key-not-a-secret"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _family(procs: list[psutil.Process]) -> list[psutil.Process]:
    seen: dict[int, psutil.Process] = {}
    for p in procs:
        try:
            for q in [p, *p.children(recursive=True)]:
                seen[q.pid] = q
        except psutil.NoSuchProcess:
            pass
    return list(seen.values())


def _cpu(procs: list[psutil.Process]) -> float:
    return sum(_cpu_each(procs).values())


def _cpu_each(procs: list[psutil.Process]) -> dict[str, float]:
    """CPU seconds per process of the family, by a short name (its role, and its pid)."""
    each: dict[str, float] = {}
    for p in _family(procs):
        with suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            role = "publisher" if "grip_publisher" in " ".join(p.cmdline()) else p.name()
            each[f"{role}:{p.pid}"] = t.user + t.system
    return each


def _rss(procs: list[psutil.Process]) -> int:
    total = 0
    for p in _family(procs):
        with suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def _sockets_on(procs: list[psutil.Process], port: int) -> int:
    """Established TCP connections on ``port`` held by these processes (their open streams)."""
    n = 0
    for p in _family(procs):
        with suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            n += sum(1 for c in p.net_connections(kind="tcp") if c.status == "ESTABLISHED" and c.laddr.port == port)
    return n


@contextmanager
def _process(
    cmd: list[str], env: dict[str, str], name: str, ready: str | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    log = (ROOT / "bench" / "results" / f"server-{name}.log").open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")


@contextmanager
def _pushpin(app_port: int, env: dict[str, str]) -> Iterator[tuple[int, str, subprocess.Popen[bytes]]]:
    port, publish = _free_port(), _free_port()
    rundir = Path(tempfile.mkdtemp(prefix="ppb", dir="/tmp"))
    pp_env = dict(env, GRIP_KEY=GRIP_BENCH_KEY, APP_TARGETS=f"127.0.0.1:{app_port}", PUSHPIN_PORT=str(port),
                  PUSHPIN_PUBLISH_PORT=str(publish), PUSHPIN_RUNDIR=str(rundir))  # fmt: skip
    with _process([str(ROOT / "deploy" / "pushpin" / "run")], pp_env, "pushpin") as proc:
        yield port, f"http://127.0.0.1:{publish}", proc


async def _warm_up(url: str, params: dict[str, str], streams: int = 8) -> None:
    async def one(http: httpx.AsyncClient) -> None:
        async with http.stream("GET", STREAM, params=params) as response:
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    return

    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=30)) as http:
        await asyncio.gather(*(one(http) for _ in range(streams)))


async def _grip_fanout(
    n: int, url: str, params: dict[str, str], change: Any, app: list[psutil.Process],
    pushpin: list[psutil.Process], app_port: int, setup: str,
) -> list[dict[str, Any]]:  # fmt: skip
    clients = [Client() for _ in range(n)]
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=0)
    await _warm_up(url, params)  # the app's lazy imports and first-request caches are not per stream
    rss_app, rss_pp = _rss(app), _rss(pushpin)
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(30, read=None), limits=limits) as http:
        gate = asyncio.Semaphore(CONNECTING)
        connect_cpu = (_cpu(app), _cpu(pushpin), time.process_time())
        connecting = time.perf_counter()
        tasks = [asyncio.create_task(_listen(http, params, c, stop, gate)) for c in clients]
        waiters = [asyncio.create_task(c.first.wait()) for c in clients]
        await asyncio.wait(waiters, timeout=300)
        for w in waiters:
            w.cancel()
        connect_s = time.perf_counter() - connecting
        # CPU per connect, in ms: who spends the 2 cores while the streams open.
        connect_app_ms = (_cpu(app) - connect_cpu[0]) * 1000 / n
        connect_pp_ms = (_cpu(pushpin) - connect_cpu[1]) * 1000 / n
        connect_client_ms = (time.process_time() - connect_cpu[2]) * 1000 / n
        never = n - sum(c.first.is_set() for c in clients)
        retries = sum(c.retries for c in clients)
        await asyncio.sleep(1)
        held = _sockets_on(app, app_port)
        mem_app = (_rss(app) - rss_app) / 1024 / n
        mem_pp = (_rss(pushpin) - rss_pp) / 1024 / n if pushpin else None
        current = max((c.latest or 0) for c in clients)
        app_cpu, pp_cpu, app_each = _cpu(app), _cpu(pushpin), _cpu_each(app)
        changes: list[tuple[list[float], float]] = []  # per change: sorted delays (ms), its own time (ms)
        fanout_started, own_cpu = time.perf_counter(), 0.0
        for k in range(1, FANOUT_CHANGES + 1):
            board = [0]  # streams that have this change, counted as they get it (no scan per tick)
            for c in clients:
                c.target, c.changed_at, c.board = current + k, None, board
            cpu_before, cpu_at_p99 = _cpu(app), None
            started = time.perf_counter()
            await change(current + k)
            change_ms = (time.perf_counter() - started) * 1000
            deadline = time.perf_counter() + FANOUT_WAIT_SECONDS
            waiting = sum(1 for c in clients if c.first.is_set())
            while time.perf_counter() < deadline:
                left = waiting - board[0]
                if cpu_at_p99 is None and left <= waiting // 100:
                    cpu_at_p99 = _cpu(app)  # the change's own work is done by the time 99% have it
                if not left:
                    break
                await asyncio.sleep(0.005)
            own_cpu += (cpu_at_p99 if cpu_at_p99 is not None else _cpu(app)) - cpu_before
            changes.append(
                (sorted((c.changed_at - started) * 1000 for c in clients if c.changed_at is not None), change_ms)
            )
            await asyncio.sleep(FANOUT_GAP_SECONDS)
        window_cpu = (_cpu(app) - app_cpu) * 1000 / FANOUT_CHANGES
        app_cpu = own_cpu * 1000 / FANOUT_CHANGES
        app_split = ", ".join(
            f"{name} {(cpu - app_each.get(name, 0.0)) * 1000 / FANOUT_CHANGES:.0f}"
            for name, cpu in _cpu_each(app).items()
        )
        fanout_s = time.perf_counter() - fanout_started
        pp_cpu = (_cpu(pushpin) - pp_cpu) * 1000 / FANOUT_CHANGES
        stop.set()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def p99(delays: list[float]) -> float:
        return delays[min(len(delays) - 1, int(0.99 * len(delays)))] if delays else float("nan")

    p99s = [p99(d) for d, _ in changes]
    middle = sorted(range(len(changes)), key=lambda i: p99s[i])[len(changes) // 2]  # the change of the median p99
    delays, change_ms = changes[middle]
    missing = max(n - len(d) for d, _ in changes)
    case = f"{n:,} streams, {setup}"
    fig = "4 stream"
    each = ", ".join(f"{v:.0f}" for v in p99s)
    rows = [
        {"figure": fig, "case": case, "measure": "connect rate (streams/s)", "value": n / connect_s,
         "note": f"{connect_s:.1f} s, {CONNECTING} at a time, {retries} retried, {never} never connected",
         "met": never == 0},
        {"figure": fig, "case": case, "measure": "CPU ms per connect: app / Pushpin / load client",
         "value": connect_app_ms, "note": f"{connect_app_ms:.2f} / {connect_pp_ms:.2f} / {connect_client_ms:.2f}"},
        {"figure": fig, "case": case, "measure": "fan-out p50 ms", "value": statistics.median(delays) if delays else float("nan"),
         "note": f"the median change's: first client {delays[0]:.1f} ms; the change (publish or write) answered in {change_ms:.1f} ms" if delays else ""},
        {"figure": fig, "case": case, "measure": "fan-out p99 ms", "value": p99s[middle],
         "note": f"median of {FANOUT_CHANGES} changes' p99 (each: {each})" + (f"; {missing} streams missed one" if missing else "")},
        {"figure": fig, "case": case, "measure": "fan-out p99 ms, worst change", "value": max(p99s)},
        {"figure": fig, "case": case, "measure": "fan-out max ms", "value": max(d[-1] for d, _ in changes if d) if delays else float("nan")},
        {"figure": fig, "case": case, "measure": "app CPU ms per published change", "value": app_cpu,
         "note": f"from its write until 99% of the streams have it; over the whole window ({FANOUT_CHANGES} changes"
                 f" in {fanout_s:.0f} s, with the waits and gaps) {window_cpu:.0f} ms per change, by process: {app_split}"},
        {"figure": fig, "case": case, "measure": "stream sockets held by app processes", "value": held},
        {"figure": fig, "case": case, "measure": "app RSS KiB per held stream", "value": mem_app},
    ]  # fmt: skip
    if pushpin:
        rows += [
            {"figure": fig, "case": case, "measure": "Pushpin RSS KiB per held stream", "value": mem_pp},
            {"figure": fig, "case": case, "measure": "Pushpin CPU us per delivery", "value": pp_cpu * 1000 / max(1, len(delays))},
        ]  # fmt: skip
    return rows


def _floor(n: int, env: dict[str, str]) -> list[dict[str, Any]]:
    port = _free_port()
    with _process([sys.executable, "bench/grip_floor.py", str(port)], env, "grip-floor") as origin:
        _wait_http(f"http://127.0.0.1:{port}/healthz")
        with _pushpin(port, env) as (pp_port, publish_url, pp):
            _wait_http(f"http://127.0.0.1:{pp_port}/healthz")

            async def change(count: int) -> None:
                data = json.dumps({"org_id": "floor", "record_count": count, "is_complete": False, "timestamp": "x"})
                item = {
                    "channel": "floor",
                    "formats": {"http-stream": {"content": f"event: message\ndata: {data}\n\n"}},
                }
                async with httpx.AsyncClient() as http:
                    (await http.post(publish_url + "/publish/", json={"items": [item]}, timeout=10)).raise_for_status()

            return asyncio.run(
                _grip_fanout(
                    n,
                    f"http://127.0.0.1:{pp_port}",
                    {},
                    change,
                    [psutil.Process(origin.pid)],
                    [psutil.Process(pp.pid)],
                    port,
                    "floor: Pushpin + trivial GRIP origin",
                )  # fmt: skip
            )


def _ours_through_pushpin(n: int, env: dict[str, str], org_id: str) -> list[dict[str, Any]]:
    app_port = _free_port()
    params = {"org_id": org_id, **RANGE}
    with _pushpin(app_port, env) as (pp_port, publish_url, pp):
        app_env = dict(env, GRIP_KEY=GRIP_BENCH_KEY, GRIP_PUBLISH_URL=publish_url)
        gunicorn = [str(Path(sys.executable).parent / "gunicorn"), "bufdir_project.wsgi:application",
                    "-b", f"127.0.0.1:{app_port}", "--log-level", "warning",
                    *os.environ.get("BENCH_GRIP_GUNICORN", "-w 2").split()]  # fmt: skip
        with (
            _process(gunicorn, app_env, "grip-gunicorn") as app,
            _process([sys.executable, "manage.py", "grip_publisher"], app_env, "grip-publisher") as publisher,
        ):
            _wait_http(f"http://127.0.0.1:{app_port}/healthz")
            _wait_http(f"http://127.0.0.1:{pp_port}/healthz")
            time.sleep(1)  # the publisher subscribes to the relay

            async def change(count: int) -> None:
                async with httpx.AsyncClient() as http:
                    body = {"org_id": org_id, "activity_type": "peer_support", "recorded_at": "2026-06-15T12:00:00Z"}
                    (
                        await http.post(f"http://127.0.0.1:{app_port}/api/v1/activities", json=body, timeout=10)
                    ).raise_for_status()

            return asyncio.run(
                _grip_fanout(
                    n,
                    f"http://127.0.0.1:{pp_port}",
                    params,
                    change,
                    [psutil.Process(app.pid), psutil.Process(publisher.pid)],
                    [psutil.Process(pp.pid)],
                    app_port,
                    "ours through Pushpin (gunicorn 2 workers + publisher)",
                )  # fmt: skip
            )


def _ours_direct(n: int, env: dict[str, str], org_id: str, layout: str) -> list[dict[str, Any]]:
    port = _free_port()
    params = {"org_id": org_id, **RANGE}
    with server(layout, port, env) as proc:

        async def change(count: int) -> None:
            async with httpx.AsyncClient() as http:
                body = {"org_id": org_id, "activity_type": "peer_support", "recorded_at": "2026-06-15T12:00:00Z"}
                (
                    await http.post(f"http://127.0.0.1:{port}/api/v1/activities", json=body, timeout=10)
                ).raise_for_status()

        return asyncio.run(
            _grip_fanout(
                n,
                f"http://127.0.0.1:{port}",
                params,
                change,
                [psutil.Process(proc.pid)],
                [],
                port,
                f"ours direct ({layout})",
            )  # fmt: skip
        )


def run_grip_figures(ctx: Any) -> list[dict[str, Any]]:
    """Figure 4's three set-ups at each N of ``ctx.stream_clients``, one after the other."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))  # inherited by the servers
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    env = dict(ctx.env, REDIS_URL=ctx.redis_url)
    with psycopg.connect(ctx.dsn) as conn:
        _, org_id = conn.execute(
            "SELECT id, org_id FROM activities_organization ORDER BY id LIMIT 1 OFFSET 100"
        ).fetchone()
    rows: list[dict[str, Any]] = []
    for n in ctx.stream_clients:
        by_setup: dict[str, list[dict[str, Any]]] = {}
        for setup in ctx.stream_setups:
            print(f"  figure 4: {n:,} streams, {setup}", flush=True)
            try:
                if setup == "floor":
                    by_setup[setup] = _floor(n, env)
                elif setup == "pushpin":
                    by_setup[setup] = _ours_through_pushpin(n, env, org_id)
                elif setup == "direct":
                    by_setup[setup] = _ours_direct(n, env, org_id, ctx.stream_servers[0])
                else:
                    raise ValueError(f"unknown stream set-up {setup!r}")
            except Exception as exc:  # one set-up failing still reports the others
                by_setup[setup] = [{"figure": "4 stream", "case": f"{n:,} streams, {setup}", "measure": "failed",
                                    "value": f"{type(exc).__name__}: {exc}"[:160]}]  # fmt: skip
        _against_floor(by_setup, n)
        for setup in ctx.stream_setups:
            rows.extend(by_setup[setup])
    return rows


def _against_floor(by_setup: dict[str, list[dict[str, Any]]], n: int) -> None:
    """Targets of issue 16, for ours through Pushpin, against the floor of the same run."""
    floor = {r["measure"]: r["value"] for r in by_setup.get("floor", []) if isinstance(r.get("value"), int | float)}
    for row in by_setup.get("pushpin", []):
        m, v = row["measure"], row.get("value")
        if not isinstance(v, int | float):
            continue
        if m == "fan-out p99 ms" and m in floor:
            row.update(floor=floor[m], ratio=v / floor[m], target="<= 1.2x floor", met=v <= 1.2 * floor[m])
        elif m == "fan-out p99 ms, worst change" and m in floor:
            row.update(floor=floor[m], ratio=v / floor[m])
        elif m == "connect rate (streams/s)" and m in floor:
            row.update(floor=floor[m], ratio=v / floor[m], target=">= floor / 2, 0 failed",
                       met=bool(row.get("met")) and v >= floor[m] / 2)  # fmt: skip
        elif m == "stream sockets held by app processes":
            row.update(target="0", met=v == 0)
        elif m == "app CPU ms per published change":
            row.update(target="flat in N (compare the N rows)")
