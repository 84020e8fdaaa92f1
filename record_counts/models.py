"""Count snapshots: a remembered range whose count is read live (record_counts.selectors)."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from activities.models import Organization
from lib.api.ids import COUNT_SNAPSHOT_ID
from lib.timeranges import DateTimeRange, RangeError, closed_q


class CountSnapshotQuerySet(models.QuerySet["CountSnapshot"]):
    def complete(self, *, now: dt.datetime, value: bool = True) -> CountSnapshotQuerySet:
        """Ranges that have closed (``range_end + 1s <= now``), or the open ones."""
        return self.filter(closed_q("range_end", now=now, closed=value))


class CountSnapshot(models.Model):
    """A range of one organisation whose count is exact whenever it is read.

    ``record_count`` and ``snapshot_at`` store the figure of the last POST or PUT (an
    exact recount); every read replaces them with a live count from the counting core
    and the instant it was taken (``record_counts.selectors.with_live_counts``).
    """

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="count_snapshots", verbose_name=_("organisation")
    )
    range_start = models.DateTimeField(_("range start"))
    range_end = models.DateTimeField(_("range end"), help_text=_("Inclusive to the whole second."))
    record_count = models.BigIntegerField(_("record count"), default=0)
    snapshot_at = models.DateTimeField(_("counted at"))

    objects = CountSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["-snapshot_at", "-id"]
        verbose_name = _("count snapshot")
        verbose_name_plural = _("count snapshots")
        permissions = [("refresh_countsnapshot", "Can refresh count snapshots")]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "range_start", "range_end"],
                name="countsnap_unique_range",
                violation_error_message=_("This organisation already has a count snapshot of this range."),
            ),
            models.CheckConstraint(
                condition=Q(range_start__lte=F("range_end")),
                name="countsnap_range_ordered",
                violation_error_message=_("The range must not end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def public_id(self) -> str:
        return COUNT_SNAPSHOT_ID.format(self.pk)

    @property
    def time_range(self) -> DateTimeRange:
        return DateTimeRange(self.range_start, self.range_end)

    @property
    def has_countable_range(self) -> bool:
        """False only for a range stored before the supported window was enforced whose
        end is the last second a datetime can hold (its end + 1 s does not exist)."""
        try:
            self.time_range  # noqa: B018
        except RangeError:
            return False
        return True

    def is_complete(self, *, now: dt.datetime) -> bool:
        # A range without an end + 1 s ends after any now.
        return self.has_countable_range and self.time_range.is_complete(now=now)
