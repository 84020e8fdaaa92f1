"""Aggregation snapshots and the periods an organisation has submitted to Bufdir."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from activities.models import Organization
from lib.api.ids import AGG_SNAPSHOT_ID, SUBMITTED_PERIOD_ID
from lib.timeranges import DateTimeRange
from schemes.models import SchemeVersion

# What a coordinator reads when a period's dates are the wrong way round (the admin form
# says it on the field; the constraint says it to any other model form).
PERIOD_ORDER_MESSAGE = _("The period must not end before it starts.")


class AggregationSnapshot(models.Model):
    """The count of an organisation's activities in a range, as computed at ``snapshot_at``."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="aggregation_snapshots", verbose_name=_("organisation")
    )
    range_start = models.DateTimeField(_("range start"))
    range_end = models.DateTimeField(_("range end"), help_text=_("Inclusive to the whole second."))
    activity_count = models.PositiveBigIntegerField(_("activity count"), default=0)
    participant_total = models.PositiveBigIntegerField(_("participants in total"), default=0)
    by_activity_type = models.JSONField(_("by activity type"), default=dict, blank=True)
    by_status = models.JSONField(_("by status"), default=dict, blank=True)
    snapshot_at = models.DateTimeField(_("counted at"))

    class Meta:
        ordering = ["-snapshot_at", "-id"]
        verbose_name = _("aggregation snapshot")
        verbose_name_plural = _("aggregation snapshots")
        indexes = [models.Index(fields=["-snapshot_at", "-id"], name="aggsnap_newest_first")]
        permissions = [("reaggregate_aggregationsnapshot", "Can re-aggregate aggregation snapshots")]
        constraints = [
            models.CheckConstraint(
                condition=Q(range_start__lte=F("range_end")),
                name="aggsnap_range_ordered",
                violation_error_message=_("The range must not end before it starts."),
            ),
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

    org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="submitted_periods", verbose_name=_("organisation")
    )
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"), help_text=_("Inclusive, in the reporting time zone."))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.CharField(_("submitted by"), max_length=150)
    activity_count = models.PositiveBigIntegerField(_("activity count"), help_text=_("Frozen at submission."))
    # The rule version the period was submitted under (its scheme's current one then), or
    # none for a plain submission of the contract count.
    scheme_version = models.ForeignKey(
        SchemeVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submitted_periods",
        verbose_name=_("rule version"),
    )
    # PostgreSQL: the snapshot (pg_current_snapshot) taken just before the submission read
    # the activities, and the submitting transaction's own id if it had one then; the
    # history events that snapshot cannot see are the changes since submission.
    read_snapshot = models.TextField(blank=True, default="", editable=False)
    read_xid = models.CharField(max_length=20, blank=True, default="", editable=False)

    class Meta:
        ordering = ["-period_end", "-submitted_at", "-id"]
        verbose_name = _("submitted period")
        verbose_name_plural = _("submitted periods")
        indexes = [models.Index(fields=["org", "-period_end", "-submitted_at"], name="subperiod_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")),
                name="subperiod_range_ordered",
                violation_error_message=PERIOD_ORDER_MESSAGE,
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def public_id(self) -> str:
        return SUBMITTED_PERIOD_ID.format(self.pk)


class SubmissionEvidence(models.Model):
    """What a scheme submission counted, frozen with it: the totals, and the evidence
    files (every counted activity with its id and counted fields) as the bytes handed
    out, each with its SHA-256. Written once, in the submission's transaction
    (``aggregations.evidence``); later rule versions or activity changes never touch it."""

    period = models.OneToOneField(
        SubmittedPeriod,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="evidence",
        verbose_name=_("submitted period"),
    )
    # The exact instant the rows were read: the changes after it are the drift.
    counted_at = models.DateTimeField(_("counted at"))
    activity_count = models.PositiveBigIntegerField(_("activities counted"))
    participant_total = models.PositiveBigIntegerField(_("participants in total"))
    by_activity_type = models.JSONField(_("counted by activity type"), default=dict)
    csv = models.BinaryField(_("evidence (CSV)"))
    csv_sha256 = models.CharField(_("SHA-256 of the CSV"), max_length=64)
    xlsx = models.BinaryField(_("evidence (XLSX)"))
    xlsx_sha256 = models.CharField(_("SHA-256 of the XLSX"), max_length=64)

    class Meta:
        verbose_name = _("submission evidence")
        verbose_name_plural = _("submission evidence")

    def __str__(self) -> str:
        return f"{self.period_id}"
