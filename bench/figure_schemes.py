"""The scheme report (issue 15) for a grant year of 1,000,000 activities, next to the
plain report series of the same range and the raw row read it rests on, in one run.

Figure 9 of ``bench/run.py``.

- ``GET /api/v1/reports/scheme`` p50 under gunicorn at one client, with rules that read
  fields the million has (completed only, at least 3 participants, one per type per
  local day; its ``duration_minutes``/``in_person`` are unknown, so rules on them would
  only say ``unknown_field``), and with a scheme that counts everything (exact: equal to
  the contract count);
- the report series by month of the same year (figure 8's floor here);
- the floor of the scheme report: the same rows fetched in the same order by psycopg.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg

from bench.figure_core import GUNICORN, Y_END_EXCL, Y_START, YEAR, ensure_million
from bench.harness import hammer, server, server_env, sql_loop

ROWS_IN_ORDER = (
    "SELECT activity_id, recorded_at, activity_type, status, participant_count, duration_minutes, in_person, "
    "location FROM activities_activity WHERE org_id = %s AND recorded_at >= %s AND recorded_at < %s "
    'ORDER BY recorded_at, activity_id COLLATE "C"'
)
SCHEMES: dict[str, dict[str, Any]] = {
    "bench-peer": {"statuses": ["completed"], "min_participants": 3, "one_per_type_per_day": True},
    "bench-everything": {"statuses": ["planned", "completed", "cancelled"]},
}


def ensure_schemes(dsn: str) -> None:
    """The two schemes, each with one version of its rules, made once."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for code, rules in SCHEMES.items():
            scheme = conn.execute(
                "INSERT INTO schemes_grantscheme (name, code, year_start_month, deadline_month, deadline_day, "
                "created_at) VALUES (%s, %s, 1, 1, 31, now()) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name "
                "RETURNING id",
                (code, code),
            ).fetchone()[0]  # type: ignore[index]
            conn.execute(
                "INSERT INTO schemes_schemeversion (scheme_id, number, statuses, activity_types, min_participants, "
                "min_duration_minutes, in_person_required, one_per_type_per_day, created_at) "
                "VALUES (%s, 1, %s, '[]', %s, 0, false, %s, now()) ON CONFLICT DO NOTHING",
                (
                    scheme,
                    json.dumps(rules["statuses"]),
                    rules.get("min_participants", 0),
                    rules.get("one_per_type_per_day", False),
                ),
            )


def _row(case: str, value: float, floor: float | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"figure": "9 schemes", "case": case, "measure": "p50 ms", "value": value, "floor": floor}
    if floor:
        row["ratio"] = value / floor
    row.update(extra)
    return row


def figure_schemes(ctx: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    million = ensure_million(ctx.dsn)
    ensure_schemes(ctx.dsn)
    base = f"http://127.0.0.1:{GUNICORN}"
    env = server_env(ctx.env["DATABASE_URL"], ctx.redis_url) | {"EVENTS_CHANNEL_PREFIX": f"bench-{time.time_ns()}-"}
    peer = {"org_id": "org-million", "scheme": "bench-peer", **YEAR}
    everything = {"org_id": "org-million", "scheme": "bench-everything", **YEAR}
    series = {"org_id": "org-million", **YEAR, "interval": "month"}
    with server("gunicorn-wsgi-2", GUNICORN, env):
        judged = httpx.get(base + "/api/v1/reports/scheme", params=everything, timeout=120).json()
        count = httpx.post(base + "/api/v1/period-record-counts", json={"org_id": "org-million", "range": YEAR},
                           timeout=60).json()["record_count"]  # fmt: skip
        exact = judged["counted"]["activity_count"] == count == 1_000_000
        floor = sql_loop(ctx.dsn, ROWS_IN_ORDER, (million, Y_START, Y_END_EXCL), clients=1, duration=ctx.duration)
        plain = hammer("GET", f"{base}/api/v1/reports/series?{urlencode(series)}", clients=1, duration=ctx.duration)
        stats = hammer("GET", f"{base}/api/v1/reports/scheme?{urlencode(peer)}", clients=1, duration=ctx.duration)
        rows.append(_row("scheme report, grant year, 1,000,000 activities (3 rules)", stats.p50_ms, floor.p50_ms,
                         series_report_ms=plain.p50_ms, errors=stats.errors))  # fmt: skip
        stats = hammer("GET", f"{base}/api/v1/reports/scheme?{urlencode(everything)}", clients=1,
                       duration=ctx.duration)  # fmt: skip
        rows.append(_row("scheme report counting everything, the same year", stats.p50_ms, floor.p50_ms,
                         exact=exact, series_report_ms=plain.p50_ms, errors=stats.errors))  # fmt: skip
        rows.append(_row("report series by month, the same year", plain.p50_ms, errors=plain.errors))
    return rows
