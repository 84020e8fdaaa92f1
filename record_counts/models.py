"""Live count snapshots: kept exact as activities change (see record_counts.services)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q

from activities.models import Organization
from lib.api.ids import COUNT_SNAPSHOT_ID
from lib.timeranges import ONE_SECOND, DateTimeRange


class CountSnapshotQuerySet(models.QuerySet["CountSnapshot"]):
    def complete(self, *, now: dt.datetime, value: bool = True) -> CountSnapshotQuerySet:
        """Ranges that have closed (``range_end + 1s <= now``), or the open ones."""
        closed = Q(range_end__lte=now - ONE_SECOND)
        return self.filter(closed if value else ~closed)


class CountSnapshot(models.Model):
    """The live count of an organisation's activities in one range."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="count_snapshots")
    range_start = models.DateTimeField()
    range_end = models.DateTimeField(help_text="Inclusive to the whole second.")
    record_count = models.BigIntegerField(default=0)
    snapshot_at = models.DateTimeField()
    # Bumped in the same UPDATE as every change of record_count: events carry it, so a
    # stream can drop an event that was read before a newer one it already forwarded.
    version = models.BigIntegerField(default=0, editable=False)

    objects = CountSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-snapshot_at", "-id"]
        permissions = [("refresh_countsnapshot", "Can refresh count snapshots")]
        constraints = [
            models.UniqueConstraint(fields=["org", "range_start", "range_end"], name="countsnap_unique_range"),
            models.CheckConstraint(condition=Q(range_start__lte=F("range_end")), name="countsnap_range_ordered"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def public_id(self) -> str:
        return COUNT_SNAPSHOT_ID.format(self.pk)

    @property
    def time_range(self) -> DateTimeRange:
        return DateTimeRange(self.range_start, self.range_end)

    def is_complete(self, *, now: dt.datetime) -> bool:
        return self.time_range.is_complete(now=now)
