"""Time ranges as the product defines them (SPEC.md, "Time").

A range ``{start, end}`` covers ``start <= t < truncate_to_second(end) + 1s``: the end
is inclusive at one-second resolution. Bounds are ISO 8601 datetimes with ``Z`` or an
offset, or bare dates meaning the whole local day in the reporting time zone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

UTC = dt.UTC
ONE_SECOND = dt.timedelta(seconds=1)

Bound = Literal["start", "end"]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Strict ISO 8601 date-time: date, 'T' (or space), time with optional fraction, offset.
_DATETIME_RE = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ]"
    r"(?P<time>\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)"
    r"(?P<offset>Z|z|[+-]\d{2}:?\d{2})?$"
)


class RangeError(ValueError):
    """A range bound or a range that breaks the rules; the message is for the client."""


@dataclass(frozen=True)
class DateTimeRange:
    """A closed-at-the-second range: ``start`` inclusive, ``end`` inclusive to the second.

    ``end`` is always stored truncated to the second; ``end_exclusive`` is the first
    instant outside the range.
    """

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise RangeError("Range bounds must be timezone-aware.")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", truncate_to_second(self.end.astimezone(UTC)))
        if self.start > self.end:
            raise RangeError("start must not be after end.")
        try:
            self.end + ONE_SECOND
        except OverflowError:
            raise RangeError("end is out of the supported range.") from None

    @property
    def end_exclusive(self) -> dt.datetime:
        return end_exclusive(self.end)

    def contains(self, instant: dt.datetime) -> bool:
        return self.start <= instant < self.end_exclusive

    def overlaps(self, first: dt.datetime, last: dt.datetime) -> bool:
        """Whether any instant of ``first..last`` (both inclusive) lies in the range."""
        return self.start <= last and first < self.end_exclusive

    def q(self, field: str) -> Q:
        """The range rule as a filter on a datetime column: ``start <= field < end + 1s``."""
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end_exclusive})

    def is_complete(self, *, now: dt.datetime) -> bool:
        """True once the range has closed: its last second is in the past."""
        return self.end_exclusive <= now


def end_exclusive(end: dt.datetime) -> dt.datetime:
    """The first instant after a range end (inclusive to the second): ``truncate(end) + 1s``."""
    return truncate_to_second(end) + ONE_SECOND


def closed_q(end_field: str, *, now: dt.datetime, closed: bool = True) -> Q:
    """Stored ranges that have closed by ``now`` (``end + 1s <= now``), or (closed=False) not."""
    q = Q(**{f"{end_field}__lte": now - ONE_SECOND})
    return q if closed else ~q


def reporting_zone() -> ZoneInfo:
    return ZoneInfo(settings.REPORTING_TIME_ZONE)


def truncate_to_second(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=0)


def _parse_bound(value: object, *, bound: Bound) -> dt.datetime:
    """Parse one range bound into an aware UTC datetime.

    A bare date means the whole local day in the reporting time zone: as a start it is
    00:00:00 of that day, as an end 23:59:59 (the day's last second, DST-safe).
    """
    if not isinstance(value, str):
        raise RangeError("Expected an ISO 8601 datetime string with an offset, or a date (YYYY-MM-DD).")
    text = value.strip()
    if _DATE_RE.match(text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise RangeError(f"{text!r} is not a valid date.") from None
        return _local_day_bound(day, bound=bound)
    match = _DATETIME_RE.match(text)
    if not match:
        raise RangeError(
            f"{text!r} is not an ISO 8601 datetime; use e.g. 2026-01-01T00:00:00Z or a date such as 2026-01-01."
        )
    if match.group("offset") is None:
        raise RangeError(f"{text!r} has no UTC offset; add one, e.g. {text}Z or {text}+01:00.")
    normalised = text.replace(",", ".")
    if normalised[-1] in "Zz":
        normalised = normalised[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(normalised)
    except ValueError:
        raise RangeError(f"{text!r} is not a valid datetime.") from None
    try:
        if bound == "start" and _has_sub_microsecond_digits(match.group("time")):
            # Python drops digits past the microsecond; a start must not move earlier
            # (an activity at .123456 is before a start of .1234567), so round up. An
            # end is cut to its second anyway (rounding up could cross into the next).
            parsed += dt.timedelta(microseconds=1)
        return parsed.astimezone(UTC)
    except OverflowError:
        raise RangeError(f"{text!r} is out of the supported range.") from None


# Supported values (SPEC.md): every instant and date the service accepts lies in this
# window of local days, which the whole stack can store, convert and display.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
WINDOW = f"{FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"


def check_date(day: dt.date) -> dt.date:
    """``day`` if it is in the supported window, else a ``RangeError`` naming the window."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RangeError(f"{day.isoformat()} is outside the supported dates, {WINDOW}.")
    return day


def check_instant(instant: dt.datetime) -> dt.datetime:
    """``instant`` if its local day (reporting time zone) is in the supported window."""
    try:
        day = instant.astimezone(reporting_zone()).date()
    except (OverflowError, ValueError):
        raise RangeError(f"{instant.isoformat()} is outside the supported dates, {WINDOW}.") from None
    check_date(day)
    return instant


def in_window(value: dt.date | dt.datetime | None) -> bool:
    """Whether a stored date or instant lies in the supported window (None does)."""
    if value is None:
        return True
    try:
        if isinstance(value, dt.datetime):
            check_instant(value)
        else:
            check_date(value)
    except RangeError:
        return False
    return True


def parse_bound(value: object, *, bound: Bound) -> dt.datetime:
    """Parse one range bound into an aware UTC datetime in the supported window.

    A bare date means the whole local day in the reporting time zone: as a start it is
    00:00:00 of that day, as an end 23:59:59 (the day's last second, DST-safe).
    """
    day: dt.date | None = None
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        with contextlib.suppress(ValueError):  # not a real date: _parse_bound says so
            day = dt.date.fromisoformat(value.strip())
    if day is not None:
        check_date(day)  # before converting: a day at the edge of what Python can hold
    return check_instant(_parse_bound(value, bound=bound))


def parse_instant(value: object) -> dt.datetime:
    """A point in time, such as an activity's ``recorded_at``: a datetime with an offset
    (the syntax of a range bound); a bare date is refused. Digits past the microsecond
    are truncated (SPEC.md, "Supported values"): ``21:59:59.9999999Z`` stays in its
    second, and so in its day and quarter (only a range *start* rounds up)."""
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        raise RangeError("Expected a datetime with an offset, not a date.")
    return parse_bound(value, bound="end")  # an end's datetime is truncated, never rounded


def _has_sub_microsecond_digits(time_text: str) -> bool:
    _, _, fraction = time_text.replace(",", ".").partition(".")
    return fraction[6:].strip("0") != ""


def _local_day_bound(day: dt.date, *, bound: Bound) -> dt.datetime:
    zone = reporting_zone()
    try:
        if bound == "start":
            # 00:00 exists on every day in Europe/Oslo (DST shifts happen at 02:00/03:00).
            return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(UTC)
        # The day's last second is one second before the next local midnight; computing
        # it this way is right on 23- and 25-hour days alike.
        next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        return next_midnight.astimezone(UTC) - ONE_SECOND
    except OverflowError:
        raise RangeError(f"{day.isoformat()} is out of the supported range.") from None


def parse_range(start: object, end: object) -> DateTimeRange:
    """Parse both bounds; raise ``RangeError`` with per-bound messages on failure."""
    errors: dict[str, str] = {}
    parsed: dict[str, dt.datetime] = {}
    for name, raw in (("start", start), ("end", end)):
        if raw is None or raw == "":
            errors[name] = "This field is required."
            continue
        try:
            parsed[name] = parse_bound(raw, bound="start" if name == "start" else "end")
        except RangeError as exc:
            errors[name] = str(exc)
    if errors:
        raise RangeFieldsError(errors)
    return make_range(parsed["start"], parsed["end"])


def local_dates_range(first_day: dt.date, last_day: dt.date) -> DateTimeRange:
    """The whole local days ``first_day``..``last_day`` (inclusive) in the reporting zone;
    both in the supported window (else ``RangeError``)."""
    check_date(first_day)
    check_date(last_day)
    return make_range(_local_day_bound(first_day, bound="start"), _local_day_bound(last_day, bound="end"))


def make_range(start: dt.datetime, end: dt.datetime) -> DateTimeRange:
    """Build a range from parsed bounds; ``start`` after ``end`` is an error on ``end``."""
    if start > truncate_to_second(end):
        raise RangeFieldsError({"end": "end must not be before start (end counts to the whole second)."})
    try:
        return DateTimeRange(start, end)
    except RangeError as exc:
        raise RangeFieldsError({"end": str(exc)}) from None


class RangeFieldsError(RangeError):
    """Range errors keyed by bound (``start``/``end``)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def isoformat_z(value: dt.datetime) -> str:
    """Render an aware datetime in UTC with a ``Z`` suffix (SPEC.md, "Time")."""
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def now_to_second() -> dt.datetime:
    """The server's "now", stamped at whole seconds in UTC."""
    from django.utils import timezone

    return truncate_to_second(timezone.now().astimezone(UTC))
