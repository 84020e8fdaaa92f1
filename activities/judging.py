"""The counting core for rules on single activities: counts, and verdicts, of an
organisation's activities judged one by one (a grant scheme's rules, ``schemes.rules``).

The rules come as a ``Judgement``: one SQL expression giving, per activity, the name of
the first rule it fails (NULL when it passes), and whether only the first passing
activity of each type per local day counts. The database evaluates it, so the rule is
written once (``schemes.rules.judgement``) and this module only counts:

- ``judged_tally``: the numbers alone, grouped in the database (one statement);
- ``judged_rows``: every activity with its verdict, in ``recorded_at`` then
  ``activity_id`` order (by code point), streamed, optionally one page of them;
- ``judged_listing``: both from ONE statement (the numbers summed from its rows), for
  what must list exactly what it counts (exports, a submission's evidence).

"First of each type per local day" is ``ROW_NUMBER()`` over the passing activities
partitioned by type and local day (the reporting time zone, so a 23- or 25-hour day is
one day), ordered by ``recorded_at`` then ``activity_id``. The range rule is the core's
(``DateTimeRange.q``), so a judgement that passes everything counts what
``activities.counting.count_activities`` counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import F, QuerySet, Window
from django.db.models.functions import Collate, RowNumber, TruncDate

from activities.models import Activity, Organization
from lib.timeranges import DateTimeRange, reporting_zone

# Rows fetched per round trip (a server-side cursor on PostgreSQL).
CHUNK_SIZE = 5000


class ActivityRow(NamedTuple):
    """The fields of one activity that rules read and verdicts list."""

    activity_id: str
    recorded_at: dt.datetime
    activity_type: str
    status: str
    participant_count: int
    duration_minutes: int | None
    in_person: bool | None
    location: str


ROW_FIELDS = ActivityRow._fields


class Verdict(NamedTuple):
    """One activity and whether it counts; ``reason`` (the rule it failed) is None when it does."""

    row: ActivityRow
    reason: str | None

    @property
    def counted(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class Judgement:
    """How activities are judged, for the database to evaluate."""

    reason: Any  # an expression over Activity's fields: a rule's name, or NULL (counted)
    once_per_type_per_day: bool = False  # later passing activities of a type that local day...
    repeat_reason: str = "same_day"  # ...are excluded with this reason


@dataclass
class Judged:
    """The numbers of a judgement over a range: what counted, and why the rest did not."""

    activity_count: int = 0
    participant_total: int = 0
    by_activity_type: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)  # reason -> activities (only reasons found)

    @property
    def excluded_count(self) -> int:
        return sum(self.excluded.values())

    def _add(self, reason: str | None, activity_type: str, n: int, participants: int) -> None:
        if reason is not None:
            self.excluded[reason] = self.excluded.get(reason, 0) + n
            return
        self.activity_count += n
        self.participant_total += participants
        self.by_activity_type[activity_type] = self.by_activity_type.get(activity_type, 0) + n

    def _sorted(self) -> Judged:
        self.by_activity_type = dict(sorted(self.by_activity_type.items()))
        self.excluded = dict(sorted(self.excluded.items()))
        return self


def _by_code_point(name: str) -> F | Collate:
    """``name`` ordered by code point, as Python compares strings: PostgreSQL's default
    collation (en_US, nb_NO…) would put ``act-a`` before ``act-B``; SQLite's is already
    binary."""
    return Collate(name, "C") if connection.vendor == "postgresql" else F(name)


def _judged(org: Organization | int, time_range: DateTimeRange, judgement: Judgement) -> QuerySet[Activity]:
    """The range's activities annotated with ``reason`` and, with the same-day rule,
    ``nth`` (their place among the passing activities of their type and local day)."""
    org_pk = org if isinstance(org, int) else org.pk
    rows = Activity.objects.filter(org_id=org_pk).filter(time_range.q("recorded_at")).annotate(reason=judgement.reason)
    if judgement.once_per_type_per_day:
        rows = rows.annotate(
            nth=Window(
                RowNumber(),
                partition_by=[F("reason"), F("activity_type"), TruncDate("recorded_at", tzinfo=reporting_zone())],
                order_by=[F("recorded_at").asc(), _by_code_point("activity_id").asc()],
            )
        )
    return rows


def _reason(judgement: Judgement, reason: str | None, nth: int | None) -> str | None:
    if reason is None and nth is not None and nth > 1:
        return judgement.repeat_reason
    return reason


def judged_tally(*, org: Organization | int, time_range: DateTimeRange, judgement: Judgement) -> Judged:
    """The numbers of the range's activities under ``judgement``: one statement, grouped
    in the database by verdict and type."""
    inner = _judged(org, time_range, judgement).order_by()
    nth = ["nth"] if judgement.once_per_type_per_day else []
    sql, params = inner.values_list("reason", *nth, "activity_type", "participant_count").query.sql_with_params()
    verdict = "CASE WHEN j.reason IS NULL AND j.nth > 1 THEN %s ELSE j.reason END" if nth else "j.reason"
    outer = (
        f"SELECT {verdict}, j.activity_type, COUNT(*), SUM(j.participant_count) "  # noqa: S608 (no input)
        f"FROM ({sql}) j GROUP BY 1, 2"
    )
    judged = Judged()
    with connection.cursor() as cursor:
        cursor.execute(outer, ([judgement.repeat_reason] if nth else []) + list(params))
        for reason, activity_type, n, participants in cursor.fetchall():
            judged._add(reason, activity_type, int(n), int(participants or 0))
    return judged._sorted()


def judged_rows(
    *,
    org: Organization | int,
    time_range: DateTimeRange,
    judgement: Judgement,
    offset: int = 0,
    limit: int | None = None,
) -> Iterator[Verdict]:
    """Every activity of the range with its verdict, in ``recorded_at`` then
    ``activity_id`` order; ``offset``/``limit`` give one page. One statement, streamed."""
    rows = _judged(org, time_range, judgement).order_by("recorded_at", _by_code_point("activity_id").asc())
    nth = ["nth"] if judgement.once_per_type_per_day else []
    listed = rows.values_list(*ROW_FIELDS, "reason", *nth)
    listed = listed[offset : None if limit is None else offset + limit]
    width = len(ROW_FIELDS)
    for values in listed.iterator(chunk_size=CHUNK_SIZE):
        reason = _reason(judgement, values[width], values[width + 1] if nth else None)
        yield Verdict(ActivityRow._make(values[:width]), reason)


def judged_listing(
    *, org: Organization | int, time_range: DateTimeRange, judgement: Judgement
) -> tuple[Judged, list[Verdict]]:
    """Every verdict of the range and their numbers, from ONE statement (what a listing
    that must show exactly what it counts reads: exports, a submission's evidence)."""
    verdicts = list(judged_rows(org=org, time_range=time_range, judgement=judgement))
    cells: dict[tuple[str | None, str], list[int]] = defaultdict(lambda: [0, 0])
    for verdict in verdicts:
        cell = cells[(verdict.reason, verdict.row.activity_type)]
        cell[0] += 1
        cell[1] += verdict.row.participant_count
    judged = Judged()
    for (reason, activity_type), (n, participants) in cells.items():
        judged._add(reason, activity_type, n, participants)
    return judged._sorted(), verdicts
