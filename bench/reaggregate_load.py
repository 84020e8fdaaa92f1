"""Figure 6: `manage.py reaggregate --all` over 10,000 snapshots: seconds and queries."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import psycopg

from bench.harness import ROOT

SNAPSHOTS = 10_000
COUNT_QUERIES = """
import json, django
django.setup()
from io import StringIO
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
with CaptureQueriesContext(connection) as q:
    call_command("reaggregate", "--all", stdout=StringIO())
print(json.dumps({"queries": len(q.captured_queries), "grouped": sum("GROUP BY" in x["sql"] for x in q.captured_queries)}))
"""


def run_reaggregate_figure(ctx: Any) -> list[dict[str, Any]]:
    with psycopg.connect(ctx.dsn, autocommit=True) as conn:
        conn.execute("DELETE FROM aggregations_aggregationsnapshot")
        # 10,000 quarterly/monthly snapshots spread over the 200 organisations.
        conn.execute(
            """
            INSERT INTO aggregations_aggregationsnapshot
                (org_id, range_start, range_end, activity_count, participant_total,
                 by_activity_type, by_status, snapshot_at)
            SELECT o.id,
                   timestamptz '2022-01-01' + (i %% 48) * interval '1 month',
                   timestamptz '2022-01-01' + (i %% 48 + 1 + i %% 3) * interval '1 month' - interval '1 second',
                   0, 0, '{}', '{}', now()
            FROM generate_series(1, %s) AS i
            JOIN activities_organization o ON o.id = 1 + (i %% 200)
            """,
            (SNAPSHOTS,),
        )
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "reaggregate", "--all"], cwd=ROOT, env=ctx.env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    seconds = time.perf_counter() - started
    out = subprocess.run([sys.executable, "-c", COUNT_QUERIES], cwd=ROOT, env=ctx.env, check=True, capture_output=True)
    counted = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return [
        {
            "figure": "6 reaggregate",
            "case": f"{SNAPSHOTS:,} snapshots, --all",
            "measure": "seconds",
            "value": seconds,
            "target": "seconds, batched",
            "met": seconds < 60,
        },  # fmt: skip
        {
            "figure": "6 reaggregate",
            "case": f"{SNAPSHOTS:,} snapshots, --all",
            "measure": "queries issued",
            "value": counted["queries"],
            "floor": SNAPSHOTS,
            "ratio": counted["queries"] / SNAPSHOTS,
            "note": f"{counted['grouped']} grouped count queries; floor = one per snapshot",
        },  # fmt: skip
    ]
