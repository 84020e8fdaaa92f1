"""Figure 8: the report series (issue 14) on the counting core, with and without the
rollup (issue 11, item 2), each case next to its floors in the same run.

- a grant-year report by month x ``activity_type`` for an organisation with 1,000,000
  activities in that year, ``GET /api/v1/reports/series`` p50 under gunicorn at one
  client, three ways: the activities' covering index alone (``COUNT_ROLLUP=0``), the
  rollup as the triggers wrote it (one row per UTC-day segment and key), and the rollup
  compacted (one row per local day and key); next to the plain contract count of the
  same range end to end (``POST /api/v1/period-record-counts`` under the same gunicorn,
  each set-up), the raw grouped SQL over the rows, the raw grouped SQL over the
  compacted rollup, and the raw ``count(*)``;
- a day-interval report over 1,000 days at the same size, the same three ways;
- what the rollup costs writers: a one-row INSERT and a 100,000-row COPY, with the
  triggers and with them disabled, side by side.
"""

from __future__ import annotations

import io
import subprocess
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg

from activities import rollup_sql
from bench.figure_core import COUNT, GUNICORN, Y_END_EXCL, Y_START, YEAR, ensure_million
from bench.harness import BIN, ROOT, Stats, hammer, server, server_env, sql_loop, summarise

MONTHLY_BY_TYPE = (
    "SELECT date_trunc('month', recorded_at AT TIME ZONE 'Europe/Oslo'), activity_type, count(*), "
    "sum(participant_count) FROM activities_activity WHERE org_id = %s AND recorded_at >= %s "
    "AND recorded_at < %s GROUP BY 1, 2"
)
ROLLUP_MONTHLY_BY_TYPE = (
    "SELECT date_trunc('month', starts_at AT TIME ZONE 'Europe/Oslo'), activity_type, sum(activity_count), "
    "sum(participant_total) FROM activities_activityrollup WHERE org_id = %s AND starts_at >= %s "
    "AND starts_at < %s GROUP BY 1, 2"
)
# The rollup of one organisation as the triggers write it: one row per UTC-day segment
# and key (what an import leaves before it compacts).
SEGMENTED = (
    f"INSERT INTO activities_activityrollup ({rollup_sql.COLUMNS}) SELECT org_id, "
    f"{rollup_sql.pg_segment('recorded_at')}, activity_type, status, location, count(*), sum(participant_count) "
    "FROM activities_activity WHERE org_id = %s GROUP BY 1, 2, 3, 4, 5"
)
DAYS_1000 = {"start": "2025-04-07", "end": "2028-01-01"}  # 1,000 local days around the million's year
TARGET_MS = 50
COPY_ROWS = 100_000


def _row(case: str, value: float, floor: float | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"figure": "8 reports", "case": case, "measure": "p50 ms", "value": value, "floor": floor}
    if floor:
        row["ratio"] = value / floor
    row.update(extra)
    return row


def _vacuum(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) activities_activityrollup")


def _rollup_rows(dsn: str, org_pk: int) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SELECT count(*) FROM activities_activityrollup WHERE org_id = %s", (org_pk,))
                   .fetchone()[0])  # type: ignore[index]  # fmt: skip


def _segment(dsn: str, org_pk: int) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM activities_activityrollup WHERE org_id = %s", (org_pk,))
        conn.execute(SEGMENTED, (org_pk,))
    _vacuum(dsn)


def _measure(
    base: str, shape: str, duration: float, year: dict[str, str], days: dict[str, str]
) -> list[dict[str, Any]]:
    # Exact: the report's total is the contract count of the same range.
    report = httpx.get(base + "/api/v1/reports/series", params=year, timeout=60).json()
    count = httpx.post(base + "/api/v1/period-record-counts", json={"org_id": "org-million", "range": YEAR},
                       timeout=60).json()["record_count"]  # fmt: skip
    exact = report["total"]["activity_count"] == count == 1_000_000
    by_year = hammer("GET", f"{base}/api/v1/reports/series?{urlencode(year)}", clients=1, duration=duration)
    by_day = hammer("GET", f"{base}/api/v1/reports/series?{urlencode(days)}", clients=1, duration=duration)
    # The plain contract count of the grant year, the same server and client: what the
    # report costs beyond the number every contract client already asks for.
    counted = hammer("POST", base + "/api/v1/period-record-counts", clients=1, duration=duration,
                     body=lambda: {"org_id": "org-million", "range": YEAR})  # fmt: skip
    return [
        {"shape": shape, "case": "grant year by month x activity_type", "stats": by_year, "exact": exact,
         "contract_count": counted},
        {"shape": shape, "case": "1,000 days by day", "stats": by_day, "exact": exact},
        {"shape": shape, "case": "contract count POST, grant year", "stats": counted, "exact": exact},
    ]  # fmt: skip


def _manage(env: dict[str, str], *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def figure_8_reports(ctx: Any) -> list[dict[str, Any]]:
    million = ensure_million(ctx.dsn)
    base = f"http://127.0.0.1:{GUNICORN}"
    env = server_env(ctx.env["DATABASE_URL"], ctx.redis_url) | {"EVENTS_CHANNEL_PREFIX": f"bench-{time.time_ns()}-"}
    year = {"org_id": "org-million", **YEAR, "interval": "month", "group_by": "activity_type"}
    days = {"org_id": "org-million", **DAYS_1000, "interval": "day"}
    _segment(ctx.dsn, million)
    segmented_rows = _rollup_rows(ctx.dsn, million)
    measured: list[dict[str, Any]] = []
    with server("gunicorn-wsgi-2", GUNICORN, env | {"COUNT_ROLLUP": "0"}):
        measured += _measure(base, "index alone (COUNT_ROLLUP=0)", ctx.duration, year, days)
    with server("gunicorn-wsgi-2", GUNICORN, env):
        measured += _measure(base, f"rollup as written, {segmented_rows:,} rows", ctx.duration, year, days)
    compact_s = _manage(env, "rollup", "--compact", "--org", "org-million")
    _vacuum(ctx.dsn)
    compacted_rows = _rollup_rows(ctx.dsn, million)
    check_s = _manage(env, "rollup", "--check", "--org", "org-million")  # exits non-zero on a difference
    with server("gunicorn-wsgi-2", GUNICORN, env):
        measured += _measure(base, f"rollup compacted, {compacted_rows:,} rows", ctx.duration, year, days)
    raw = sql_loop(ctx.dsn, MONTHLY_BY_TYPE, (million, Y_START, Y_END_EXCL), clients=1, duration=ctx.duration)
    raw_rollup = sql_loop(ctx.dsn, ROLLUP_MONTHLY_BY_TYPE, (million, Y_START, Y_END_EXCL), clients=1,
                          duration=ctx.duration)  # fmt: skip
    plain = sql_loop(ctx.dsn, COUNT, (million, Y_START, Y_END_EXCL), clients=1, duration=ctx.duration)

    rows: list[dict[str, Any]] = []
    for m in measured:
        stats: Stats = m["stats"]
        case = f"{m['case']}, 1,000,000 activities; {m['shape']}"
        if m["case"].startswith("grant year"):
            floor = raw_rollup.p50_ms if m["shape"].startswith("rollup") else raw.p50_ms
            rows.append(_row(case, stats.p50_ms, floor, target=f"under {TARGET_MS} ms, exact",
                             met=stats.p50_ms < TARGET_MS and m["exact"], exact=m["exact"], errors=stats.errors,
                             contract_count_ms=m["contract_count"].p50_ms, raw_rows_sql_ms=raw.p50_ms,
                             raw_rollup_sql_ms=raw_rollup.p50_ms, plain_count_floor_ms=plain.p50_ms))  # fmt: skip
        elif m["case"].startswith("contract count"):
            rows.append(_row(case, stats.p50_ms, plain.p50_ms, errors=stats.errors, exact=m["exact"],
                             note="served from the count cache after its first read (figure 7); floor: raw count(*)"))  # fmt: skip
        else:
            rows.append(_row(case, stats.p50_ms, errors=stats.errors))
    rows.append(_row("the floors: raw grouped SQL over the rows / over the compacted rollup / plain count(*)",
                     raw.p50_ms, note=f"{raw_rollup.p50_ms:.2f} / {plain.p50_ms:.2f} ms"))  # fmt: skip
    rows.append({"figure": "8 reports", "case": "manage.py rollup --compact / --check, org-million", "measure": "s",
                 "value": compact_s, "note": f"check {check_s:.1f} s; {segmented_rows:,} -> {compacted_rows:,} rows"})  # fmt: skip
    rows += _write_cost(ctx.dsn, million, ctx.duration)
    return rows


# --- what the triggers cost writers ---------------------------------------------------

_INSERT = (
    "INSERT INTO activities_activity (activity_id, org_id, activity_type, recorded_at, participant_count, location, "
    "status) VALUES (%s, %s, 'peer_support', now(), 3, 'Oslo', 'completed')"
)


def _set_triggers(dsn: str, enabled: bool) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in rollup_sql.TRIGGER_NAMES:
            conn.execute(f"ALTER TABLE activities_activity {'ENABLE' if enabled else 'DISABLE'} TRIGGER {name}")


def _insert_loop(dsn: str, org_pk: int, tag: str, duration: float) -> Stats:
    latencies: list[float] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        deadline, i = time.monotonic() + duration, 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            conn.execute(_INSERT, (f"bench-write-{tag}-{i}", org_pk))
            latencies.append(time.perf_counter() - started)
            i += 1
        conn.execute("DELETE FROM activities_activity WHERE activity_id LIKE %s", (f"bench-write-{tag}-%",))
    return summarise(latencies, 0, duration)


def _copy_seconds(dsn: str, org_pk: int) -> float:
    lines = "".join(
        f"bench-copy-{i}\t{org_pk}\tpeer_support\t2027-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00Z\t"
        f"{i % 9}\t{('Oslo', 'Bergen', 'Bodø')[i % 3]}\tcompleted\n"
        for i in range(COPY_ROWS)
    )
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        started = time.perf_counter()
        with cur.copy(
            "COPY activities_activity (activity_id, org_id, activity_type, recorded_at, participant_count, "
            "location, status) FROM STDIN"
        ) as copy:
            copy.write(io.StringIO(lines).read())
        seconds = time.perf_counter() - started
        conn.rollback()  # measured, not kept
    return seconds


def _write_cost(dsn: str, org_pk: int, duration: float) -> list[dict[str, Any]]:
    with_triggers = _insert_loop(dsn, org_pk, "on", duration)
    copy_on = min(_copy_seconds(dsn, org_pk) for _ in range(3))
    _set_triggers(dsn, enabled=False)
    try:
        without = _insert_loop(dsn, org_pk, "off", duration)  # inserted and deleted unseen: the rollup is unchanged
        copy_off = min(_copy_seconds(dsn, org_pk) for _ in range(3))
    finally:
        _set_triggers(dsn, enabled=True)
    return [
        _row("one-row INSERT (autocommit), with the rollup triggers vs without", with_triggers.p50_ms,
             without.p50_ms),
        {"figure": "8 reports", "case": f"COPY of {COPY_ROWS:,} rows in one transaction, with vs without triggers",
         "measure": "s", "value": copy_on, "floor": copy_off, "ratio": copy_on / copy_off},
    ]  # fmt: skip
