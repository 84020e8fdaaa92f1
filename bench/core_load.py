"""Core load: live counts before/after, side by side, each checkout on a real stack.

For every ``--checkout DIR`` in turn (one invocation, the same machine and sizes): a
fresh PostgreSQL database (127.0.0.1:5432, user postgres), ``manage.py migrate`` from
that checkout, gunicorn (2 workers, 30 s timeout, ``bufdir_project.wsgi:application``)
for REST and one daphne (``bufdir_project.asgi:application``) for the stream, both with
the checkout as working directory and PYTHONPATH, REDIS_URL=redis://127.0.0.1:6379/14
and an EVENTS_CHANNEL_PREFIX unique to the run. Stream requests go to daphne, all else
to gunicorn (no proxy). Loopback only; every loop is bounded in count and time; every
process this script starts is killed at the end (also on Ctrl-C or an error) and the
databases are dropped. Each scenario starts from empty tables (TRUNCATE … CASCADE).

Scenarios (``--scenarios a,b,c,d``):

a  streams  org X seeded (COPY), 200 sequential activity POSTs (p50/p95), then 2,000
            anonymous streams of X with distinct starts opened, first event read, closed
            (50 at a time), count-snapshot rows gained, the POSTs again: ratio after/before.
b  import   orgs A, B, C seeded; ``manage.py import_activities`` of N rows for A in a
            subprocess; meanwhile B's writes, reads of B and of A (list and POST count),
            new streams of random orgs with new ranges (time to first event), gunicorn's
            "WORKER TIMEOUT" lines; the import's duration.
c  mixed    D seconds of multi-organisation imports (B rows then A rows, ids moving
            between them), API moves A<->B, ``reaggregate --all --counts`` in a loop,
            PUT refreshes of count snapshots, 20 streams on boundary ranges; 5xx by
            status, deadlock/unavailable 503s, subprocess failures; then, when quiet,
            every snapshot and every stream's last count against a fresh SQL count.
d  race     60 rounds: create an activity, then PATCH, PUT and DELETE of it at once.

Run (from a worktree, with the project's venv)::

    .venv/bin/python bench/core_load.py --checkout /work/old --checkout /work/main
    .venv/bin/python bench/core_load.py --checkout /work/old --scenarios a,b,c,d \\
        --streams 2000 --import-rows 800000 --mixed-seconds 120      # the issue's sizes

Small defaults give a quick run (a: 2,000 streams; b: 100k rows; c: 30 s; d: 60 rounds).
Prints one table (measure, target, then value and met per checkout) and writes
bench/results/core-load-<UTC timestamp>.json. The load client shares the machine's
cores with the servers and PostgreSQL; figures are for comparison within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
from httpx_sse import aconnect_sse, connect_sse

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PY = sys.executable
BIN = Path(PY).parent
PG = "postgresql://postgres@127.0.0.1:5432/"
REDIS_URL = "redis://127.0.0.1:6379/14"
ACT = "/api/v1/activities/"
COUNTS = "/api/v1/period-record-counts/"
STREAM = "/api/v1/period-record-counts/stream"
OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC
TYPES = ["family_guidance", "individual_counseling", "peer_support", "group_session", "parent_course"]
STATUSES = ["completed"] * 8 + ["planned", "cancelled"]
LOCATIONS = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø", "Bodø"]
CSV_HEADER = "activity_id,org_id,activity_type,recorded_at,participant_count,location,status\n"

EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|DoesNotExist|Timeout|Deadlock\w*)):? ")
STOP = threading.Event()  # set on Ctrl-C / SIGTERM: every loop checks it
PROCS: list[subprocess.Popen[bytes]] = []  # everything started here, killed at the end
PROCS_LOCK = threading.Lock()


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------- statistics, rows


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def ms(values: list[float], p: float) -> float:
    return pct(values, p) * 1000


def row(scenario: str, measure: str, value: Any, target: str = "", met: bool | None = None, note: str = "") -> dict:
    return {"scenario": scenario, "measure": measure, "value": value, "target": target, "met": met, "note": note}


def iso(t: dt.datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---------------------------------------------------------------- processes


def spawn(args: list[str], *, cwd: Path, env: dict[str, str], stdout: Any, stderr: Any) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=stdout, stderr=stderr, start_new_session=True)
    with PROCS_LOCK:
        PROCS.append(proc)
    return proc


def stop_proc(proc: subprocess.Popen[bytes], grace: float = 10) -> None:
    """Ends one process we started, and its process group (gunicorn's workers), by id."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    else:  # the leader is gone; its group may not be
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    with PROCS_LOCK:
        if proc in PROCS:
            PROCS.remove(proc)


def stop_all() -> None:
    with PROCS_LOCK:
        procs = list(PROCS)
    for proc in procs:
        stop_proc(proc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """One checkout's database, gunicorn and daphne."""

    def __init__(self, checkout: Path, n: int, run_id: str, tmp: Path) -> None:
        self.checkout = checkout
        self.db = f"bufdir_coreload_{run_id}_{n}"
        self.dsn = PG + self.db
        self.tmp = tmp
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DB_", "SQLITE"))}
        self.env.update(
            DJANGO_SETTINGS_MODULE="bufdir_project.settings",
            DATABASE_URL=self.dsn,
            REDIS_URL=REDIS_URL,
            EVENTS_CHANNEL_PREFIX=f"coreload-{run_id}-{n}-",
            API_ACCESS="public",
            DEBUG="0",
            SECURE_SSL_REDIRECT="0",
            SECRET_KEY="bench-only",  # noqa: S106 (loopback bench)
            ALLOWED_HOSTS="127.0.0.1,localhost",
            LOG_LEVEL="WARNING",
            PYTHONPATH=str(checkout),
        )
        self.env.pop("API_THROTTLE_COUNTING", None)
        self.web_port, self.stream_port = free_port(), free_port()
        self.rest = f"http://127.0.0.1:{self.web_port}"
        self.stream = f"http://127.0.0.1:{self.stream_port}"
        self.gunicorn_log = tmp / f"gunicorn-{n}.log"
        self.procs: list[subprocess.Popen[bytes]] = []

    def manage(self, *args: str, stdout: Any = subprocess.DEVNULL, stderr: Any = subprocess.PIPE) -> subprocess.Popen:
        return spawn([PY, "manage.py", *args], cwd=self.checkout, env=self.env, stdout=stdout, stderr=stderr)

    def start(self) -> None:
        with psycopg.connect(PG + "postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db}"')
        log(f"{self.checkout}: migrate into {self.db}")
        migrate = self.manage("migrate", "--noinput")
        _, err = migrate.communicate(timeout=300)
        if migrate.returncode:
            raise RuntimeError(f"migrate failed: {err.decode()[-2000:]}")
        gunicorn = [
            str(BIN / "gunicorn"), "bufdir_project.wsgi:application", "-b", f"127.0.0.1:{self.web_port}",
            "--workers", "2", "--timeout", "30", "--access-logfile", str(self.tmp / "access.log"),
        ]  # fmt: skip
        daphne = [
            str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.stream_port), "--access-log", os.devnull,
            "bufdir_project.asgi:application",
        ]  # fmt: skip
        self.procs.append(
            spawn(
                gunicorn, cwd=self.checkout, env=self.env, stdout=subprocess.DEVNULL, stderr=self.gunicorn_log.open("w")
            )
        )
        self.procs.append(
            spawn(
                daphne, cwd=self.checkout, env=self.env, stdout=subprocess.DEVNULL,
                stderr=(self.tmp / "daphne.log").open("w"),
            )
        )  # fmt: skip
        for url in (self.rest, self.stream):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if any(p.poll() is not None for p in self.procs) or time.monotonic() > deadline:
                    raise RuntimeError(f"server at {url} did not start (logs in {self.tmp})")
                time.sleep(0.3)
        log(f"{self.checkout}: gunicorn on {self.web_port}, daphne on {self.stream_port}")

    def stop(self) -> None:
        for proc in self.procs:
            stop_proc(proc)
        with suppress(psycopg.Error), psycopg.connect(PG + "postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')

    def log_sizes(self) -> dict[Path, int]:
        return {f: f.stat().st_size for f in (self.gunicorn_log, self.tmp / "daphne.log") if f.exists()}

    def exceptions_since(self, sizes: dict[Path, int]) -> Counter[str]:
        """Exception types (last line of each traceback) the servers logged since ``sizes``."""
        found: Counter[str] = Counter()
        for f, size in sizes.items():
            with f.open(errors="replace") as fh:
                fh.seek(size)
                for line in fh:
                    m = EXC_LINE.match(line)
                    if m:
                        found[f"{f.stem.split('-')[0]}: {m.group(1)}"] += 1
        return found

    def gunicorn_timeouts(self) -> int:
        return self.gunicorn_log.read_text(errors="replace").count("WORKER TIMEOUT")

    # ---- data

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def reset(self) -> None:
        self.sql("TRUNCATE activities_organization CASCADE")

    def orgs(self, *org_ids: str) -> dict[str, int]:
        pks = {}
        for org_id in org_ids:
            pks[org_id] = self.sql(
                "INSERT INTO activities_organization (org_id, name) VALUES (%s, %s) RETURNING id", (org_id, org_id)
            )[0][0]
        return pks

    def seed(self, org_pk: int, prefix: str, n: int, times: Callable[[random.Random], dt.datetime]) -> None:
        rng = random.Random(hash(prefix) & 0xFFFF)
        buf = io.StringIO()
        for i in range(n):
            buf.write(
                f"{prefix}-{i}\t{org_pk}\t{rng.choice(TYPES)}\t{times(rng).isoformat()}\t{rng.randint(0, 12)}\t"
                f"{rng.choice(LOCATIONS)}\t{rng.choice(STATUSES)}\n"
            )
        with psycopg.connect(self.dsn) as conn, conn.cursor() as cur:
            cols = "activity_id, org_id, activity_type, recorded_at, participant_count, location, status"
            with cur.copy(f"COPY activities_activity ({cols}) FROM STDIN") as copy:
                copy.write(buf.getvalue())
        self.sql("ANALYZE activities_activity")

    def count(self, org_id: str, start: str, end: str) -> int:
        return self.sql(
            "SELECT count(*) FROM activities_activity a JOIN activities_organization o ON o.id = a.org_id "
            "WHERE o.org_id = %s AND a.recorded_at >= %s::timestamptz "
            "AND a.recorded_at < date_trunc('second', %s::timestamptz) + interval '1 second'",
            (org_id, start, end),
        )[0][0]

    def snapshot_rows(self) -> int | None:
        if not self.sql("SELECT to_regclass('record_counts_countsnapshot')")[0][0]:
            return None
        return self.sql("SELECT count(*) FROM record_counts_countsnapshot")[0][0]


def in_2026(rng: random.Random) -> dt.datetime:
    return dt.datetime(2025, 7, 1, tzinfo=UTC) + dt.timedelta(seconds=rng.random() * 540 * 86400)


def activity_body(org_id: str, rng: random.Random, activity_id: str | None = None) -> dict[str, Any]:
    at = dt.datetime(2026, 6, 1, tzinfo=UTC) + dt.timedelta(seconds=rng.randrange(200 * 86400))
    body = {
        "org_id": org_id,
        "activity_type": rng.choice(TYPES),
        "recorded_at": iso(at),
        "participant_count": rng.randint(0, 12),
        "location": rng.choice(LOCATIONS),
        "status": "completed",
    }
    if activity_id:
        body["activity_id"] = activity_id
    return body


# ---------------------------------------------------------------- SSE helpers


def first_event(base: str, params: dict[str, str], timeout: float) -> tuple[float | None, str]:
    """Opens a stream, waits for its first count, closes; (seconds, '') or (None, why)."""
    started = time.perf_counter()
    try:
        with (
            httpx.Client(base_url=base, timeout=httpx.Timeout(10, read=timeout)) as http,
            connect_sse(http, "GET", STREAM, params=params) as source,
        ):
            if source.response.status_code != 200:
                return None, f"HTTP {source.response.status_code}"
            for sse in source.iter_sse():
                if sse.event == "message":
                    return time.perf_counter() - started, ""
                if time.perf_counter() - started > timeout:
                    break
            return None, "no event"
    except httpx.ReadTimeout:
        return None, "timeout"
    except (httpx.HTTPError, RuntimeError) as exc:
        return None, type(exc).__name__


class Watcher(threading.Thread):
    """Holds one stream open and keeps its latest count (reconnecting, bounded)."""

    def __init__(self, base: str, params: dict[str, str], deadline: float) -> None:
        super().__init__(daemon=True)
        self.base, self.params, self.deadline = base, params, deadline
        self.latest: int | None = None
        self.events = 0
        self.reconnects = 0
        self.errors: Counter[str] = Counter()
        self.quit = threading.Event()

    def run(self) -> None:
        connects = 0
        while not (self.quit.is_set() or STOP.is_set()) and time.monotonic() < self.deadline and connects < 50:
            connects += 1
            try:
                # keep-alive comments flow every 20 s, so a 30 s read timeout means a dead stream
                with (
                    httpx.Client(base_url=self.base, timeout=httpx.Timeout(10, read=30)) as http,
                    connect_sse(http, "GET", STREAM, params=self.params) as source,
                ):
                    if source.response.status_code != 200:
                        self.errors[f"HTTP {source.response.status_code}"] += 1
                    else:
                        for sse in source.iter_sse():
                            if sse.event == "message":
                                self.latest = json.loads(sse.data)["record_count"]
                                self.events += 1
                            if self.quit.is_set() or STOP.is_set():
                                return
            except (httpx.HTTPError, RuntimeError) as exc:
                self.errors[type(exc).__name__] += 1
            if not self.quit.is_set():
                self.reconnects += 1
            time.sleep(0.2)


# ---------------------------------------------------------------- scenario a


def timed_posts(stack: Stack, org_id: str, n: int, rng: random.Random) -> tuple[list[float], int]:
    lat: list[float] = []
    errors = 0
    with httpx.Client(base_url=stack.rest, timeout=60) as http:
        for _ in range(n):
            if STOP.is_set():
                break
            t = time.perf_counter()
            try:
                ok = http.post(ACT, json=activity_body(org_id, rng)).status_code == 201
            except httpx.HTTPError:
                ok = False
            if ok:
                lat.append(time.perf_counter() - t)
            else:
                errors += 1
    return lat, errors


async def open_streams(base: str, org_id: str, n: int, concurrency: int, timeout: float) -> tuple[list[float], Counter]:
    gate = asyncio.Semaphore(concurrency)
    lat: list[float] = []
    fails: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=0)

    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(30, read=timeout), limits=limits) as http:

        async def one(i: int) -> None:
            async with gate:
                if STOP.is_set():
                    return
                params = {"org_id": org_id, "start": f"2026-06-01T00:00:00.{i:06d}Z", "end": "2026-12-31T23:59:59Z"}
                t = time.perf_counter()
                try:
                    async with aconnect_sse(http, "GET", STREAM, params=params) as source:
                        if source.response.status_code != 200:
                            fails[f"HTTP {source.response.status_code}"] += 1
                            return
                        async for sse in source.aiter_sse():
                            if sse.event == "message":
                                lat.append(time.perf_counter() - t)
                                return
                        fails["no event"] += 1
                except (httpx.HTTPError, RuntimeError) as exc:
                    fails[type(exc).__name__] += 1

        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(1, n + 1))), timeout=max(120, n * timeout / 10))
    return lat, fails


def scenario_streams(stack: Stack, args: argparse.Namespace) -> list[dict]:
    s = "a streams"
    stack.reset()
    org = "org-core-x"
    pk = stack.orgs(org)[org]
    stack.seed(pk, "a-seed", args.seed_rows, in_2026)
    rng = random.Random(1)
    timed_posts(stack, org, 10, rng)  # warm-up
    before, err1 = timed_posts(stack, org, args.posts, rng)
    rows0 = stack.snapshot_rows()
    log(f"a: POST before p50 {ms(before, 0.5):.1f} ms; opening {args.streams} streams")
    t = time.perf_counter()
    lat, fails = asyncio.run(open_streams(stack.stream, org, args.streams, args.stream_concurrency, 60))
    took = time.perf_counter() - t
    rows1 = stack.snapshot_rows()
    time.sleep(1)
    after, err2 = timed_posts(stack, org, args.posts, rng)
    gained = None if rows0 is None or rows1 is None else rows1 - rows0
    r50 = ms(after, 0.5) / ms(before, 0.5)
    r95 = ms(after, 0.95) / ms(before, 0.95)
    log(f"a: streams {took:.1f} s, rows +{gained}, POST after p50 {ms(after, 0.5):.1f} ms")
    return [
        row(s, "seeded activities of X", args.seed_rows),
        row(s, "POST before p50 ms", ms(before, 0.5), note=f"{len(before)} ok, {err1} errors"),
        row(s, "POST before p95 ms", ms(before, 0.95)),
        row(s, f"{args.streams} streams opened+first event+closed (s)", took,
            note=f"{args.stream_concurrency} at a time; {len(lat)} got an event; failures {dict(fails)}"),
        row(s, "stream first event p50 ms", ms(lat, 0.5)),
        row(s, "stream first event p99 ms", ms(lat, 0.99)),
        row(s, "count-snapshot rows gained", gained, note="table absent" if rows1 is None else ""),
        row(s, "POST after p50 ms", ms(after, 0.5), note=f"{len(after)} ok, {err2} errors"),
        row(s, "POST after p95 ms", ms(after, 0.95)),
        row(s, "POST p50 ratio after/before", r50, "<= 1.5x", r50 <= 1.5),
        row(s, "POST p95 ratio after/before", r95, "<= 1.5x", r95 <= 1.5),
    ]  # fmt: skip


# ---------------------------------------------------------------- scenario b


class Loop(threading.Thread):
    """Repeats ``fn`` (returning ok) until ``until()`` or STOP; latencies and errors."""

    def __init__(
        self, fn: Callable[[httpx.Client], httpx.Response], base: str, until: Callable[[], bool], pace: float
    ) -> None:
        super().__init__(daemon=True)
        self.fn, self.base, self.until, self.pace = fn, base, until, pace
        self.lat: list[float] = []
        self.errors = 0
        self.statuses: Counter[str] = Counter()

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as http:
            while not (self.until() or STOP.is_set()):
                t = time.perf_counter()
                try:
                    code = self.fn(http).status_code
                    ok = code in (200, 201)
                    if not ok:
                        self.statuses[f"HTTP {code}"] += 1
                except httpx.HTTPError as exc:
                    self.statuses[type(exc).__name__] += 1
                    ok = False
                if ok:
                    self.lat.append(time.perf_counter() - t)
                else:
                    self.errors += 1
                time.sleep(self.pace)


def write_csv(path: Path, rows: Iterator[tuple[str, str, dt.datetime]]) -> int:
    n = 0
    with path.open("w") as f:
        f.write(CSV_HEADER)
        for activity_id, org_id, at in rows:
            f.write(f"{activity_id},{org_id},peer_support,{iso(at)},3,Oslo,completed\n")
            n += 1
    return n


def scenario_import(stack: Stack, args: argparse.Namespace) -> list[dict]:
    s = "b import"
    stack.reset()
    a, b, c = "org-core-a", "org-core-b", "org-core-c"
    pks = stack.orgs(a, b, c)
    for org, pk in pks.items():
        stack.seed(pk, f"b-seed-{org}", args.seed_rows, in_2026)
    rng = random.Random(2)
    with httpx.Client(base_url=stack.rest, timeout=60) as http:  # a few snapshots for A and B to keep live
        for org in (a, b):
            for m in (1, 4, 7, 10):
                http.post(COUNTS, json={"org_id": org, "range": {"start": f"2026-{m:02d}-01", "end": "2026-12-31"}})
    path = stack.tmp / "import-a.csv"
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    write_csv(
        path,
        ((f"b-imp-{i}", a, base + dt.timedelta(seconds=(i * 37) % (360 * 86400))) for i in range(args.import_rows)),
    )
    log(f"b: importing {args.import_rows:,} rows for A while loading B")
    timeouts0 = stack.gunicorn_timeouts()
    err_path = stack.tmp / "import-b.err"
    started = time.perf_counter()
    proc = stack.manage("import_activities", str(path), stderr=err_path.open("w"))
    limit = time.monotonic() + args.import_timeout
    done = threading.Event()

    def until() -> bool:
        return done.is_set()

    k = iter(range(10**9))

    def post_b(http: httpx.Client) -> httpx.Response:
        return http.post(ACT, json=activity_body(b, rng))

    def list_of(org: str) -> Callable[[httpx.Client], httpx.Response]:
        return lambda http: http.get(COUNTS, params={"org_id": org})

    def count_of(org: str) -> Callable[[httpx.Client], httpx.Response]:
        def fn(http: httpx.Client) -> httpx.Response:
            body = {"org_id": org, "range": {"start": f"2026-02-01T00:00:{next(k) % 60:02d}Z", "end": "2026-11-30"}}
            return http.post(COUNTS, json=body)

        return fn

    loops = {
        "B write (POST activity)": Loop(post_b, stack.rest, until, args.pace),
        "B read (GET list)": Loop(list_of(b), stack.rest, until, args.pace),
        "B read (POST count)": Loop(count_of(b), stack.rest, until, args.pace),
        "A read (GET list)": Loop(list_of(a), stack.rest, until, args.pace),
        "A read (POST count)": Loop(count_of(a), stack.rest, until, args.pace),
    }
    stream_lat: list[tuple[str, float | None]] = []
    stream_fail: Counter[str] = Counter()
    lock = threading.Lock()
    orgs = [a, b, c]

    def one_stream(i: int) -> None:
        org = rng.choice(orgs)
        params = {"org_id": org, "start": f"2026-03-01T00:00:00.{i:06d}Z", "end": "2026-09-30"}
        took, why = first_event(stack.stream, params, timeout=args.first_event_timeout)
        with lock:
            stream_lat.append((org, took))
            if why:
                stream_fail[why] += 1

    def streams() -> None:
        threads: list[threading.Thread] = []
        i = 0
        while not (done.is_set() or STOP.is_set()) and i < 10_000:
            threads = [t for t in threads if t.is_alive()]
            if len(threads) < 20:
                i += 1
                t = threading.Thread(target=one_stream, args=(i,), daemon=True)
                t.start()
                threads.append(t)
            time.sleep(0.5)
        for t in threads:
            t.join(args.first_event_timeout + 15)

    opener = threading.Thread(target=streams, daemon=True)
    for loop in loops.values():
        loop.start()
    opener.start()
    while proc.poll() is None and time.monotonic() < limit and not STOP.is_set():
        time.sleep(0.5)
    import_s = time.perf_counter() - started
    killed = proc.poll() is None
    if killed:
        stop_proc(proc)
    else:
        stop_proc(proc)  # already exited: forget it
    done.set()
    for loop in loops.values():
        loop.join(90)
    opener.join(args.first_event_timeout + 30)
    timeouts = stack.gunicorn_timeouts() - timeouts0
    imported = stack.sql(
        "SELECT count(*) FROM activities_activity a JOIN activities_organization o ON o.id = a.org_id "
        "WHERE o.org_id = %s AND a.activity_id LIKE 'b-imp-%%'",
        (a,),
    )[0][0]
    err_tail = err_path.read_text(errors="replace")[-300:].strip()
    got = [x for _, x in stream_lat if x is not None]
    missing = len(stream_lat) - len(got)
    got_a = [x for o, x in stream_lat if x is not None and o == a]
    got_bc = [x for o, x in stream_lat if x is not None and o != a]
    n_a = sum(o == a for o, _ in stream_lat)
    rows = [
        row(s, "import rows (file)", args.import_rows, note=f"{imported:,} in the table afterwards"),
        row(s, "import duration (s)", import_s, note=("killed at the time limit; " if killed else "")
            + f"exit {proc.returncode}" + (f"; stderr: {err_tail}" if err_tail else "")),
        row(s, "import rows/s", imported / import_s if import_s else float("nan")),
    ]  # fmt: skip
    for name, loop in loops.items():
        target = "< 200 ms"
        p99 = ms(loop.lat, 0.99)
        bad = loop.errors > 0
        rows.append(row(s, f"{name} p50 ms", ms(loop.lat, 0.5), note=f"{len(loop.lat)} ok"))
        rows.append(
            row(s, f"{name} p99 ms", p99, target, p99 < 200 and not bad,
                note=f"{loop.errors} errors {dict(loop.statuses)}" if loop.errors else "")
        )  # fmt: skip
    rows += [
        row(s, "gunicorn WORKER TIMEOUT lines", timeouts, "0", timeouts == 0),
        row(s, "new streams: first event p50 ms", ms(got, 0.5), note=f"{len(stream_lat)} opened, 20 at most at once"),
        row(s, "new streams: first event p99 ms", ms(got, 0.99)),
        row(s, "new streams of A (importing): first event p50 ms", ms(got_a, 0.5), note=f"{n_a} opened"),
        row(s, "new streams of B, C: first event p50 ms", ms(got_bc, 0.5),
            note=f"{len(stream_lat) - n_a} opened; max {ms(got_bc, 1.0):.0f} ms"),
        row(s, "new streams: first event max ms", ms(got, 1.0), "< 1000 ms", bool(got) and ms(got, 1.0) < 1000
            and not missing, note=f"{missing} without an event in {args.first_event_timeout:.0f} s: {dict(stream_fail)}"
            if missing else ""),
    ]  # fmt: skip
    return rows


# ---------------------------------------------------------------- scenario c


def oslo(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=OSLO).astimezone(UTC)


def boundary_ranges() -> list[tuple[dt.datetime, dt.datetime]]:
    sec = dt.timedelta(seconds=1)
    months = [(1, 2), (3, 4), (10, 11), (12, None)]
    out = []
    for m, nxt in months:
        end = oslo(2026, nxt, 1) - sec if nxt else oslo(2027, 1, 1) - sec
        out.append((oslo(2026, m, 1), end))
    out.append((oslo(2026, 1, 1), oslo(2026, 4, 1) - sec))  # Q1 (DST start inside)
    out.append((oslo(2026, 10, 1), oslo(2027, 1, 1) - sec))  # Q4 (DST end inside)
    out.append((oslo(2026, 3, 29), oslo(2026, 3, 30) - sec))  # 23-hour day
    out.append((oslo(2026, 10, 25), oslo(2026, 10, 26) - sec))  # 25-hour day
    out.append((dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)))
    out.append((dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC), dt.datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)))
    return out


def boundary_times(ranges: list[tuple[dt.datetime, dt.datetime]]) -> Callable[[random.Random], dt.datetime]:
    edges = [t for r in ranges for t in r]
    offsets = [-1, -0.5, -0.000001, 0, 0.000001, 0.5, 0.999999, 1]

    def times(rng: random.Random) -> dt.datetime:
        if rng.random() < 0.5:
            return dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(seconds=rng.random() * 365 * 86400)
        return rng.choice(edges) + dt.timedelta(seconds=rng.choice(offsets))

    return times


def scenario_mixed(stack: Stack, args: argparse.Namespace) -> list[dict]:
    s = "c mixed"
    stack.reset()
    a, b = "org-core-ma", "org-core-mb"
    pks = stack.orgs(a, b)
    ranges = boundary_ranges()
    times = boundary_times(ranges)
    for org, pk in pks.items():
        stack.seed(pk, f"c-seed-{org}", args.seed_rows, times)
    rng = random.Random(3)
    status: Counter[str] = Counter()
    unavailable: Counter[str] = Counter()
    lock = threading.Lock()

    def tally(r: httpx.Response) -> httpx.Response:
        with lock:
            if r.status_code >= 500:
                path = r.request.url.path
                kind = "activity" if path.startswith(ACT) else "count snapshot"
                status[f"{r.request.method} {kind} {r.status_code}"] += 1
                text = r.text.lower()
                if r.status_code == 503 and ("deadlock" in text or "unavailable" in text):
                    unavailable["deadlock" if "deadlock" in text else "unavailable"] += 1
        return r

    # activities to move through the API, and snapshots to refresh
    movable: list[str] = []
    with httpx.Client(base_url=stack.rest, timeout=60) as http:
        for i in range(args.movable):
            aid = f"c-move-{i}"
            tally(http.post(ACT, json=activity_body(a if i % 2 else b, rng, aid)))
            movable.append(aid)
        for org in (a, b):
            for start, end in ranges:
                tally(http.post(COUNTS, json={"org_id": org, "range": {"start": iso(start), "end": iso(end)}}))
    deadline = time.monotonic() + args.mixed_seconds
    watchers = []
    for i in range(20):
        start, end = ranges[i % len(ranges)]
        org = (a, b)[i // len(ranges) % 2]
        watchers.append(Watcher(stack.stream, {"org_id": org, "start": iso(start), "end": iso(end)}, deadline + 120))
    for w in watchers:
        w.start()
    time.sleep(2)
    sub_fail: Counter[str] = Counter()
    sub_runs: Counter[str] = Counter()

    def run_sub(kind: str, *cmd: str) -> None:
        err = stack.tmp / f"{kind}.err"
        with err.open("w") as f:
            p = stack.manage(*cmd, stderr=f)
            try:
                p.wait(max(5, deadline - time.monotonic() + 60))
            except subprocess.TimeoutExpired:
                stop_proc(p)
                sub_fail[f"{kind} killed (time)"] += 1
        stop_proc(p)
        text = err.read_text(errors="replace")
        with lock:
            sub_runs[kind] += 1
            if p.returncode:
                sub_fail[f"{kind} exit {p.returncode}"] += 1
            if "deadlock" in text.lower():
                sub_fail[f"{kind} 'Deadlock' in stderr"] += 1

    def importer(worker: int) -> None:
        moved_from_a: list[str] = []
        moved_from_b: list[str] = []
        k = 0
        while time.monotonic() < deadline and not STOP.is_set() and k < 1000:
            k += 1
            path = stack.tmp / f"mixed-{worker}-{k}.csv"
            new_b = [f"c-imp-{worker}-{k}-b{i}" for i in range(args.mixed_import_rows)]
            new_a = [f"c-imp-{worker}-{k}-a{i}" for i in range(args.mixed_import_rows)]
            rows = [(x, b, times(rng)) for x in new_b + moved_from_a]  # B's rows first
            rows += [(x, a, times(rng)) for x in new_a + moved_from_b]
            write_csv(path, iter(rows))
            run_sub("import", "import_activities", str(path))
            moved_from_a, moved_from_b = new_a[: len(new_a) // 2], new_b[: len(new_b) // 2]

    def reaggregate() -> None:
        k = 0
        while time.monotonic() < deadline and not STOP.is_set() and k < 1000:
            k += 1
            run_sub("reaggregate", "reaggregate", "--all", "--counts")

    def mover() -> None:
        with httpx.Client(base_url=stack.rest, timeout=60) as http:
            while time.monotonic() < deadline and not STOP.is_set():
                aid = rng.choice(movable)
                with suppress(httpx.HTTPError):
                    tally(http.patch(f"{ACT}{aid}/", json={"org_id": rng.choice((a, b))}))
                time.sleep(args.pace)

    def snapshot_ids(http: httpx.Client) -> list[str]:
        ids = []
        for org in (a, b):
            for page in range(1, 50):
                r = http.get(COUNTS, params={"org_id": org, "limit": 100, "page": page})
                if r.status_code != 200:
                    break
                data = r.json()["data"]
                ids += [x["id"] for x in data]
                if len(data) < 100:
                    break
        return ids

    def refresher() -> None:
        with httpx.Client(base_url=stack.rest, timeout=60) as http:
            ids = snapshot_ids(http)
            while ids and time.monotonic() < deadline and not STOP.is_set():
                with suppress(httpx.HTTPError):
                    tally(http.put(f"{COUNTS}{rng.choice(ids)}/", json={}))
                time.sleep(args.pace)

    threads = [threading.Thread(target=importer, args=(w,), daemon=True) for w in range(args.mixed_importers)]
    threads += [threading.Thread(target=reaggregate, daemon=True)]
    threads += [threading.Thread(target=mover, daemon=True) for _ in range(2)]
    threads += [threading.Thread(target=refresher, daemon=True)]
    log(f"c: {args.mixed_seconds:.0f} s of mixed load")
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1, deadline - time.monotonic() + 180))
    time.sleep(3)
    # verification
    snap_checked = snap_bad = 0
    bad_examples = []
    with httpx.Client(base_url=stack.rest, timeout=60) as http:
        for sid in snapshot_ids(http):
            r = tally(http.get(f"{COUNTS}{sid}/"))
            if r.status_code != 200:
                continue
            x = r.json()
            fresh = stack.count(x["org_id"], x["range_start"], x["range_end"])
            snap_checked += 1
            if fresh != x["record_count"]:
                snap_bad += 1
                bad_examples.append(f"{sid}: {x['record_count']} vs {fresh}")
    stream_bad = 0
    for w in watchers:
        w.quit.set()
    ended = time.monotonic() + 5  # a watcher blocked in a read ends with its timeout; its count is kept
    for w in watchers:
        w.join(max(0.01, ended - time.monotonic()))
        fresh = stack.count(w.params["org_id"], w.params["start"], w.params["end"])
        if w.latest != fresh:
            stream_bad += 1
            bad_examples.append(f"stream {w.params}: {w.latest} vs {fresh}")
    errors_5xx = sum(status.values())
    fails = sum(v for k, v in sub_fail.items())
    events = sum(w.events for w in watchers)
    reconnects = sum(w.reconnects for w in watchers)
    stream_errors = sum((w.errors for w in watchers), Counter())
    return [
        row(s, "seconds of load", args.mixed_seconds, note=f"{args.mixed_importers} importers of "
            f"{args.mixed_import_rows}+{args.mixed_import_rows} rows, 2 movers, 1 reaggregate loop, 1 refresher"),
        row(s, "HTTP 5xx", errors_5xx, "0", errors_5xx == 0, note=str(dict(status)) if status else ""),
        row(s, "503 deadlock/unavailable", sum(unavailable.values()), "0", not unavailable,
            note=str(dict(unavailable)) if unavailable else ""),
        row(s, "subprocess runs", sum(sub_runs.values()), note=str(dict(sub_runs))),
        row(s, "subprocess failures", fails, "0", fails == 0, note=str(dict(sub_fail)) if sub_fail else ""),
        row(s, "stream events received (20 streams)", events,
            note=f"{reconnects} reconnects; errors {dict(stream_errors)}" if reconnects else ""),
        row(s, "snapshots checked", snap_checked),
        row(s, "snapshot count mismatches", snap_bad, "0", snap_bad == 0 and snap_checked > 0,
            note="; ".join(bad_examples[:3])),
        row(s, "stream last-count mismatches", stream_bad, "0", stream_bad == 0, note="; ".join(bad_examples[-3:])
            if stream_bad else ""),
    ]  # fmt: skip


# ---------------------------------------------------------------- scenario d


def scenario_race(stack: Stack, args: argparse.Namespace) -> list[dict]:
    s = "d race"
    stack.reset()
    a, b = "org-core-ra", "org-core-rb"
    stack.orgs(a, b)
    rng = random.Random(4)
    tally: Counter[str] = Counter()
    lock = threading.Lock()
    clients = [httpx.Client(base_url=stack.rest, timeout=60) for _ in range(4)]
    try:
        for i in range(args.race_rounds):
            if STOP.is_set():
                break
            aid = f"d-race-{i}"
            r = clients[3].post(ACT, json=activity_body(a, rng, aid))
            tally[f"POST {r.status_code}"] += 1
            barrier = threading.Barrier(3, timeout=30)
            put_body = activity_body(a, rng, aid)

            def go(
                method: str,
                client: httpx.Client,
                body: dict | None,
                barrier: threading.Barrier = barrier,
                aid: str = aid,
            ) -> None:
                barrier.wait()
                try:
                    code = str(client.request(method, f"{ACT}{aid}/", json=body).status_code)
                except httpx.HTTPError as exc:
                    code = type(exc).__name__
                with lock:
                    tally[f"{method} {code}"] += 1

            ts = [
                threading.Thread(target=go, args=("PATCH", clients[0], {"org_id": b, "participant_count": 7})),
                threading.Thread(target=go, args=("PUT", clients[1], put_body)),
                threading.Thread(target=go, args=("DELETE", clients[2], None)),
            ]
            for t in ts:
                t.start()
            for t in ts:
                t.join(90)
    finally:
        for c in clients:
            c.close()
    fives = sum(v for k, v in tally.items() if k.split()[1].startswith("5"))
    others = sum(v for k, v in tally.items() if not k.split()[1].isdigit())
    return [
        row(s, "rounds", args.race_rounds),
        row(
            s,
            "5xx responses",
            fives,
            "0 (no 500)",
            fives == 0 and others == 0,
            note=", ".join(f"{k}: {v}" for k, v in sorted(tally.items())),
        ),
    ]


SCENARIOS = {"a": scenario_streams, "b": scenario_import, "c": scenario_mixed, "d": scenario_race}


# ---------------------------------------------------------------- main


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if v != v else f"{v:,.1f}" if abs(v) >= 10 else f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def table(results: dict[str, list[dict]]) -> str:
    names = list(results)
    keys: list[tuple[str, str]] = []
    targets: dict[tuple[str, str], str] = {}
    cells: dict[tuple[str, str, str], str] = {}
    for name, rows in results.items():
        for r in rows:
            key = (r["scenario"], r["measure"])
            if key not in targets:
                keys.append(key)
            targets[key] = targets.get(key) or r["target"]
            met = "" if r["met"] is None else (" ok" if r["met"] else " MISS")
            cells[(name, *key)] = fmt(r["value"]) + met
    header = ["scenario", "measure", "target", *names]
    body = [[k[0], k[1], targets[k], *(cells.get((n, *k), "-") for n in names)] for k in keys]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=True)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)) for r in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkout", action="append", required=True, type=Path, help="a checkout dir; repeatable")
    p.add_argument("--scenarios", default="a,b,c,d")
    p.add_argument("--seed-rows", type=int, default=10_000, help="activities seeded per organisation (COPY)")
    p.add_argument("--posts", type=int, default=200, help="a: sequential POSTs before and after")
    p.add_argument("--streams", type=int, default=2000, help="a: streams opened and dropped")
    p.add_argument("--stream-concurrency", type=int, default=50)
    p.add_argument("--import-rows", type=int, default=100_000, help="b: rows imported for A (issue: 800000)")
    p.add_argument("--import-timeout", type=float, default=900, help="b: import killed after this many seconds")
    p.add_argument("--first-event-timeout", type=float, default=60)
    p.add_argument("--pace", type=float, default=0.05, help="pause between one client's requests (s)")
    p.add_argument("--mixed-seconds", type=float, default=30, help="c: duration (issue: 120)")
    p.add_argument("--mixed-importers", type=int, default=2)
    p.add_argument("--mixed-import-rows", type=int, default=1000, help="c: new rows per org per import file")
    p.add_argument("--movable", type=int, default=200, help="c: activities moved A<->B through the API")
    p.add_argument("--race-rounds", type=int, default=60)
    args = p.parse_args()
    chosen = [x.strip() for x in args.scenarios.split(",") if x.strip()]
    if unknown := set(chosen) - set(SCENARIOS):
        p.error(f"unknown scenarios: {unknown}")
    for c in args.checkout:
        if not (c / "manage.py").is_file():
            p.error(f"{c} has no manage.py")

    def on_term(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    stamp = dt.datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_id = stamp.lower()
    results: dict[str, list[dict]] = {}
    meta = {"started": stamp, "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "cpus": os.cpu_count(), "load_before": os.getloadavg(), "checkouts": {}}  # fmt: skip
    meta["args"]["checkout"] = [str(c) for c in args.checkout]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"core-load-{stamp}.json"
    try:
        for n, checkout in enumerate(args.checkout, start=1):
            name = f"{checkout.name}@{git_head(checkout)}"
            meta["checkouts"][name] = str(checkout.resolve())
            rows: list[dict] = results.setdefault(name, [])
            with (
                tempfile.TemporaryDirectory(prefix="core-load-") as tmp,
                running(Stack(checkout.resolve(), n, run_id, Path(tmp))) as stack,
            ):
                for key in chosen:
                    if STOP.is_set():
                        break
                    started = time.perf_counter()
                    label = SCENARIOS[key].__name__.replace("scenario_", key + " ")
                    log(f"{name}: scenario {label}")
                    sizes = stack.log_sizes()
                    try:
                        rows += SCENARIOS[key](stack, args)
                    except KeyboardInterrupt:
                        raise
                    except Exception as exc:  # one scenario failing does not lose the others
                        log(f"{name}: scenario {key} failed: {exc!r}")
                        rows.append(row(label, "scenario failed", repr(exc)[:300], met=False))
                    rows.append(row(label, "scenario wall time (s)", time.perf_counter() - started))
                    exc = stack.exceptions_since(sizes)
                    rows.append(row(label, "exceptions in server logs", sum(exc.values()), note=str(dict(exc))))
                    for r in rows:
                        r.setdefault("checkout", name)
                    out.write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str))
                logs = {f.name: f.read_text(errors="replace")[-4000:] for f in Path(tmp).glob("*.log")}
                meta.setdefault("server_log_tails", {})[name] = {k: v for k, v in logs.items() if k != "access.log"}
    except KeyboardInterrupt:
        STOP.set()
        log("interrupted: stopping everything")
    finally:
        STOP.set()
        stop_all()
    meta["load_after"] = os.getloadavg()
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=1, default=str))
    print()
    print(table(results))
    print(f"\nJSON: {out}")
    return 0


@contextmanager
def running(stack: Stack) -> Iterator[Stack]:
    try:
        stack.start()
        yield stack
    finally:
        STOP.set()  # daemon loops of this checkout end
        stop_all()
        stack.stop()
        STOP.clear()


def git_head(checkout: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or "?"  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
