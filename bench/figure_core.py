"""Figure 7: the counting core (issue 11), each case next to its floor in the same run.

- count POST under gunicorn at one client against a raw transaction doing the same
  count, upsert and commit (mid organisation, a quarter);
- a year's count for an organisation with 1,000,000 activities in that year, plain and
  grouped by type and status, against the raw ``count(*)`` and the raw grouped query;
- activity POST p50 with nothing watching, and with 10,000 count snapshots of that
  organisation plus open streams on distinct ranges that hold every written instant.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from typing import Any

import httpx
import psycopg

from bench.harness import Stats, hammer, server, server_env, sql_loop, summarise

GUNICORN, DAPHNE, TRIVIAL = 8766, 8767, 8768
QUARTER = {"start": "2026-04-01", "end": "2026-06-30"}
Q_START = dt.datetime(2026, 3, 31, 22, tzinfo=dt.UTC)
Q_END_EXCL = dt.datetime(2026, 6, 30, 22, tzinfo=dt.UTC)
YEAR = {"start": "2027-01-01", "end": "2027-12-31"}  # the million's own year: nobody else's rows
Y_START = dt.datetime(2026, 12, 31, 23, tzinfo=dt.UTC)
Y_END_EXCL = dt.datetime(2027, 12, 31, 23, tzinfo=dt.UTC)
COUNT = "SELECT count(*) FROM activities_activity WHERE org_id = %s AND recorded_at >= %s AND recorded_at < %s"
GROUPED = (
    "SELECT activity_type, status, count(*), sum(participant_count) FROM activities_activity "
    "WHERE org_id = %s AND recorded_at >= %s AND recorded_at < %s GROUP BY 1, 2"
)
UPSERT = (
    "INSERT INTO record_counts_countsnapshot (org_id, range_start, range_end, record_count, snapshot_at) "
    "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (org_id, range_start, range_end) "
    "DO UPDATE SET record_count = EXCLUDED.record_count, snapshot_at = EXCLUDED.snapshot_at"
)
WATCHED_SNAPSHOTS = 10_000
WATCHED_STREAMS = 1_000


def _row(case: str, measure: str, value: float, floor: float | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"figure": "7 core", "case": case, "measure": measure, "value": value, "floor": floor}
    if floor:
        row["ratio"] = value / floor
    row.update(extra)
    return row


def _tx_loop(dsn: str, pk: int, duration: float) -> Stats:
    """The floor of a count POST: count, upsert the snapshot, commit; in a loop."""
    latencies: list[float] = []
    deadline = time.monotonic() + duration
    with psycopg.connect(dsn) as conn:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur:
                n = cur.execute(COUNT, (pk, Q_START, Q_END_EXCL)).fetchone()[0]  # type: ignore[index]
                cur.execute(UPSERT, (pk, Q_START, Q_END_EXCL - dt.timedelta(seconds=1), n))
            latencies.append(time.perf_counter() - started)
    return summarise(latencies, 0, duration)


class Watchers:
    """Streams held open on distinct ranges (each holding the written instants), counting events."""

    def __init__(self, base: str, org_id: str, n: int) -> None:
        self.base, self.org_id, self.n = base, org_id, n
        self.opened = self.events = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> Watchers:
        self._thread.start()
        deadline = time.monotonic() + 300
        while self.opened < self.n and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    async def _run(self) -> None:
        limits = httpx.Limits(max_connections=self.n + 10)
        async with httpx.AsyncClient(
            base_url=self.base, timeout=httpx.Timeout(30.0, read=600.0), limits=limits
        ) as client:
            gate = asyncio.Semaphore(100)  # connect as screens would: a hundred at a time
            tasks = [asyncio.create_task(self._one(client, gate, i)) for i in range(self.n)]
            while not self._stop.is_set():
                await asyncio.sleep(0.2)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _one(self, client: httpx.AsyncClient, gate: asyncio.Semaphore, i: int) -> None:
        start = (Q_START + dt.timedelta(microseconds=i + 1)).isoformat().replace("+00:00", "Z")
        params = {"org_id": self.org_id, "start": start, "end": "2026-06-30"}
        first = True
        async with gate:
            response = await client.send(client.build_request("GET", "/api/v1/period-record-counts/stream",
                                                              params=params), stream=True)  # fmt: skip
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                if first:
                    self.opened += 1
                    first = False
                else:
                    self.events += 1


def ensure_million(dsn: str) -> int:
    """The pk of ``org-million``: 1,000,000 activities in 2027 (local), made once."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        million = conn.execute(
            "INSERT INTO activities_organization (org_id, name) VALUES ('org-million', 'A million') "
            "ON CONFLICT (org_id) DO UPDATE SET name = EXCLUDED.name RETURNING id"
        ).fetchone()[0]  # type: ignore[index]
        if conn.execute(COUNT, (million, Y_START, Y_END_EXCL)).fetchone()[0] < 1_000_000:  # type: ignore[index]
            conn.execute(
                "INSERT INTO activities_activity (activity_id, org_id, activity_type, recorded_at, "
                "participant_count, location, status) SELECT 'act-million-' || i, %s, "
                # As spread as real data (bench/datagen.py): 5 types x 3 statuses x 8 places,
                # independent of each other, so a local day holds up to 120 combinations.
                "(ARRAY['family_guidance','individual_counseling','peer_support','group_session',"
                "'parent_course'])[1 + i %% 5], %s + (i * interval '31.5 seconds'), i %% 9, "
                "(ARRAY['Oslo','Bergen','Trondheim','Stavanger','Tromsø','Kristiansand','Bodø','Drammen'])"
                "[1 + (i / 7) %% 8], (ARRAY['completed','completed','completed','completed','completed',"
                "'completed','completed','completed','planned','cancelled'])[1 + (i / 3) %% 10] "
                "FROM generate_series(0, 999999) i",
                (million, Y_START),
            )
            conn.execute("VACUUM (ANALYZE) activities_activity")
            conn.execute("VACUUM (ANALYZE) activities_activityrollup")
    return int(million)


def figure_7_core(ctx: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    pk, org_id = ctx.orgs()["mid"]
    base = f"http://127.0.0.1:{GUNICORN}"
    # The production layout: gunicorn announces through Redis to the daphne with streams.
    env = server_env(ctx.env["DATABASE_URL"], ctx.redis_url) | {"EVENTS_CHANNEL_PREFIX": f"bench-{time.time_ns()}-"}
    with server("gunicorn-wsgi-2", GUNICORN, env):
        # 1. count POST against a raw transaction doing the same work.
        body = {"org_id": org_id, "range": QUARTER}
        floor = _tx_loop(ctx.dsn, pk, ctx.duration)
        stats = hammer("POST", base + "/api/v1/period-record-counts", clients=1, duration=ctx.duration,
                       body=lambda: body)  # fmt: skip
        rows.append(_row("count POST, mid org, quarter, gunicorn, 1 client", "p50 ms", stats.p50_ms, floor.p50_ms,
                         target="within 3 ms of the raw transaction", met=stats.p50_ms - floor.p50_ms <= 3,
                         errors=stats.errors))  # fmt: skip
        # What the same server layout and client cost before Django starts.
        with server("gunicorn-trivial-2", TRIVIAL, env):
            transport = hammer("POST", f"http://127.0.0.1:{TRIVIAL}/", clients=1, duration=ctx.duration,
                               body=lambda: body)  # fmt: skip
        rows.append(_row("transport: a WSGI app answering {} (same gunicorn layout and client)", "p50 ms",
                         transport.p50_ms, errors=transport.errors,
                         django_and_queries_ms=stats.p50_ms - transport.p50_ms))  # fmt: skip

        # 2. a year of an organisation with 1,000,000 activities in it.
        million = ensure_million(ctx.dsn)
        for name, path, sql in (("plain", "/api/v1/period-record-counts", COUNT),
                                ("grouped by type and status", "/api/v1/bufdir-aggregations", GROUPED)):  # fmt: skip
            floor = sql_loop(ctx.dsn, sql, (million, Y_START, Y_END_EXCL), clients=1, duration=ctx.duration)
            stats = hammer("POST", base + path, clients=1, duration=ctx.duration,
                           body=lambda: {"org_id": "org-million", "range": YEAR})  # fmt: skip
            rows.append(_row(f"year count, 1,000,000 activities, {name}", "p50 ms", stats.p50_ms, floor.p50_ms,
                             errors=stats.errors))  # fmt: skip

        # 3. writes with nothing watching, then with 10,000 snapshots and open streams.
        def write_body() -> dict[str, Any]:
            return {"org_id": org_id, "activity_type": "bench", "recorded_at": "2026-05-05T10:00:00Z"}

        quiet = hammer("POST", base + "/api/v1/activities", clients=1, duration=ctx.duration, body=write_body)
        rows.append(_row("activity POST, mid org, nothing watching", "p50 ms", quiet.p50_ms, errors=quiet.errors))
        with psycopg.connect(ctx.dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO record_counts_countsnapshot (org_id, range_start, range_end, record_count, snapshot_at) "
                "SELECT %s, %s + i * interval '1 microsecond', %s, 0, now() FROM generate_series(1, %s) i "
                "ON CONFLICT DO NOTHING",
                (pk, Q_START, Q_END_EXCL - dt.timedelta(seconds=1), WATCHED_SNAPSHOTS),
            )
        with server("daphne-1", DAPHNE, env), Watchers(f"http://127.0.0.1:{DAPHNE}", org_id,
                                                          WATCHED_STREAMS) as watchers:  # fmt: skip
            busy = hammer("POST", base + "/api/v1/activities", clients=1, duration=ctx.duration, body=write_body)
            time.sleep(1.0)  # the last re-read round
            rows.append(_row(f"activity POST, {WATCHED_SNAPSHOTS:,} snapshots + {watchers.opened:,} open streams",
                             "p50 ms", busy.p50_ms, quiet.p50_ms, target="within 1.5x of nothing watching",
                             met=busy.p50_ms <= 1.5 * quiet.p50_ms, errors=busy.errors))  # fmt: skip
            rows.append(_row("the same writes, seen by the open streams", "events per stream",
                             watchers.events / max(watchers.opened, 1), target="> 0 (every write changes their count)",
                             met=watchers.events > 0, writes=busy.requests))  # fmt: skip
        with psycopg.connect(ctx.dsn, autocommit=True) as conn:
            conn.execute("DELETE FROM record_counts_countsnapshot WHERE org_id = %s", (pk,))
    return rows
