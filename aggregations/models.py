"""Aggregation snapshots and the periods an organisation has submitted to Bufdir."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from activities.models import Organization
from lib.api.ids import AGG_SNAPSHOT_ID, SUBMITTED_PERIOD_ID
from lib.timeranges import DateTimeRange


class AggregationSnapshot(models.Model):
    """The count of an organisation's activities in a range, as computed at ``snapshot_at``."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="aggregation_snapshots")
    range_start = models.DateTimeField()
    range_end = models.DateTimeField(help_text="Inclusive to the whole second.")
    activity_count = models.PositiveBigIntegerField(default=0)
    participant_total = models.PositiveBigIntegerField(default=0)
    by_activity_type = models.JSONField(default=dict, blank=True)
    by_status = models.JSONField(default=dict, blank=True)
    snapshot_at = models.DateTimeField()

    class Meta:
        ordering = ["-snapshot_at", "-id"]
        indexes = [models.Index(fields=["-snapshot_at", "-id"], name="aggsnap_newest_first")]
        permissions = [("reaggregate_aggregationsnapshot", "Can re-aggregate aggregation snapshots")]
        constraints = [
            models.CheckConstraint(condition=Q(range_start__lte=F("range_end")), name="aggsnap_range_ordered"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def public_id(self) -> str:
        return AGG_SNAPSHOT_ID.format(self.pk)

    @property
    def time_range(self) -> DateTimeRange:
        return DateTimeRange(self.range_start, self.range_end)


class SubmittedPeriod(models.Model):
    """A reporting period (inclusive local dates) submitted to Bufdir, its count frozen."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="submitted_periods")
    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive, in the reporting time zone.")
    submitted_at = models.DateTimeField()
    submitted_by = models.CharField(max_length=150)
    activity_count = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["-period_end", "-submitted_at", "-id"]
        indexes = [models.Index(fields=["org", "-period_end", "-submitted_at"], name="subperiod_latest")]
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")), name="subperiod_range_ordered"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def public_id(self) -> str:
        return SUBMITTED_PERIOD_ID.format(self.pk)
