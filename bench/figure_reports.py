"""Figure 8: the report series (issue 14), each case next to its floors in the same run.

- a grant-year report by month x ``activity_type`` for an organisation with 1,000,000
  activities in that year: ``GET /api/v1/reports/series`` p50 under gunicorn at one
  client, next to the raw grouped SQL over the rows and the plain contract count;
- a day-interval report over 1,000 days at the same size.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.figure_core import COUNT, GUNICORN, Y_END_EXCL, Y_START, YEAR, ensure_million
from bench.harness import hammer, server, server_env, sql_loop

MONTHLY_BY_TYPE = (
    "SELECT date_trunc('month', recorded_at AT TIME ZONE 'Europe/Oslo'), activity_type, count(*), "
    "sum(participant_count) FROM activities_activity WHERE org_id = %s AND recorded_at >= %s "
    "AND recorded_at < %s GROUP BY 1, 2"
)
DAYS_1000 = {"start": "2025-04-07", "end": "2028-01-01"}  # 1,000 local days around the million's year


def _row(case: str, value: float, floor: float | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"figure": "8 reports", "case": case, "measure": "p50 ms", "value": value, "floor": floor}
    if floor:
        row["ratio"] = value / floor
    row.update(extra)
    return row


def figure_8_reports(ctx: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    million = ensure_million(ctx.dsn)
    base = f"http://127.0.0.1:{GUNICORN}"
    env = server_env(ctx.env["DATABASE_URL"], ctx.redis_url) | {"EVENTS_CHANNEL_PREFIX": f"bench-{time.time_ns()}-"}
    year = {"org_id": "org-million", **YEAR, "interval": "month", "group_by": "activity_type"}
    days = {"org_id": "org-million", **DAYS_1000, "interval": "day"}
    with server("gunicorn-wsgi-2", GUNICORN, env):
        # Exact: the report's total is the contract count of the same range.
        report = httpx.get(base + "/api/v1/reports/series", params=year, timeout=60).json()
        count = httpx.post(base + "/api/v1/period-record-counts", json={"org_id": "org-million", "range": YEAR},
                           timeout=60).json()["record_count"]  # fmt: skip
        exact = report["total"]["activity_count"] == count == 1_000_000
        raw = sql_loop(ctx.dsn, MONTHLY_BY_TYPE, (million, Y_START, Y_END_EXCL), clients=1, duration=ctx.duration)
        plain = sql_loop(ctx.dsn, COUNT, (million, Y_START, Y_END_EXCL), clients=1, duration=ctx.duration)
        stats = hammer("GET", f"{base}/api/v1/reports/series?{urlencode(year)}", clients=1, duration=ctx.duration)
        rows.append(_row("grant year by month x activity_type, 1,000,000 activities", stats.p50_ms, raw.p50_ms,
                         target="under 50 ms, exact", met=stats.p50_ms < 50 and exact, exact=exact,
                         plain_count_floor_ms=plain.p50_ms, errors=stats.errors))  # fmt: skip
        stats = hammer("GET", f"{base}/api/v1/reports/series?{urlencode(days)}", clients=1, duration=ctx.duration)
        rows.append(_row("1,000 days by day, the same organisation", stats.p50_ms, errors=stats.errors))
    return rows
