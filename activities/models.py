"""Organisations and the activities they record."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from activities.fields import (
    DEFAULT_STATUS,
    ID_MAX_LENGTH,
    LOCATION_MAX_LENGTH,
    MAX_DURATION_MINUTES,
    ORG_NUMBER_LENGTH,
    STATUSES,
)
from lib.timeranges import DateTimeRange


class Organization(models.Model):
    """A voluntary organisation that reports its activities to Bufdir."""

    org_id = models.SlugField(
        _("organisation id"), max_length=64, unique=True, help_text=_("Public id, e.g. org-bufdir-42.")
    )
    name = models.CharField(_("name"), max_length=200)
    # Optional; validated with python-stdnum's no.orgnr where it is entered.
    org_number = models.CharField(
        _("organisation number"),
        max_length=ORG_NUMBER_LENGTH,
        blank=True,
        default="",
        db_default="",  # rows inserted by SQL (bench, data fixes) need no value either
        help_text=_("Organisasjonsnummer, nine digits."),
    )
    # Coordinators see and change only their own organisations' data in admin.
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="coordinated_organizations", verbose_name=_("coordinators")
    )

    class Meta:
        ordering = ["org_id"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return f"{self.name} ({self.org_id})"


class ActivityQuerySet(models.QuerySet["Activity"]):
    def for_org(self, org: Organization | int) -> ActivityQuerySet:
        return self.filter(org=org)

    def in_range(self, time_range: DateTimeRange) -> ActivityQuerySet:
        """Activities with ``start <= recorded_at < end + 1s`` (end inclusive to the second)."""
        return self.filter(time_range.q("recorded_at"))


def generate_activity_id() -> str:
    return f"act-{uuid.uuid4().hex}"


class Activity(models.Model):
    """One activity held by an organisation (a guidance session, a peer-support meeting…)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    # Unique through Meta.constraints, not unique=True: that would also build a
    # varchar_pattern_ops index on PostgreSQL that nothing here uses.
    activity_id = models.CharField(
        _("activity id"),
        max_length=ID_MAX_LENGTH,
        default=generate_activity_id,
        help_text=_("Public id, e.g. act-10021."),
    )
    # No separate index on org: the (org, recorded_at) index below serves it.
    org = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="activities",
        db_index=False,
        verbose_name=_("organisation"),
    )
    activity_type = models.SlugField(
        _("activity type"), max_length=ID_MAX_LENGTH, db_index=False, help_text=_("e.g. family_guidance.")
    )
    recorded_at = models.DateTimeField(_("recorded at"), help_text=_("Norwegian time (Europe/Oslo)."))
    participant_count = models.IntegerField(_("participants"), default=0)
    location = models.CharField(_("location"), max_length=LOCATION_MAX_LENGTH, blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=DEFAULT_STATUS)
    # For the grant schemes' rules; null is unknown (a rule that needs the field does not count it).
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    in_person = models.BooleanField(_("held in person"), null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["recorded_at", "activity_id"]
        indexes = [
            # Range counts with breakdowns are index-only scans on PostgreSQL
            # (SPEC.md: measured 47 ms for a 50k-row quarter of 10M rows).
            models.Index(
                fields=["org", "recorded_at"],
                include=["activity_type", "status", "participant_count"],
                name="activity_org_recorded_cover",
            ),
        ]
        constraints = [
            # The messages are what admin shows when a form breaks a rule (never the name).
            models.UniqueConstraint(
                fields=["activity_id"],
                name="activity_id_unique",
                violation_error_message=_("An activity with this activity id already exists."),
            ),
            models.CheckConstraint(
                condition=Q(participant_count__gte=0),
                name="activity_participants_gte_0",
                violation_error_message=_("The number of participants cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="activity_duration_lte_day",
                violation_error_message=_("An activity lasts at most 24 hours (1,440 minutes)."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=list(STATUSES)),
                name="activity_status_valid",
                violation_error_message=_("The status must be planned, completed or cancelled."),
            ),
        ]

    def __str__(self) -> str:
        return self.activity_id

    @property
    def public_id(self) -> str:
        return self.activity_id


class ActivityChange(models.Model):
    """Committed write transactions that changed an organisation's activities.

    Every write path adds one row (weight 1) per organisation it touched, in its own
    transaction, so the row becomes visible exactly when the activities do. The sum of
    an organisation's weights therefore grows by one with every committed write and
    never goes back: it names the committed state of its activities, and the counting
    core keys its cache by it (``activities.counting.live_counts``). (Not the newest
    id: ids are handed out at insert, not at commit, so a later commit can carry a
    smaller one.) Writers only insert, so they never wait for each other here;
    ``activity_changes_compact`` folds an organisation's rows into one row of the same
    total weight, in one transaction, so the sum is unchanged.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    weight = models.PositiveBigIntegerField(default=1)

    class Meta:
        # The marker (sum of weights) is an index-only scan on PostgreSQL.
        indexes = [models.Index(fields=["org"], include=["weight"], name="activitychange_org_weight")]

    def __str__(self) -> str:
        return f"change {self.pk} of {self.org_id}"


class ActivityRollup(models.Model):
    """The activities of an organisation summed per stretch of time, type, status and
    location: what the counting core reads for the whole days of a long range.

    Written by the database, not by Python: triggers on the activity table append one
    row per (organisation, stretch, type, status, location) that an INSERT, UPDATE or
    DELETE changed, with the change in count and participants (negative for rows that
    left), in the writer's own transaction (``activities/migrations/0010_activity_rollup``).
    So every path that changes activities, bulk ones, raw SQL and data migrations
    included, keeps it exact, and it commits or rolls back with the activities. Writers
    only insert: no two writers ever wait on the same rollup row.

    ``starts_at`` names the stretch. A trigger's row starts at a *segment* of the UTC day
    (00:00-22:00, 22:00-23:00, 23:00-24:00), which needs no time zone: every local
    midnight of UTC, UTC+1 and UTC+2 is a segment boundary, Europe/Oslo's included.
    ``activities.rollup.compact`` folds an organisation's new rows into one per local day
    (``starts_at`` = that day's local midnight) and key, with the same sums.
    """

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    starts_at = models.DateTimeField()
    activity_type = models.CharField(max_length=ID_MAX_LENGTH)
    status = models.CharField(max_length=16)
    location = models.CharField(max_length=LOCATION_MAX_LENGTH, blank=True, default="")
    activity_count = models.BigIntegerField()
    participant_total = models.BigIntegerField()
    # False for a trigger's row, True for compaction's; compaction reads only the former,
    # so its cost follows the writes since the last run, not the size of the rollup.
    folded = models.BooleanField(default=False, db_default=False)

    class Meta:
        indexes = [
            # A rollup read is an index-only scan on PostgreSQL.
            models.Index(
                fields=["org", "starts_at"],
                include=["activity_type", "status", "location", "activity_count", "participant_total"],
                name="activityrollup_org_starts",
            ),
            models.Index(fields=["org"], condition=Q(folded=False), name="activityrollup_org_unfolded"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.org_id} {self.starts_at:%Y-%m-%d %H:%M} {self.activity_type}/{self.status}: {self.activity_count}"
        )


class ActivityEvent(models.Model):
    """One create, change, move or delete of an activity: who, when, and what changed.

    Written by ``activities.services`` in the writer's own transaction (``activities.history``),
    on every path: the API, admin, the importer's COPY and ``bulk_update`` batches, commands.
    Keyed by the activity's public id, not a foreign key, so a deleted activity keeps its
    history. ``org``/``recorded_at`` are the activity's after the change (for a delete:
    the organisation it left, and no instant), ``old_org``/``old_recorded_at`` before it
    (none for a create), so "what changed in this organisation's period" finds a move out
    of the period or to another organisation too (``activities.history.activity_events``).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        CHANGE = "change", _("changed")
        MOVE = "move", _("moved to another organisation")
        DELETE = "delete", _("deleted")

    # The foreign keys have no database constraint: an import's events are written in
    # bulk with keys of rows the same transaction has just written or read, and the
    # per-row checks would be a third of the history's cost there (docs/performance.md).
    # Django still cascades (organisation) and nulls (user) on delete.
    activity_id = models.CharField(_("activity id"), max_length=ID_MAX_LENGTH)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    org = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("organisation"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    old_org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", null=True, db_index=False, db_constraint=False
    )
    old_recorded_at = models.DateTimeField(null=True, blank=True)
    # {field: [old, new]} in the API's spelling (org as its org_id, instants in UTC with Z).
    changes = models.JSONField(_("changes"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("user"),
    )
    # "API key <name>", a username, "import #12 by <user>", "command reaggregate"...
    actor_label = models.CharField(_("by"), max_length=200)
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("activity change")
        verbose_name_plural = _("activity changes")
        indexes = [
            models.Index(fields=["org", "at"], name="activityevent_org_at"),
            # Creates (most of an import's rows) have no old organisation: not indexed.
            models.Index(fields=["old_org", "at"], name="activityevent_old_org_at", condition=Q(old_org__isnull=False)),
            models.Index(fields=["activity_id"], name="activityevent_activity"),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.action} by {self.actor_label} at {self.at:%Y-%m-%d %H:%M:%S}"


def import_files_storage() -> FileSystemStorage:
    """Where uploads wait for their job (``IMPORT_FILES_DIR``); a callable, so the
    directory is a setting and not part of the migration."""
    return FileSystemStorage(location=settings.IMPORT_FILES_DIR)


class ImportJob(models.Model):
    """One upload from admin's "Import activities", run by a task worker.

    The row holds the durable state (queued, running, the outcome and every reported bad
    row); the figures of a running job live in the cache (``activities.jobs``), because the
    import's one transaction cannot publish them through the database.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    class Outcome(models.TextChoices):  # blank while the job has not finished
        IMPORTED = "imported", _("Imported")
        CHECKED = "checked", _("Checked, nothing written")
        REFUSED = "refused", _("Nothing imported: bad rows")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=True
    )
    # Scope of the upload: a coordinator's organisations when it was made; empty for a
    # superuser (any organisation). After the run: also the organisations it touched.
    scope_orgs = models.ManyToManyField(Organization, blank=True, related_name="+")
    orgs = models.ManyToManyField(Organization, blank=True, related_name="import_jobs", verbose_name=_("organisations"))
    scoped = models.BooleanField(default=True)
    file = models.FileField(storage=import_files_storage, upload_to="%Y/%m/", max_length=300, blank=True)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(max_length=10, blank=True)
    skip_invalid = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    message = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    # [[line, message], ...], at most MAX_REPORTED_ERRORS of them, sorted by line.
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"import {self.pk}: {self.file_name}"

    @property
    def done(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}
