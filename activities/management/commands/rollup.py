"""`manage.py rollup`: look after the activity rollup (docs/design.md, "The rollup").

    manage.py rollup --compact [--org ORG]   fold rows into one per local day and key
    manage.py rollup --check [--org ORG]     compare with the activities; exit 1 on a difference
    manage.py rollup --rebuild --org ORG     recompute one organisation's rows from its activities

``reaggregate`` (cron) and every import already compact; the others are for diagnosis
and repair. Safe beside running writers.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from activities import rollup
from activities.models import ActivityRollup, Organization
from lib.db import long_running_command


class Command(BaseCommand):
    help = "Compact, check or rebuild the activity rollup that long-range counts read."

    def add_arguments(self, parser: CommandParser) -> None:
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--compact", action="store_true", help="Fold rows into one per local day and key.")
        action.add_argument("--check", action="store_true", help="Compare with the activities; exit 1 if they differ.")
        action.add_argument("--rebuild", action="store_true", help="Recompute from the activities (needs --org).")
        parser.add_argument("--org", action="append", default=[], help="org_id; repeatable. Default: all.")

    @long_running_command  # lifts the web statement/lock timeouts (DB_COMMAND_STATEMENT_TIMEOUT)
    def handle(self, *args: Any, **options: Any) -> None:
        orgs = list(Organization.objects.filter(org_id__in=options["org"]).values_list("pk", "org_id"))
        unknown = sorted(set(options["org"]) - {org_id for _, org_id in orgs})
        if unknown:
            raise CommandError(f"Unknown organisation: {', '.join(unknown)}.")
        if options["rebuild"] and not orgs:
            raise CommandError("--rebuild needs --org: say which organisation's rollup to recompute.")
        if not orgs:
            orgs = list(Organization.objects.values_list("pk", "org_id"))
        started = time.monotonic()
        if options["compact"]:
            before = ActivityRollup.objects.count()
            removed = rollup.compact(orgs=[pk for pk, _ in orgs])
            self.stdout.write(
                f"Rollup: {removed:,} of {before:,} rows folded into whole local days "
                f"in {time.monotonic() - started:.1f} s."
            )
        elif options["rebuild"]:
            for pk, org_id in orgs:
                written = rollup.rebuild(org=pk)
                self.stdout.write(f"{org_id}: rollup rebuilt, {written:,} rows.")
        else:
            differing = 0
            for pk, org_id in orgs:
                problems = rollup.check(org=pk)
                differing += bool(problems)
                for (day, activity_type, status, location), rolled, counted in problems[:20]:
                    self.stdout.write(
                        f"{org_id} {day:%Y-%m-%d %H:%M}Z {activity_type}/{status}/{location or '-'}: "
                        f"rollup {rolled[0]} ({rolled[1]} participants), activities {counted[0]} ({counted[1]})"
                    )
            if differing:
                raise CommandError(
                    f"The rollup differs from the activities for {differing} organisation(s); "
                    "run `manage.py rollup --rebuild --org ORG` for each."
                )
            self.stdout.write(f"Rollup: matches the activities of {len(orgs):,} organisation(s).")
