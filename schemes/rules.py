"""A grant scheme's counting rules and the verdict on each activity: the one place the
rules are written (SPEC.md, "Grant schemes and the Bufdir report").

Pure functions over activity rows (``activities.selection.ActivityRow``), no database:
the report, its exports and (next) a submission's evidence all call ``judge``.

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
activities at the same instant are ordered by ``activity_id``. Rows must come in that
order (``activity_rows`` gives it), and ``judge`` refuses rows that do not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from django.utils.translation import gettext

from activities.fields import MAX_DURATION_MINUTES, SLUG_RE, STATUSES
from activities.selection import ActivityRow
from lib.timeranges import reporting_zone

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


class Verdict(NamedTuple):
    """One activity and whether the scheme counts it; ``reason`` is None when counted."""

    row: ActivityRow
    reason: Reason | None

    @property
    def counted(self) -> bool:
        return self.reason is None


def _first_failure(rules: Rules, row: ActivityRow) -> Reason | None:
    """The first rule (except same-day) the row fails, in ``REASONS`` order."""
    if row.status not in rules.statuses:
        return "status"
    if rules.activity_types and row.activity_type not in rules.activity_types:
        return "activity_type"
    if row.participant_count < rules.min_participants:
        return "participants"
    if rules.min_duration_minutes > 0:
        if row.duration_minutes is None:
            return "unknown_field"
        if row.duration_minutes < rules.min_duration_minutes:
            return "duration"
    if rules.in_person_required:
        if row.in_person is None:
            return "unknown_field"
        if not row.in_person:
            return "in_person"
    return None


class RowOrderError(ValueError):
    """Rows not ordered by (recorded_at, activity_id): the same-day rule would depend on it."""


def judge(rules: Rules, rows: Iterable[ActivityRow]) -> Iterator[Verdict]:
    """The verdict on each row, in the rows' order (which must be ``recorded_at``, then
    ``activity_id``); streams, keeping only the (local day, type) pairs already counted
    of the current day."""
    zone = reporting_zone()
    day: dt.date | None = None
    counted_today: set[str] = set()
    previous: tuple[dt.datetime, str] | None = None
    for row in rows:
        key = (row.recorded_at, row.activity_id)
        if previous is not None and key <= previous:
            raise RowOrderError(f"{row.activity_id} comes after {previous[1]}: rows must be ordered")
        previous = key
        reason = _first_failure(rules, row)
        if reason is None and rules.one_per_type_per_day:
            local = row.recorded_at.astimezone(zone).date()
            if local != day:
                day, counted_today = local, set()
            if row.activity_type in counted_today:
                reason = "same_day"
            else:
                counted_today.add(row.activity_type)
        yield Verdict(row, reason)


@dataclass
class Summary:
    """The numbers of a scheme report: what was counted, and why the rest was not."""

    activity_count: int = 0
    participant_total: int = 0
    by_activity_type: dict[str, int] = field(default_factory=dict)
    excluded: dict[Reason, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))

    @property
    def excluded_count(self) -> int:
        return sum(self.excluded.values())

    def add(self, verdict: Verdict) -> None:
        if verdict.reason is not None:
            self.excluded[verdict.reason] += 1
            return
        row = verdict.row
        self.activity_count += 1
        self.participant_total += row.participant_count
        self.by_activity_type[row.activity_type] = self.by_activity_type.get(row.activity_type, 0) + 1


def summarise(verdicts: Iterable[Verdict], *, keep: list[Verdict] | None = None) -> Summary:
    """Add the verdicts up (``keep``, when given, collects them too); ``by_activity_type``
    sorted by type."""
    summary = Summary()
    for verdict in verdicts:
        summary.add(verdict)
        if keep is not None:
            keep.append(verdict)
    summary.by_activity_type = dict(sorted(summary.by_activity_type.items()))
    return summary
