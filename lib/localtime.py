"""Local calendar units in the reporting time zone: days, ISO weeks, months, quarters and
years, and the UTC instants where they start. One place for the rule, shared by the
counting core (which buckets) and the reports (which lay the buckets out)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from lib.timeranges import UTC, reporting_zone

Unit = Literal["day", "week", "month", "quarter", "year"]


def local_day(instant: dt.datetime) -> dt.date:
    """The local calendar day an instant falls on."""
    return instant.astimezone(reporting_zone()).date()


def local_midnight(day: dt.date) -> dt.datetime:
    """The instant (UTC) a local day starts."""
    # 00:00 exists on every day in Europe/Oslo (the switches are at 02:00 and 03:00).
    return dt.datetime.combine(day, dt.time.min, tzinfo=reporting_zone()).astimezone(UTC)


def unit_start(day: dt.date, unit: Unit) -> dt.date:
    """The first local day of the unit that holds ``day``."""
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO weeks start on Monday
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def next_unit(first: dt.date, unit: Unit) -> dt.date:
    """The first local day of the unit after the one starting on ``first``."""
    if unit == "day":
        return first + dt.timedelta(days=1)
    if unit == "week":
        return first + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
