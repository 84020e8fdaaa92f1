"""A grant scheme's counting rules and the verdict on each activity: the one place the
rules are written (SPEC.md, "Grant schemes and the Bufdir report").

``judgement`` turns a version's rules into one SQL expression that the counting core
(``activities.judging``) evaluates for the report, its exports and a submission's
evidence: the rules are written here only, and counted there only.

Each excluded activity gets exactly one reason, the first rule it fails in this order
(``REASONS``):

1. ``status`` — its status is not one the scheme counts;
2. ``activity_type`` — the scheme names types and this is not one of them;
3. ``participants`` — fewer participants than the minimum;
4. ``duration`` — shorter than the minimum duration;
5. ``in_person`` — the scheme needs in person and it was not;
6. ``same_day`` — another activity of the same type was already counted that local day.

A rule that needs ``duration_minutes`` or ``in_person`` gives ``unknown_field`` instead of
its own reason when the value is unknown (null), at the rule's place in the order.
The same-day rule looks only at activities that pass every other rule, and keeps the
earliest of each type per local day (Europe/Oslo, so a 23- or 25-hour day is one day);
activities at the same instant are ordered by ``activity_id`` (by code point).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from django.db.models import Case, CharField, Q, Value, When
from django.utils.translation import gettext

from activities.fields import MAX_DURATION_MINUTES, SLUG_RE, STATUSES
from activities.judging import Judged, Judgement

Reason = Literal["status", "activity_type", "participants", "duration", "in_person", "same_day", "unknown_field"]
REASONS: tuple[Reason, ...] = (
    "status",
    "activity_type",
    "participants",
    "duration",
    "in_person",
    "same_day",
    "unknown_field",
)
DEFAULT_STATUSES: tuple[str, ...] = ("completed",)
MAX_PARTICIPANTS_RULE = 2**31 - 1


@dataclass(frozen=True)
class Rules:
    """What a scheme version counts. Empty ``activity_types``: every type; a minimum of
    0 or None: no minimum."""

    statuses: frozenset[str] = frozenset(DEFAULT_STATUSES)
    activity_types: frozenset[str] = frozenset()
    min_participants: int = 0
    min_duration_minutes: int = 0
    in_person_required: bool = False
    one_per_type_per_day: bool = False


def rule_problems(
    *,
    statuses: Iterable[str],
    activity_types: Iterable[str],
    min_participants: int | None,
    min_duration_minutes: int | None,
) -> dict[str, str]:
    """What is wrong with a set of rules, by field (empty when they are fine): what the
    admin form and the model's ``clean`` both say."""
    problems: dict[str, str] = {}
    statuses = list(statuses)
    unknown = sorted(set(statuses) - set(STATUSES))
    if unknown:
        problems["statuses"] = gettext("Unknown status %(unknown)s; choose from %(known)s.") % {
            "unknown": ", ".join(unknown),
            "known": ", ".join(STATUSES),
        }
    elif not statuses:
        problems["statuses"] = gettext("Choose at least one status: with none, the scheme counts nothing.")
    bad_types = sorted(t for t in activity_types if not isinstance(t, str) or not SLUG_RE.match(t))
    if bad_types:
        problems["activity_types"] = gettext("Activity types are slugs (letters, digits, _ and -), e.g. peer_support.")
    if min_participants is not None and not 0 <= min_participants <= MAX_PARTICIPANTS_RULE:
        problems["min_participants"] = gettext("The minimum number of participants cannot be negative.")
    if min_duration_minutes is not None and not 0 <= min_duration_minutes <= MAX_DURATION_MINUTES:
        problems["min_duration_minutes"] = gettext(
            "The minimum duration is from 0 to %(max)s minutes (an activity lasts at most a day)."
        ) % {"max": MAX_DURATION_MINUTES}
    return problems


def judgement(rules: Rules) -> Judgement:
    """The rules as the counting core evaluates them (``activities.judging``): per
    activity, the first rule it fails in ``REASONS`` order, or NULL when it passes; then
    the same-day rule over the passing ones."""
    whens: list[When] = [When(~Q(status__in=sorted(rules.statuses)), then=Value("status"))]
    if rules.activity_types:
        whens.append(When(~Q(activity_type__in=sorted(rules.activity_types)), then=Value("activity_type")))
    if rules.min_participants > 0:
        whens.append(When(participant_count__lt=rules.min_participants, then=Value("participants")))
    if rules.min_duration_minutes > 0:
        whens.append(When(duration_minutes__isnull=True, then=Value("unknown_field")))
        whens.append(When(duration_minutes__lt=rules.min_duration_minutes, then=Value("duration")))
    if rules.in_person_required:
        whens.append(When(in_person__isnull=True, then=Value("unknown_field")))
        whens.append(When(in_person=False, then=Value("in_person")))
    reason = Case(*whens, default=Value(None), output_field=CharField())
    return Judgement(reason, once_per_type_per_day=rules.one_per_type_per_day, repeat_reason="same_day")


def summary(judged: Judged) -> Judged:
    """The core's numbers of a scheme report with every reason listed in ``REASONS``
    order, zeros included (the API, the files and admin show them all)."""
    unknown = set(judged.excluded) - set(REASONS)
    if unknown:
        raise ValueError(f"reasons judgement() does not give: {sorted(unknown)}")
    excluded: dict[str, int] = {reason: judged.excluded.get(reason, 0) for reason in REASONS}
    return Judged(judged.activity_count, judged.participant_total, dict(judged.by_activity_type), excluded)
