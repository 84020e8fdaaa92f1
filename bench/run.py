"""`make bench`: every figure next to its floor, measured in the same run.

    .venv/bin/python bench/run.py [--rows 1000000] [--figures 1,2,3,4,5,6,7,8,9,10] [--duration 5]
    .venv/bin/python bench/run.py --skip-load --figures 4 [--stream-servers daphne-1,uvicorn-1]
    .venv/bin/python bench/run.py --figures 4 --stream-clients 1000,10000 [--stream-setups floor,pushpin,direct]

Creates a fresh PostgreSQL database (default bufdir_bench on 127.0.0.1), loads it with
COPY, runs the figures and prints a table; the figures are also written as JSON to
bench/results/. Loopback only; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import datagen
from bench.figures import FIGURES, Context
from bench.harness import ROOT, server_env


def fresh_database(admin_dsn: str, name: str) -> None:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def print_table(rows: list[dict[str, Any]]) -> None:
    columns = ["figure", "case", "measure", "value", "floor", "ratio", "target", "met"]
    widths = {c: max(len(c), *(len(_fmt(r.get(c))) for r in rows)) for c in columns}
    print()
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        print("  ".join(_fmt(r.get(c)).ljust(widths[c]) for c in columns))


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--figures", default="1,2,3,4,5,6,7,8,9,10")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument(
        "--admin-dsn", default=os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--db", default="bufdir_bench")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--skip-load", action="store_true", help="reuse the data already in --db")
    parser.add_argument(
        "--stream-servers",
        default="daphne-1",
        help="figure 4's servers, comma-separated: daphne-1 (the design), uvicorn-1 (a measured alternative)",
    )
    parser.add_argument(
        "--stream-clients", default="1000,4000", help="figure 4's numbers of streams, comma-separated (N)"
    )
    parser.add_argument(
        "--stream-setups",
        default="floor,pushpin,direct",
        help="figure 4's set-ups side by side: floor (Pushpin + trivial GRIP origin), pushpin (ours through "
        "Pushpin: gunicorn + grip_publisher), direct (ours under the first --stream-servers layout)",
    )
    parser.add_argument("--no-stream-burst", action="store_true", help="skip figure 4's import burst")
    parser.add_argument("--history-rows", type=int, default=1_000_000, help="figure 10's import size")
    args = parser.parse_args()

    dsn = args.admin_dsn.rsplit("/", 1)[0] + "/" + args.db
    started = time.monotonic()
    results: list[dict[str, Any]] = []
    env = server_env(dsn)
    if not args.skip_load:
        print(f"fresh database {args.db}")
        fresh_database(args.admin_dsn, args.db)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    report = datagen.load(dsn, args.rows) if not args.skip_load else None
    if report:
        results.append(
            {
                "figure": "0 load",
                "case": f"{report.rows:,} rows, {report.orgs} orgs",
                "measure": "COPY into table (s)",
                "value": report.load_seconds,
                "floor": report.bare_copy_seconds,
                "ratio": report.load_seconds / report.bare_copy_seconds,
            }
        )
        print(
            f"loaded in {report.load_seconds:.1f}s (bare COPY {report.bare_copy_seconds:.1f}s), "
            f"vacuum {report.vacuum_seconds:.1f}s"
        )
    ctx = Context(
        dsn=dsn,
        env=env,
        redis_url=args.redis_url,
        duration=args.duration,
        rows=args.rows,
        stream_servers=tuple(s.strip() for s in args.stream_servers.split(",") if s.strip()),
        stream_clients=tuple(int(n) for n in args.stream_clients.split(",") if n.strip()),
        stream_setups=tuple(s.strip() for s in args.stream_setups.split(",") if s.strip()),
        stream_burst=not args.no_stream_burst,
        history_rows=args.history_rows,
    )
    for number in [int(n) for n in args.figures.split(",") if n.strip()]:
        print(f"figure {number} …", flush=True)
        try:
            results.extend(FIGURES[number](ctx))
        except Exception as exc:  # a figure that cannot run is reported, not hidden
            results.append(
                {"figure": str(number), "case": "failed", "measure": type(exc).__name__, "value": str(exc)[:120]}
            )
            print(f"figure {number} failed: {exc}", file=sys.stderr)
    print_table(results)
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {"rows": args.rows, "seconds": time.monotonic() - started, "cpus": os.cpu_count(), "results": results}
    (out_dir / f"bench-{stamp}.json").write_text(json.dumps(payload, indent=2, default=str))
    print(f"\nwritten bench/results/bench-{stamp}.json in {payload['seconds']:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
