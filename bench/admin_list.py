"""Admin list pages over 1,000,000 activities on PostgreSQL: page time and queries.

    .venv/bin/python bench/admin_list.py [--rows 1000000] [--db bufdir_admin_bench] [--skip-load]

Creates a fresh database (default bufdir_admin_bench on 127.0.0.1), fills it with one
``INSERT ... SELECT generate_series`` (200 organisations, the first holding 10%; five
years; types, statuses and locations as in the contracts), ANALYZEs, then renders each
admin list in-process with Django's test client: the median of several requests, the
number of queries, and the slowest query. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILL = """
INSERT INTO activities_activity
    (activity_id, org_id, activity_type, recorded_at, participant_count, location, status)
SELECT 'act-' || lpad(n::text, 8, '0'),
       -- the first organisation gets a tenth, the others share the rest evenly
       CASE WHEN mod(n, 10) = 0 THEN o.first ELSE o.first + 1 + mod(n, 199) END,
       (ARRAY['family_guidance','individual_counseling','peer_support','group_session','parent_course'])[1 + mod(n, 5)],
       timestamptz '2021-11-01 00:00:00+00' + (n::float8 / %(rows)s) * interval '1826 days',
       mod(n, 12),
       (ARRAY['Oslo','Bergen','Trondheim','Stavanger','Tromsø','Kristiansand','Bodø','Drammen'])[1 + mod(n, 8)],
       (ARRAY['completed','completed','completed','completed','completed','completed','completed',
              'completed','planned','cancelled'])[1 + mod(n / 7, 10)]
FROM generate_series(1, %(rows)s) AS n,
     (SELECT min(id) AS first FROM activities_organization) AS o
"""


def load(dsn: str, admin_dsn: str, db: str, rows: int) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO activities_organization (org_id, name) "
            "SELECT 'org-bench-' || i, 'Bench organisation ' || i FROM generate_series(1, 200) AS i"
        )
        conn.execute(FILL, {"rows": rows})
        conn.execute("VACUUM ANALYZE activities_activity")
    print(f"loaded {rows:,} activities in {time.monotonic() - started:.1f} s")


VERBOSE = False


def measure(client, url: str, repeat: int) -> tuple[float, int, str, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm caches and the plan
    times, queries = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries = ctx.captured_queries
    slowest = max(queries, key=lambda q: float(q["time"]))
    full_count = sum(
        1
        for q in queries
        if q["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "activities_activity"') and "WHERE" not in q["sql"]
    )
    if VERBOSE:
        for q in queries:
            print(f"    {float(q['time']) * 1000:7.1f} ms  {q['sql'][:200]}")
    return (
        statistics.median(times),
        len(queries),
        f"{float(slowest['time']) * 1000:.0f} ms: {slowest['sql'][:110]}",
        full_count,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--admin-dsn", default=os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--db", default="bufdir_admin_bench")
    parser.add_argument("--skip-load", action="store_true", help="reuse the data already in --db")
    parser.add_argument("--verbose", action="store_true", help="print every query of each page with its time")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    dsn = args.admin_dsn.rsplit("/", 1)[0] + "/" + args.db
    os.environ.update(
        DATABASE_URL=dsn,
        DJANGO_SETTINGS_MODULE="bufdir_project.settings",
        SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-secret-key-not-for-production"),
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="localhost",
    )
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    if not args.skip_load:
        load(dsn, args.admin_dsn, args.db, args.rows)

    from django.contrib.auth import get_user_model
    from django.test import Client

    from activities.coordinators import coordinator_create
    from activities.models import Activity, Organization

    user_model = get_user_model()
    root = user_model.objects.filter(username="bench-root").first() or user_model.objects.create_superuser(
        "bench-root", "", "unused-password"
    )
    largest = Organization.objects.order_by("id").first()
    assert largest is not None
    coordinator, _ = coordinator_create(username="bench-coordinator", org_ids=[largest.org_id])
    total = Activity.objects.count()
    largest_rows = Activity.objects.filter(org=largest).count()
    print(f"{total:,} activities; largest organisation {largest.org_id}: {largest_rows:,}")

    cases = [
        ("superuser", "activities, no filter", "/admin/activities/activity/"),
        ("superuser", "activities, page 500", "/admin/activities/activity/?p=500"),
        ("superuser", "activities, largest org", f"/admin/activities/activity/?org__id__exact={largest.pk}"),
        ("superuser", "activities, status=planned", "/admin/activities/activity/?status__exact=planned"),
        (
            "superuser",
            "activities, type + location",
            "/admin/activities/activity/?activity_type=peer_support&location=Oslo",
        ),
        ("superuser", "activities, year 2025", "/admin/activities/activity/?recorded_at__year=2025"),
        ("superuser", "activities, search id", "/admin/activities/activity/?q=act-00012345"),
        ("coordinator", "activities, own org (10%)", "/admin/activities/activity/"),
        ("superuser", "count snapshots", "/admin/record_counts/countsnapshot/"),
        ("superuser", "aggregation snapshots", "/admin/aggregations/aggregationsnapshot/"),
        ("superuser", "submitted periods", "/admin/aggregations/submittedperiod/"),
    ]
    clients = {}
    for name, user in (("superuser", root), ("coordinator", coordinator)):
        clients[name] = Client(SERVER_NAME="localhost")
        clients[name].force_login(user)
    print()
    print(f"{'user':<12} {'page':<30} {'median ms':>9} {'queries':>7} {'full count(*)':>13}  slowest query")
    for who, label, url in cases:
        ms, n, slowest, full_count = measure(clients[who], url, args.repeat)
        print(f"{who:<12} {label:<30} {ms:9.1f} {n:7d} {full_count:13d}  {slowest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
