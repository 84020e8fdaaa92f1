"""What writing the history costs an import: the same CSV imported with and without it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bufdir_bench_history DEBUG=1 \\
        .venv/bin/python bench/history_import.py --rows 200000

Creates the database's tables (migrate), one organisation, and a CSV of N new
activities; then, alternately and ``--repeat`` times each, imports it in this process
(``import_activities``, as the command and the job do: one transaction, COPY batches)
with the history on and with ``EventBatch`` replaced by one that records nothing, and
re-imports it with every row changed (the ``bulk_update`` path). Between runs the tables
are emptied. Prints the median seconds of each (``--json FILE`` writes them too).

Figure 10 of ``make bench`` (``bench/figures.figure_10_history``) runs it in a process of
its own, against a database of its own, at the bench's size: the history-less
``EventBatch`` (the floor: the import as it was before the history) exists only in that
process, never in a server the other figures measure.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bufdir_project.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from activities import services  # noqa: E402
from activities.history import EventBatch, acting_as  # noqa: E402
from activities.importing import import_activities  # noqa: E402
from activities.models import Organization  # noqa: E402

TYPES = ["family_guidance", "individual_counseling", "peer_support", "group_session", "parent_course"]
START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


class NoHistory(EventBatch):
    """Records nothing: the import as it was before the history."""

    def created(self, *args: Any) -> None:
        pass

    def changed(self, *args: Any) -> None:
        pass

    def deleted(self, *args: Any) -> None:
        pass

    def write(self) -> None:
        pass


def write_csv(path: Path, rows: int, participants: int) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["activity_id", "org_id", "activity_type", "recorded_at", "participant_count", "location", "status",
             "duration_minutes", "in_person"]
        )  # fmt: skip
        for n in range(rows):
            at = START + dt.timedelta(seconds=n * 97)
            writer.writerow(
                [f"imp-{n:08d}", "org-bench", TYPES[n % 5], at.strftime("%Y-%m-%dT%H:%M:%SZ"), participants + n % 7,
                 "Oslo", "completed", 45 + n % 60, "ja" if n % 3 else "nei"]
            )  # fmt: skip


def empty() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE activities_activity, activities_activityevent, activities_activitychange, "
            "activities_activityrollup"
        )


def timed(path: Path, history: bool) -> float:
    services.EventBatch = EventBatch if history else NoHistory  # type: ignore[misc]
    started = time.perf_counter()
    with acting_as("bench history_import"):
        result = import_activities(path=path)
    seconds = time.perf_counter() - started
    assert not result.errors, result.errors[:3]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=2)
    # Django's bulk_update (a CASE per column) is slow at any size: measured apart, smaller.
    parser.add_argument("--update-rows", type=int, default=20_000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--warm-up", type=int, default=0, help="rows imported once each way first, not counted")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("needs PostgreSQL (DATABASE_URL): the COPY path is what is measured")
    call_command("migrate", verbosity=0)
    Organization.objects.get_or_create(org_id="org-bench", defaults={"name": "Bench"})
    figures: dict[tuple[str, bool], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        first, small, changed = Path(tmp) / "first.csv", Path(tmp) / "small.csv", Path(tmp) / "changed.csv"
        write_csv(first, args.rows, participants=1)
        write_csv(small, args.update_rows, participants=1)
        write_csv(changed, args.update_rows, participants=2)
        if args.warm_up:  # not counted: the first imports into fresh tables pay for the cold database
            warm = Path(tmp) / "warm.csv"
            write_csv(warm, args.warm_up, participants=1)
            for history in (True, False):
                empty()
                timed(warm, history)
        for n in range(args.repeat):
            for history in (True, False) if n % 2 == 0 else (False, True):
                empty()
                figures.setdefault(("create", history), []).append(timed(first, history))
                empty()
                timed(small, history)
                figures.setdefault(("update", history), []).append(timed(changed, history))
                print(f"history={'on' if history else 'off'}: " + ", ".join(
                    f"{kind} {figures[(kind, history)][-1]:.1f} s" for kind in ("create", "update")), flush=True)  # fmt: skip
        empty()
    out = {}
    for kind, rows in (("create", args.rows), ("update", args.update_rows)):
        on, off = statistics.median(figures[(kind, True)]), statistics.median(figures[(kind, False)])
        print(
            f"{kind}: {rows:,} rows, history on {on:.1f} s ({rows / on:,.0f} rows/s), "
            f"off {off:.1f} s ({rows / off:,.0f} rows/s): +{(on / off - 1) * 100:.0f}%"
        )
        out[kind] = {"rows": rows, "on": figures[(kind, True)], "off": figures[(kind, False)]}
    if args.json:
        args.json.write_text(json.dumps(out))


if __name__ == "__main__":
    main()
