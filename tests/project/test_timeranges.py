"""The range rules of SPEC.md's "Time" section."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from lib.timeranges import (
    DateTimeRange,
    RangeError,
    RangeFieldsError,
    isoformat_z,
    parse_bound,
    parse_range,
)

UTC = dt.UTC


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_z_suffix_is_utc():
    assert parse_bound("2026-01-01T00:00:00Z", bound="start") == utc(2026, 1, 1)


def test_offset_is_converted_to_utc():
    assert parse_bound("2026-01-01T01:00:00+01:00", bound="start") == utc(2026, 1, 1)
    assert parse_bound("2026-01-01T00:00:00-0230", bound="start") == utc(2026, 1, 1, 2, 30)


def test_fractional_seconds_are_kept_on_the_start():
    assert parse_bound("2026-01-01T00:00:00.250Z", bound="start") == utc(2026, 1, 1, 0, 0, 0, 250000)


@pytest.mark.parametrize("value", ["2026-01-01T00:00:00", "2026-01-01T10:30", "2026-01-01 10:30:00"])
def test_datetime_without_offset_is_rejected_with_a_hint(value):
    with pytest.raises(RangeError, match="add one"):
        parse_bound(value, bound="start")


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-01", "2026-02-30", "2026-01-01T25:00:00Z", "", "2026-01-01T00:00:00+25:00", 20260101],
)
def test_malformed_bounds_are_rejected(value):
    with pytest.raises(RangeError):
        parse_bound(value, bound="start")


def test_bare_date_start_is_local_midnight_in_oslo():
    # Winter: Oslo is UTC+1, so local midnight is 23:00 UTC the day before.
    assert parse_bound("2026-01-01", bound="start") == utc(2025, 12, 31, 23)
    # Summer: UTC+2.
    assert parse_bound("2026-07-01", bound="start") == utc(2026, 6, 30, 22)


def test_bare_date_end_is_the_last_local_second_of_the_day():
    assert parse_bound("2026-03-31", bound="end") == utc(2026, 3, 31, 21, 59, 59)
    assert parse_bound("2026-12-31", bound="end") == utc(2026, 12, 31, 22, 59, 59)


def test_spring_forward_day_is_23_hours():
    # 2026-03-29: clocks go from 02:00 to 03:00 in Europe/Oslo.
    r = parse_range("2026-03-29", "2026-03-29")
    assert r.start == utc(2026, 3, 28, 23)
    assert r.end == utc(2026, 3, 29, 21, 59, 59)
    assert r.end_exclusive - r.start == dt.timedelta(hours=23)


def test_fall_back_day_is_25_hours():
    # 2026-10-25: clocks go from 03:00 back to 02:00 in Europe/Oslo.
    r = parse_range("2026-10-25", "2026-10-25")
    assert r.start == utc(2026, 10, 24, 22)
    assert r.end == utc(2026, 10, 25, 22, 59, 59)
    assert r.end_exclusive - r.start == dt.timedelta(hours=25)


@override_settings(REPORTING_TIME_ZONE="America/New_York")
def test_reporting_time_zone_is_a_setting():
    assert parse_bound("2026-01-01", bound="start") == utc(2026, 1, 1, 5)


def test_end_is_inclusive_to_the_whole_second():
    r = parse_range("2026-01-01T00:00:00Z", "2026-03-31T23:59:59Z")
    assert r.contains(utc(2026, 3, 31, 23, 59, 59, 500000))
    assert r.contains(utc(2026, 3, 31, 23, 59, 59, 999999))
    assert not r.contains(utc(2026, 4, 1, 0, 0, 0))


def test_end_with_a_fraction_is_truncated_to_its_second():
    r = parse_range("2026-01-01T00:00:00Z", "2026-03-31T23:59:59.750Z")
    assert r.end == utc(2026, 3, 31, 23, 59, 59)
    assert r.end_exclusive == utc(2026, 4, 1)


def test_start_instant_is_included_and_anything_before_is_not():
    r = parse_range("2026-01-01T00:00:00.500Z", "2026-01-02T00:00:00Z")
    assert r.contains(utc(2026, 1, 1, 0, 0, 0, 500000))
    assert not r.contains(utc(2026, 1, 1, 0, 0, 0, 499999))


def test_start_after_end_is_an_error_on_end():
    with pytest.raises(RangeFieldsError) as info:
        parse_range("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z")
    assert set(info.value.errors) == {"end"}


def test_single_instant_range_is_allowed():
    r = parse_range("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")
    assert r.end_exclusive - r.start == dt.timedelta(seconds=1)


def test_both_bounds_are_required_and_reported_together():
    with pytest.raises(RangeFieldsError) as info:
        parse_range(None, "")
    assert info.value.errors == {"start": "This field is required.", "end": "This field is required."}


def test_mixed_date_and_datetime_bounds():
    r = parse_range("2026-01-01T00:00:00Z", "2026-01-01")
    assert r.start == utc(2026, 1, 1)
    assert r.end == utc(2026, 1, 1, 22, 59, 59)


@pytest.mark.parametrize("value", ["9999-12-31", "9999-12-31T23:59:59Z"])
def test_end_at_the_edge_of_time_is_a_clear_error(value):
    with pytest.raises(RangeError):
        parse_range("2026-01-01T00:00:00Z", value)


def test_year_one_with_positive_offset_is_a_clear_error():
    with pytest.raises(RangeError):
        parse_bound("0001-01-01T00:00:00+01:00", bound="start")


def test_output_is_utc_with_z():
    oslo = dt.timezone(dt.timedelta(hours=2))
    assert isoformat_z(dt.datetime(2026, 3, 26, 10, 0, tzinfo=oslo)) == "2026-03-26T08:00:00Z"


def test_completeness_is_after_the_last_second():
    r = DateTimeRange(utc(2026, 1, 1), utc(2026, 3, 31, 23, 59, 59))
    assert not r.is_complete(now=utc(2026, 3, 31, 23, 59, 59, 999999))
    assert r.is_complete(now=utc(2026, 4, 1))


def test_local_dates_range_is_whole_oslo_days_across_dst():
    from lib.timeranges import local_dates_range

    r = local_dates_range(dt.date(2026, 3, 29), dt.date(2026, 10, 25))
    assert r.start == utc(2026, 3, 28, 23)
    assert r.end == utc(2026, 10, 25, 22, 59, 59)
    assert r == parse_range("2026-03-29", "2026-10-25")
