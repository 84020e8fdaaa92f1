"""Report series: an organisation's activities per local calendar bucket (SPEC.md, "Reports").

Plain typed functions over the counting core (``activities.counting``): the buckets'
numbers come from ``tally_buckets`` (one grouped query), ``interval=none`` from ``tally``,
so a report's total and the contract count of the same range can never disagree. This
module only lays the core's numbers out: every bucket of the range (zeros included),
clipped at the edges, every group value in every bucket, and the comparison range.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from activities.counting import Cell, Tally, tally, tally_buckets
from activities.models import Organization
from lib.localtime import Unit, local_day, local_midnight, next_unit, unit_start
from lib.timeranges import ONE_SECOND, UTC, DateTimeRange, RangeError, check_instant, reporting_zone

ReportInterval = Literal["day", "week", "month", "quarter", "year", "none"]
INTERVALS: tuple[ReportInterval, ...] = ("day", "week", "month", "quarter", "year", "none")
Compare = Literal["previous_period", "previous_year"]
COMPARES: tuple[Compare, ...] = ("previous_period", "previous_year")
MAX_BUCKETS = 1000
MAX_GROUP_BY = 2


class TooManyBuckets(ValueError):
    """More buckets than ``MAX_BUCKETS``; ``asked`` says how many."""

    def __init__(self, asked: int, interval: str) -> None:
        super().__init__(
            f"This range has {asked} {interval} buckets; at most {MAX_BUCKETS} are allowed per request. "
            "Choose a longer interval or a shorter range."
        )
        self.asked = asked


@dataclass(frozen=True)
class Bucket:
    """One local calendar unit of the series, clipped to the range."""

    period: str
    start: dt.datetime
    end: dt.datetime  # inclusive to the second
    partial: bool
    tally: Tally


@dataclass(frozen=True)
class Series:
    """The buckets of one range; ``values`` are the group values of each dimension that
    every bucket lists (zeros included)."""

    time_range: DateTimeRange
    buckets: list[Bucket]
    values: tuple[tuple[str, ...], ...] = ()
    total: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class Report:
    org: Organization
    interval: ReportInterval
    group_by: tuple[str, ...]
    series: Series
    comparison: Series | None = None
    compare: Compare | None = None


# --- local calendar units -------------------------------------------------------------


def _label(first: dt.date, interval: ReportInterval) -> str:
    if interval == "day":
        return first.isoformat()
    if interval == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    if interval == "month":
        return f"{first.year}-{first.month:02d}"
    if interval == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return str(first.year)


def bucket_count(time_range: DateTimeRange, interval: ReportInterval) -> int:
    """How many buckets the range spans, without laying them out."""
    if interval == "none":
        return 1
    first, last = local_day(time_range.start), local_day(time_range.end)
    if interval == "day":
        return (last - first).days + 1
    if interval == "week":
        return (unit_start(last, "week") - unit_start(first, "week")).days // 7 + 1
    if interval == "year":
        return last.year - first.year + 1
    per_year = 12 if interval == "month" else 4
    size = 12 // per_year

    def index(day: dt.date) -> int:
        return day.year * per_year + (day.month - 1) // size

    return index(last) - index(first) + 1


# (first local day, label, start, end, partial) of one bucket.
Slot = tuple[dt.date, str, dt.datetime, dt.datetime, bool]


def _layout(time_range: DateTimeRange, interval: Unit) -> list[Slot]:
    """Every bucket of the range, in time order."""
    out: list[Slot] = []
    first = unit_start(local_day(time_range.start), interval)
    while True:
        opens = local_midnight(first)
        if opens > time_range.end:
            break
        following = next_unit(first, interval)
        closes = local_midnight(following) - ONE_SECOND
        start, end = max(opens, time_range.start), min(closes, time_range.end)
        out.append((first, _label(first, interval), start, end, start != opens or end != closes))
        first = following
    return out


# --- comparison ranges ----------------------------------------------------------------


def previous_period(time_range: DateTimeRange) -> DateTimeRange:
    """The range of equal length that ends the second before ``start``."""
    length = time_range.end_exclusive - time_range.start
    return DateTimeRange(time_range.start - length, time_range.start - ONE_SECOND)


def _year_earlier(instant: dt.datetime) -> dt.datetime:
    local = instant.astimezone(reporting_zone())
    day = local.date()
    try:
        earlier = day.replace(year=day.year - 1)
    except ValueError:  # 29 February: 28 February the year before
        earlier = day.replace(year=day.year - 1, day=28)
    naive = dt.datetime.combine(earlier, local.time().replace(tzinfo=None))
    return naive.replace(tzinfo=reporting_zone()).astimezone(UTC)


def previous_year(time_range: DateTimeRange) -> DateTimeRange:
    """The same local dates and times one year earlier (29 February maps to 28 February)."""
    return DateTimeRange(_year_earlier(time_range.start), _year_earlier(time_range.end))


def comparison_range(time_range: DateTimeRange, compare: Compare) -> DateTimeRange:
    """The comparison range, in the supported window (else ``RangeError``)."""
    try:
        earlier = previous_period(time_range) if compare == "previous_period" else previous_year(time_range)
    except (OverflowError, ValueError):
        raise RangeError("The comparison range is outside the supported dates.") from None
    check_instant(earlier.start)
    return earlier


# --- the report -----------------------------------------------------------------------


def _counted(
    *, org: Organization, time_range: DateTimeRange, interval: ReportInterval, group_by: tuple[str, ...]
) -> tuple[list[Slot], dict[dt.date, Tally]]:
    if interval == "none":
        (whole,) = tally(org=org, ranges=[time_range], group_by=group_by)
        first = local_day(time_range.start)
        return [(first, "all", time_range.start, time_range.end, False)], {first: whole}
    return _layout(time_range, interval), tally_buckets(
        org=org, time_range=time_range, interval=interval, group_by=group_by
    )


def _filled(found: Tally, keys: list[tuple[str, ...]]) -> Tally:
    return Tally(found.activity_count, found.participant_total, {k: found.groups.get(k, Cell()) for k in keys})


def _all_keys(values: tuple[tuple[str, ...], ...]) -> list[tuple[str, ...]]:
    keys: list[tuple[str, ...]] = [()]
    for dimension in values:
        keys = [(*k, v) for k in keys for v in dimension]
    return keys if values else []


def _series(
    layout: list[Slot],
    found: dict[dt.date, Tally],
    time_range: DateTimeRange,
    values: tuple[tuple[str, ...], ...],
) -> Series:
    keys = _all_keys(values)
    buckets = [
        Bucket(label, start, end, partial, _filled(found.get(first, Tally()), keys))
        for first, label, start, end, partial in layout
    ]
    groups = {k: Cell(sum(b.tally.groups[k].activity_count for b in buckets),
                      sum(b.tally.groups[k].participant_total for b in buckets)) for k in keys}  # fmt: skip
    total = Tally(sum(b.tally.activity_count for b in buckets), sum(b.tally.participant_total for b in buckets), groups)
    return Series(time_range, buckets, values, total)


def report_series(
    *,
    org: Organization,
    time_range: DateTimeRange,
    interval: ReportInterval = "month",
    group_by: tuple[str, ...] = (),
    compare: Compare | None = None,
) -> Report:
    """The report of one organisation's range: one counting query per series.

    Raises ``TooManyBuckets`` (before counting) when a series would have more than
    ``MAX_BUCKETS``, ``RangeError`` when the comparison range is out of the window. A
    comparison lists the group values seen in either range, so its groups line up with
    the report's.
    """
    earlier = comparison_range(time_range, compare) if compare else None
    for checked in (time_range, earlier):
        if checked is not None and (asked := bucket_count(checked, interval)) > MAX_BUCKETS:
            raise TooManyBuckets(asked, interval)
    counted = [
        (r, *_counted(org=org, time_range=r, interval=interval, group_by=group_by))
        for r in (time_range, earlier)
        if r is not None
    ]
    seen: list[set[str]] = [set() for _ in group_by]
    for _range, _layout_of, found in counted:
        for t in found.values():
            for key in t.groups:
                for i, value in enumerate(key):
                    seen[i].add(value)
    values = tuple(tuple(sorted(s)) for s in seen)
    series = [_series(layout, found, r, values) for r, layout, found in counted]
    return Report(org, interval, group_by, series[0], series[1] if earlier is not None else None, compare)
