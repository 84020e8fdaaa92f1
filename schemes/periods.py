"""Reporting years and report deadlines of a grant scheme, in local dates.

A scheme's reporting year ``Y`` starts on the first day of its start month in year ``Y``
(1 January for a calendar year) and lasts twelve months. The report is due on the
scheme's deadline day the first time it comes after the year's last day: a calendar year
2026 with a 31 January deadline is due 2027-01-31; a grant year from July 2026 with a
1 October deadline is due 2027-10-01.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from lib.timeranges import DateTimeRange, local_dates_range


class SchemeDates(Protocol):
    year_start_month: int
    deadline_month: int
    deadline_day: int


@dataclass(frozen=True)
class ReportingYear:
    """Reporting year ``year`` of a scheme: its first and last local day and its deadline."""

    year: int
    first_day: dt.date
    last_day: dt.date
    deadline: dt.date

    @property
    def time_range(self) -> DateTimeRange:
        return local_dates_range(self.first_day, self.last_day)

    @property
    def label(self) -> str:
        """``2026`` for a calendar year, ``2026/27`` for one that starts later."""
        if self.first_day.month == 1:
            return str(self.year)
        return f"{self.year}/{(self.year + 1) % 100:02d}"


def reporting_year(scheme: SchemeDates, year: int) -> ReportingYear:
    """Reporting year ``year`` (the calendar year it starts in)."""
    first = dt.date(year, scheme.year_start_month, 1)
    following = dt.date(year + 1, scheme.year_start_month, 1)
    last = following - dt.timedelta(days=1)
    deadline = dt.date(last.year, scheme.deadline_month, scheme.deadline_day)
    if deadline <= last:
        deadline = deadline.replace(year=last.year + 1)
    return ReportingYear(year, first, last, deadline)


def year_holding(scheme: SchemeDates, day: dt.date) -> int:
    """The reporting year that holds a local day."""
    return day.year if day.month >= scheme.year_start_month else day.year - 1


def years_due(scheme: SchemeDates, *, today: dt.date, since: dt.date | None = None) -> list[ReportingYear]:
    """The reporting years whose report matters on ``today``: the last one that has ended
    (its report is due, or overdue once the deadline has passed) and the current one
    (due after it ends). A year whose deadline came before ``since`` (the day the scheme
    was set up) is left out: nobody could have reported on it."""
    current = year_holding(scheme, today)
    years = [reporting_year(scheme, current - 1), reporting_year(scheme, current)]
    return [y for y in years if since is None or y.deadline >= since]
