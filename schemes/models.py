"""Grant schemes (tilskuddsordninger) and the versions of their counting rules."""

from __future__ import annotations

import calendar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.dates import MONTHS as MONTH_NAMES
from django.utils.translation import gettext_lazy as _

from activities.fields import MAX_DURATION_MINUTES, STATUSES
from schemes.rules import DEFAULT_STATUSES, Rules, rule_problems

MONTHS = sorted(MONTH_NAMES.items())  # (1, "January"), translated
# Days each month has in every year: a deadline of 29 February would not exist most years.
DAYS_IN_MONTH = {m: 28 if m == 2 else calendar.monthrange(2001, m)[1] for m in range(1, 13)}


def default_statuses() -> list[str]:
    return list(DEFAULT_STATUSES)


class GrantScheme(models.Model):
    """A grant scheme: its reporting year, its report deadline, and (in ``versions``) the
    rules that say which activities count. The newest version is the current rules."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=64, unique=True, help_text=_("Used in the API, e.g. peer-support."))
    year_start_month = models.PositiveSmallIntegerField(
        _("reporting year starts in"),
        default=1,
        choices=MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("January for a calendar year; another month for a grant year that starts then."),
    )
    deadline_month = models.PositiveSmallIntegerField(
        _("report deadline, month"), default=1, choices=MONTHS, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    deadline_day = models.PositiveSmallIntegerField(
        _("report deadline, day"),
        default=31,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("The report is due on this day after the reporting year ends, e.g. 31 January."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("grant scheme")
        verbose_name_plural = _("grant schemes")
        constraints = [
            models.CheckConstraint(
                condition=Q(year_start_month__gte=1, year_start_month__lte=12),
                name="scheme_year_start_month_valid",
            ),
            models.CheckConstraint(
                condition=Q(deadline_month__gte=1, deadline_month__lte=12, deadline_day__gte=1, deadline_day__lte=31),
                name="scheme_deadline_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        super().clean()
        month, day = self.deadline_month, self.deadline_day
        if month in DAYS_IN_MONTH and day is not None and day > DAYS_IN_MONTH[month]:
            raise ValidationError(
                {"deadline_day": _("That month has at most %(days)s days every year.") % {"days": DAYS_IN_MONTH[month]}}
            )

    def current_version(self) -> SchemeVersion | None:
        return self.versions.order_by("-number").first()


class SchemeVersion(models.Model):
    """One version of a scheme's counting rules. Never changed once written: a change of
    rules is a new version, and reports (and submissions) name the version they used."""

    scheme = models.ForeignKey(GrantScheme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    statuses = models.JSONField(_("statuses counted"), default=default_statuses)
    activity_types = models.JSONField(_("activity types"), default=list, blank=True, help_text=_("Empty: all types."))
    min_participants = models.PositiveIntegerField(_("minimum participants"), default=0)
    min_duration_minutes = models.PositiveIntegerField(
        _("minimum duration (minutes)"), default=0, validators=[MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    in_person_required = models.BooleanField(_("in person required"), default=False)
    one_per_type_per_day = models.BooleanField(_("at most one per type per day"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["scheme", "-number"]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="schemeversion_number_unique"),
            models.CheckConstraint(
                condition=Q(min_duration_minutes__lte=MAX_DURATION_MINUTES), name="schemeversion_duration_lte_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} v{self.number}"

    def clean(self) -> None:
        super().clean()
        problems = rule_problems(
            statuses=self.statuses if isinstance(self.statuses, list) else ["?"],
            activity_types=self.activity_types if isinstance(self.activity_types, list) else ["?"],
            min_participants=self.min_participants,
            min_duration_minutes=self.min_duration_minutes,
        )
        if problems:
            raise ValidationError(problems)

    @property
    def rules(self) -> Rules:
        return Rules(
            statuses=frozenset(self.statuses),
            activity_types=frozenset(self.activity_types),
            min_participants=self.min_participants,
            min_duration_minutes=self.min_duration_minutes,
            in_person_required=self.in_person_required,
            one_per_type_per_day=self.one_per_type_per_day,
        )

    def rules_json(self) -> dict[str, object]:
        """The rules as the API shows them (and as a submission will freeze them)."""
        return {
            "statuses": sorted(self.statuses, key=STATUSES.index),
            "activity_types": sorted(self.activity_types),
            "min_participants": self.min_participants,
            "min_duration_minutes": self.min_duration_minutes,
            "in_person_required": self.in_person_required,
            "one_per_type_per_day": self.one_per_type_per_day,
        }
