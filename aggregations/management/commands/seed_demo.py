"""Demo data for `make run`: a few organisations, a few thousand activities, a submitted period.

Idempotent: running it again adds nothing. Activities go through the same service as
the API, so live count snapshots stay exact.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from activities import services
from activities.counting import count_activities
from activities.models import Activity, Organization
from aggregations.models import SubmittedPeriod
from lib.timeranges import local_dates_range, now_to_second

ORGANISATIONS = [
    ("org-bufdir-42", "Familievernet Oslo", 1800),
    ("org-bufdir-7", "Foreningen for barn og unge i Bergen", 1200),
    ("org-bufdir-113", "Likepersonsnettverket Nord", 500),
]
TYPES = ["family_guidance", "individual_counseling", "peer_support", "group_session", "parent_course"]
LOCATIONS = ["Oslo", "Bergen", "Trondheim", "Tromsø", "Kristiansand", "Bodø"]
STATUSES = ["completed"] * 8 + ["planned", "cancelled"]
BATCH = 1000


class Command(BaseCommand):
    help = "Load demo organisations and activities (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        for org_id, name, how_many in ORGANISATIONS:
            org, _ = Organization.objects.get_or_create(org_id=org_id, defaults={"name": name})
            prefix = f"act-demo-{org_id.removeprefix('org-bufdir-')}-"
            if Activity.objects.filter(org=org, activity_id__startswith=prefix).exists():
                self.stdout.write(f"{org_id}: demo activities already present")
            else:
                self._load(org, prefix, how_many, now)
            self._submit_last_year(org)

    def _load(self, org: Organization, prefix: str, how_many: int, now: dt.datetime) -> None:
        rng = random.Random(org.org_id)  # noqa: S311 (demo data, deterministic per organisation)
        span = dt.timedelta(days=730).total_seconds()
        items = []
        for n in range(how_many):
            recorded_at = now - dt.timedelta(seconds=rng.uniform(0, span))
            items.append(
                services.ActivityData(
                    activity_id=f"{prefix}{n:05d}",
                    org=org,
                    activity_type=rng.choice(TYPES),
                    recorded_at=recorded_at.replace(microsecond=0),
                    participant_count=rng.randint(1, 12),
                    location=rng.choice(LOCATIONS),
                    status=rng.choice(STATUSES),
                )
            )
        with transaction.atomic():
            for i in range(0, len(items), BATCH):
                services.activities_create(items=items[i : i + BATCH])
        self.stdout.write(f"{org.org_id}: created {len(items)} activities")

    def _submit_last_year(self, org: Organization) -> None:
        year = timezone.localdate().year - 1
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if SubmittedPeriod.objects.filter(org=org, period_start=start, period_end=end).exists():
            return
        time_range = local_dates_range(start, end)
        SubmittedPeriod.objects.create(
            org=org,
            period_start=start,
            period_end=end,
            submitted_at=now_to_second(),
            submitted_by="demo-coordinator",
            activity_count=count_activities(org=org, time_range=time_range),
        )
        self.stdout.write(f"{org.org_id}: submitted period {start}..{end}")
