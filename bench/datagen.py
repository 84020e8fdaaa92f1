"""Load N realistic activities into PostgreSQL with COPY (for the benchmarks).

200 organisations with a skewed (Zipf-like) size distribution where the largest holds
10% of the rows; five years of timestamps; the contracts' types, statuses and
locations. Loads into the real table, then times a bare COPY of the same rows into an
index-free temporary table for comparison, then VACUUM ANALYZE (index-only scans need
the visibility map).
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

ORGS = 200
LARGEST_SHARE = 0.10
YEARS = 5
TYPES = ["family_guidance", "individual_counseling", "peer_support", "group_session", "parent_course"]
STATUSES = ["completed"] * 8 + ["planned", "cancelled"]
LOCATIONS = ["Oslo", "Bergen", "Trondheim", "Stavanger", "Tromsø", "Kristiansand", "Bodø", "Drammen"]
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
START = END - dt.timedelta(days=365 * YEARS)
COLUMNS = "activity_id, org_id, activity_type, recorded_at, participant_count, location, status"


def zipf_weights(n: int, largest_share: float) -> list[float]:
    """Weights 1/i^s, with s chosen so that the first holds ``largest_share``."""
    lo, hi = 0.0, 5.0
    for _ in range(60):
        s = (lo + hi) / 2
        weights = [1 / (i**s) for i in range(1, n + 1)]
        share = weights[0] / sum(weights)
        if share < largest_share:
            lo = s
        else:
            hi = s
    total = sum(weights)
    return [w / total for w in weights]


@dataclass
class LoadReport:
    rows: int
    orgs: int
    load_seconds: float
    bare_copy_seconds: float
    vacuum_seconds: float
    largest_org_rows: int
    mid_org_rows: int
    largest_org_pk: int
    mid_org_pk: int


def _rows(n: int, org_pks: list[int], weights: list[float], seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    span = (END - START).total_seconds()
    orgs = rng.choices(org_pks, weights=weights, k=n)
    for i, org_pk in enumerate(orgs):
        at = START + dt.timedelta(seconds=rng.random() * span)
        yield (
            f"bench-{i}\t{org_pk}\t{rng.choice(TYPES)}\t{at.isoformat()}\t{rng.randint(0, 12)}\t"
            f"{rng.choice(LOCATIONS)}\t{rng.choice(STATUSES)}\n"
        )


def _copy(cur: psycopg.Cursor, table: str, n: int, org_pks: list[int], weights: list[float]) -> float:
    started = time.perf_counter()
    with cur.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for k, line in enumerate(_rows(n, org_pks, weights, seed=42), start=1):
            buffer.write(line)
            if k % 50_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    return time.perf_counter() - started


def load(dsn: str, rows: int, log: callable = print) -> LoadReport:  # type: ignore[valid-type]
    """Replace all activities and organisations in the database at ``dsn`` with generated ones."""
    weights = zipf_weights(ORGS, LARGEST_SHARE)
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(
            "TRUNCATE activities_activity, activities_organization, aggregations_aggregationsnapshot, "
            "aggregations_submittedperiod, record_counts_countsnapshot RESTART IDENTITY CASCADE"
        )
        cur.execute(
            "INSERT INTO activities_organization (org_id, name) "
            "SELECT 'org-bench-' || i, 'Bench organisation ' || i FROM generate_series(1, %s) AS i",
            (ORGS,),
        )
        cur.execute("SELECT id FROM activities_organization ORDER BY id")
        org_pks = [row[0] for row in cur.fetchall()]

        log(f"loading {rows:,} activities with COPY …")
        conn.autocommit = False
        load_seconds = _copy(cur, "activities_activity", rows, org_pks, weights)
        conn.commit()

        cur.execute("CREATE TEMP TABLE bare_copy (LIKE activities_activity INCLUDING DEFAULTS INCLUDING IDENTITY)")
        bare_seconds = _copy(cur, "bare_copy", rows, org_pks, weights)
        conn.rollback()
        conn.autocommit = True

        log("VACUUM ANALYZE …")
        started = time.perf_counter()
        cur.execute("VACUUM (ANALYZE) activities_activity")
        vacuum_seconds = time.perf_counter() - started

        cur.execute("SELECT org_id, count(*) FROM activities_activity GROUP BY org_id ORDER BY count(*) DESC")
        sizes = cur.fetchall()
    largest, mid = sizes[0], sizes[len(sizes) // 2]
    return LoadReport(
        rows=rows,
        orgs=ORGS,
        load_seconds=load_seconds,
        bare_copy_seconds=bare_seconds,
        vacuum_seconds=vacuum_seconds,
        largest_org_rows=largest[1],
        mid_org_rows=mid[1],
        largest_org_pk=largest[0],
        mid_org_pk=mid[0],
    )
