"""`manage.py reaggregate`: re-count snapshots (run by cron).

    */15 * * * *  cd /srv/bufdir && .venv/bin/python manage.py reaggregate --open-only --counts

Uses the same service functions as the API and the admin; batches the work; prints a
summary; exits non-zero if any snapshot failed; a second run started while one is
working skips (it never double-writes).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet
from django.utils import timezone

from activities import rollup
from activities.models import Organization
from activities.services import activity_changes_compact
from aggregations.models import AggregationSnapshot
from aggregations.services import ReaggregateResult, snapshots_reaggregate
from lib.db import long_running_command
from lib.locks import single_run
from lib.timeranges import closed_q
from record_counts.models import CountSnapshot
from record_counts.services import count_snapshots_refresh

DURATION_RE = re.compile(r"^(\d+)([smhd])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> dt.timedelta:
    match = DURATION_RE.match(text.strip())
    if not match:
        raise CommandError(f"--older-than takes a duration like 30m, 6h or 2d, not {text!r}.")
    return dt.timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = "Re-count aggregation snapshots (and, with --counts, count snapshots)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", action="append", default=[], help="org_id; repeatable.")
        parser.add_argument("--open-only", action="store_true", help="Only ranges that have not closed yet.")
        parser.add_argument("--older-than", help="Only snapshots taken longer ago than this (30m, 6h, 2d).")
        parser.add_argument("--all", action="store_true", help="Every snapshot.")
        parser.add_argument("--counts", action="store_true", help="Also refresh count snapshots.")
        parser.add_argument("--dry-run", action="store_true", help="Count and report; write nothing.")

    @long_running_command  # lifts the web statement/lock timeouts (DB_COMMAND_STATEMENT_TIMEOUT)
    def handle(self, *args: Any, **options: Any) -> None:
        if not (options["all"] or options["org"] or options["open_only"] or options["older_than"]):
            raise CommandError("Say what to re-count: --all, --org ORG, --open-only or --older-than DURATION.")
        older_than = parse_duration(options["older_than"]) if options["older_than"] else None
        known = Organization.objects.filter(org_id__in=options["org"]).values_list("org_id", flat=True)
        unknown = set(options["org"]) - set(known)
        if unknown:
            raise CommandError(f"Unknown organisation(s): {', '.join(sorted(unknown))}.")

        with single_run("reaggregate") as got_lock:
            if not got_lock:
                self.stdout.write("Another reaggregate run is working; skipping this one.")
                return
            now = timezone.now()
            snapshots = self._select(AggregationSnapshot.objects.select_related("org"), options, older_than, now)
            total = snapshots.count()
            verb = "Would re-count" if options["dry_run"] else "Re-counting"
            self.stdout.write(f"{verb} {total:,} aggregation snapshots")
            result = snapshots_reaggregate(
                snapshots=snapshots.order_by("org_id", "pk").iterator(chunk_size=2000),
                dry_run=options["dry_run"],
                progress=self._progress(total),
            )
            if self.stdout.isatty():
                self.stdout.write("")
            self.stdout.write(
                f"Aggregation snapshots: {result.checked:,} checked, {result.changed:,} changed, "
                f"{result.failed:,} failed"
            )
            failed = result.failed
            for error in result.errors[:20]:
                self.stderr.write(f"  failed: {error}")
            if options["counts"]:
                counts = self._select(CountSnapshot.objects.all(), options, older_than, now)
                checked, changed, count_failed = count_snapshots_refresh(
                    snapshots=counts.order_by("org_id", "pk").iterator(chunk_size=2000), dry_run=options["dry_run"]
                )
                self.stdout.write(f"Count snapshots: {checked:,} checked, {changed:,} changed, {count_failed:,} failed")
                failed += count_failed
            if options["dry_run"]:
                self.stdout.write("Dry run: nothing was written.")
            else:
                compacted = activity_changes_compact()
                self.stdout.write(f"Change markers: {compacted:,} old ones removed")
                folded = rollup.compact()
                self.stdout.write(f"Rollup: {folded:,} rows folded into whole local days")
        if failed:
            raise CommandError(f"{failed:,} snapshots failed to re-count.")

    def _select(
        self, qs: QuerySet[Any], options: dict[str, Any], older_than: dt.timedelta | None, now: dt.datetime
    ) -> QuerySet[Any]:
        if options["org"]:
            qs = qs.filter(org__org_id__in=options["org"])
        if options["open_only"]:
            qs = qs.filter(closed_q("range_end", now=now, closed=False))
        if older_than is not None:
            qs = qs.filter(snapshot_at__lt=now - older_than)
        return qs

    def _progress(self, total: int) -> Any:
        tty = self.stdout.isatty()

        def show(result: ReaggregateResult) -> None:
            done = result.checked + result.failed
            if tty:
                width = 30
                filled = int(width * done / total) if total else width
                self.stdout.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,}", ending="")
                sys.stdout.flush()
            else:
                self.stdout.write(f"  {done:,}/{total:,} checked, {result.changed:,} changed")

        return show
