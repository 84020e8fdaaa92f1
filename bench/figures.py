"""The figures of issues 6 and 11 (figure 7: bench/figure_core.py), each measured next to its floor in the same run."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from bench.figure_core import figure_7_core
from bench.figure_reports import figure_8_reports
from bench.figure_schemes import figure_schemes as figure_9_schemes
from bench.harness import ROOT, hammer, server, sql_loop

QUARTER = ("2026-04-01", "2026-06-30")  # bare dates: whole Oslo days
Q_START = dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC)  # 2026-04-01 00:00 Oslo (summer time)
Q_END_EXCL = dt.datetime(2026, 6, 30, 22, tzinfo=dt.UTC)  # 2026-07-01 00:00 Oslo
COUNT_SQL = "SELECT count(*) FROM activities_activity WHERE org_id = %s AND recorded_at >= %s AND recorded_at < %s"
GROUPED_SQL = (
    "SELECT activity_type, status, count(*), sum(participant_count) FROM activities_activity "
    "WHERE org_id = %s AND recorded_at >= %s AND recorded_at < %s GROUP BY 1, 2"
)
PORT = 8765


@dataclass
class Context:
    dsn: str
    env: dict[str, str]
    redis_url: str
    duration: float
    rows: int
    stream_servers: tuple[str, ...] = ("daphne-1",)
    stream_clients: tuple[int, ...] = (1000, 4000)  # figure 4's N (--stream-clients)
    stream_setups: tuple[str, ...] = ("floor", "pushpin", "direct")  # figure 4's set-ups
    stream_burst: bool = True  # figure 4's import burst against the direct server
    history_rows: int = 1_000_000  # figure 10's import (--history-rows)
    _orgs: dict[str, tuple[int, str]] | None = None

    def orgs(self) -> dict[str, tuple[int, str]]:
        """{"largest": (pk, org_id), "mid": (pk, org_id)} by activity count."""
        if self._orgs is None:
            with psycopg.connect(self.dsn) as conn:
                rows = conn.execute(
                    "SELECT o.id, o.org_id, count(a.id) FROM activities_organization o "
                    "JOIN activities_activity a ON a.org_id = o.id GROUP BY o.id ORDER BY 3 DESC"
                ).fetchall()
            self._orgs = {
                "largest": (rows[0][0], rows[0][1]),
                "mid": (rows[len(rows) // 2][0], rows[len(rows) // 2][1]),
            }
        return self._orgs


def _row(
    figure: str, case: str, measure: str, value: float, floor: float | None = None, **extra: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {"figure": figure, "case": case, "measure": measure, "value": value, "floor": floor}
    if floor:
        row["ratio"] = value / floor
    row.update(extra)
    return row


def figure_1_count(ctx: Context) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with psycopg.connect(ctx.dsn) as conn:
        pk = ctx.orgs()["largest"][0]
        plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + GROUPED_SQL, (pk, Q_START, Q_END_EXCL)).fetchall()
    print("\n".join("    " + line[0] for line in plan))
    index_only = any("Index Only Scan" in line[0] for line in plan)
    heap = [line[0] for line in plan if "Heap Fetches" in line[0]]
    rows.append(_row("1 count", "plan (largest org, quarter)", "index-only scan", float(index_only), target="yes",
                     met=index_only, note=heap[0].strip() if heap else ""))  # fmt: skip
    with server("daphne-1", PORT, ctx.env):
        base = f"http://127.0.0.1:{PORT}"
        for size in ("mid", "largest"):
            pk, org_id = ctx.orgs()[size]
            body = {"org_id": org_id, "range": {"start": QUARTER[0], "end": QUARTER[1]}}
            for clients in (1, 16):
                floor = sql_loop(ctx.dsn, COUNT_SQL, (pk, Q_START, Q_END_EXCL), clients=clients, duration=ctx.duration)
                for name, path in (("aggregation POST", "/api/v1/bufdir-aggregations"),
                                   ("record-count POST", "/api/v1/period-record-counts")):  # fmt: skip
                    stats = hammer("POST", base + path, clients=clients, duration=ctx.duration, body=lambda b=body: b)
                    case = f"{name}, {size} org, {clients} client(s)"
                    extra: dict[str, Any] = {"errors": stats.errors, "rps": stats.rps, "floor_rps": floor.rps}
                    if clients == 1:
                        extra.update(target="p50 within 3 ms of SQL", met=stats.p50_ms - floor.p50_ms <= 3)
                    rows.append(_row("1 count", case, "p50 ms", stats.p50_ms, floor.p50_ms, **extra))
                    rows.append(_row("1 count", case, "p95 ms", stats.p95_ms, floor.p95_ms))
                    rows.append(_row("1 count", case, "req/s", stats.rps, floor.rps))
    return rows


def _read_cases(ctx: Context, base: str) -> list[tuple[str, str, str]]:
    """(name, API url, bare url) for figure 2; creates 120 snapshots to read."""
    _, org_id = ctx.orgs()["mid"]
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(120):
            r = client.post(
                "/api/v1/bufdir-aggregations",
                json={"org_id": org_id, "range": {"start": QUARTER[0], "end": QUARTER[1]}},
            )
            r.raise_for_status()
        snapshot_id = r.json()["id"]
    snap_pk = int(snapshot_id.rsplit("-", 1)[1])
    q = f"org_id={org_id}&start={QUARTER[0]}&end={QUARTER[1]}"
    return [
        ("get snapshot", f"/api/v1/bufdir-aggregations/{snapshot_id}", f"/bare/snapshots/{snap_pk}"),
        ("list 20 snapshots", "/api/v1/bufdir-aggregations?limit=20", "/bare/snapshots?limit=20"),
        ("list 100 snapshots", "/api/v1/bufdir-aggregations?limit=100", "/bare/snapshots?limit=100"),
        (
            "list 100 activities",
            f"/api/v1/bufdir-aggregations/activities?{q}&limit=100",
            f"/bare/activities?{q}&limit=100",
        ),
    ]


def _reads(ctx: Context, layout: str, figure: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with server(layout, PORT, ctx.env):
        base = f"http://127.0.0.1:{PORT}"
        for name, api_url, bare_url in _read_cases(ctx, base):
            api = hammer("GET", base + api_url, clients=16, duration=ctx.duration)
            bare = hammer("GET", base + bare_url, clients=16, duration=ctx.duration)
            case = f"{name} @16, {layout}"
            rows.append(_row(figure, case, "req/s", api.rps, bare.rps, target=">= 70% of bare",
                             met=api.rps >= 0.7 * bare.rps, errors=api.errors + bare.errors))  # fmt: skip
            rows.append(_row(figure, case, "p99 ms", api.p99_ms, bare.p99_ms))
    return rows


def figure_2_reads(ctx: Context) -> list[dict[str, Any]]:
    return _reads(ctx, "daphne-1", "2 reads")


def figure_3_layouts(ctx: Context) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for layout in ("daphne-1", "uvicorn-2", "gunicorn-wsgi-2"):
        rows.extend(_reads(ctx, layout, "3 layout"))
    return rows


def figure_4_stream(ctx: Context) -> list[dict[str, Any]]:
    from bench.stream_load import run_stream_figures

    return run_stream_figures(ctx)


def figure_5_import(ctx: Context) -> list[dict[str, Any]]:
    rows_n = min(ctx.rows, 1_000_000)
    _, org_id = ctx.orgs()["mid"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "import.csv"
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(
                ["activity_id", "org_id", "activity_type", "recorded_at", "participant_count", "location", "status"]
            )
            start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            for i in range(rows_n):
                at = start + dt.timedelta(seconds=i * 7)
                writer.writerow(
                    [
                        f"imp-{i}",
                        org_id,
                        "peer_support",
                        at.isoformat().replace("+00:00", "Z"),
                        i % 9,
                        "Oslo",
                        "completed",
                    ]
                )
        with psycopg.connect(ctx.dsn) as conn, conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE bare_import (activity_id text, org_id text, activity_type text, "
                        "recorded_at timestamptz, participant_count int, location text, status text)")  # fmt: skip
            started = time.perf_counter()
            with path.open("rb") as fh, cur.copy("COPY bare_import FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            bare_seconds = time.perf_counter() - started
            conn.rollback()
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "manage.py", "import_activities", str(path)], cwd=ROOT, env=ctx.env,
                                stdout=subprocess.DEVNULL)  # fmt: skip
        peak = 0
        watched = psutil.Process(proc.pid)
        while proc.poll() is None:  # peak RSS of the import process alone
            with contextlib.suppress(psutil.Error):
                peak = max(peak, watched.memory_info().rss)
            time.sleep(0.05)
        if proc.returncode:
            raise RuntimeError(f"import_activities exited {proc.returncode}")
        seconds = time.perf_counter() - started
        peak_mb = peak / 2**20
    with psycopg.connect(ctx.dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM activities_activity WHERE activity_id LIKE 'imp-%%'")
        conn.execute("DELETE FROM activities_activityevent WHERE activity_id LIKE 'imp-%%'")  # their history
    return [
        _row(
            "5 import",
            f"{rows_n:,} CSV rows",
            "rows/s",
            rows_n / seconds,
            rows_n / bare_seconds,
            target="1M rows < 60 s",
            met=seconds < 60 * rows_n / 1_000_000,
            seconds=seconds,
        ),
        _row("5 import", f"{rows_n:,} CSV rows", "peak RSS MB", peak_mb, None, note="import process alone, polled"),
    ]


def figure_6_reaggregate(ctx: Context) -> list[dict[str, Any]]:
    from bench.reaggregate_load import run_reaggregate_figure

    return run_reaggregate_figure(ctx)


def figure_10_history(ctx: Context) -> list[dict[str, Any]]:
    """What writing the history costs an import of the bench's size (issue 15: at most
    +25%): bench/history_import.py in its own process and database, the same CSV of new
    rows imported alternately with and without the history, three times each (after a
    warm-up of a fifth of the rows each way, not counted), into an emptied table; and
    1,000 changed rows (the ``bulk_update`` path)."""
    import statistics

    rows_n = ctx.history_rows
    admin, name = ctx.dsn.rsplit("/", 1)
    dsn = f"{admin}/{name}_history"
    with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}_history" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}_history"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "history.json"
            subprocess.run(
                [sys.executable, "bench/history_import.py", "--rows", str(rows_n), "--repeat", "3",
                 "--update-rows", "1000", "--warm-up", str(rows_n // 5), "--json", str(out)],
                cwd=ROOT, env=dict(ctx.env, DATABASE_URL=dsn), check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            found = json.loads(out.read_text())
    finally:
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}_history" WITH (FORCE)')
    result = []
    for kind, case in (("create", f"{rows_n:,} new rows (COPY path)"), ("update", "1,000 changed rows (bulk_update)")):
        on, off = statistics.median(found[kind]["on"]), statistics.median(found[kind]["off"])
        pairs = ", ".join(f"{a / b:.2f}" for a, b in zip(found[kind]["on"], found[kind]["off"], strict=True))
        extra: dict[str, Any] = {"target": "<= 1.25x", "met": on <= 1.25 * off} if kind == "create" else {}
        result.append(_row("10 history", case, "import s, history on (floor: off)", on, off,
                           note=f"medians of 3; each pair on/off: {pairs}", **extra))  # fmt: skip
    return result


FIGURES: dict[int, Callable[[Context], list[dict[str, Any]]]] = {
    1: figure_1_count,
    2: figure_2_reads,
    3: figure_3_layouts,
    4: figure_4_stream,
    5: figure_5_import,
    6: figure_6_reaggregate,
    7: figure_7_core,
    8: figure_8_reports,
    9: figure_9_schemes,
    10: figure_10_history,
}

__all__ = ["FIGURES", "Context", "os"]
