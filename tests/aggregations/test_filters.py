"""AggregationSnapshotFilter and SubmittedPeriodFilter, tested directly."""

from __future__ import annotations

import datetime as dt

import pytest

from aggregations.filters import AggregationSnapshotFilter, SubmittedPeriodFilter
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from schemes.models import GrantScheme
from schemes.services import scheme_rules_set
from tests.schemes.conftest import rules

UTC = dt.UTC
JAN_START = dt.datetime(2025, 12, 31, 23, tzinfo=UTC)  # 2026-01-01 in Oslo
JAN_END = dt.datetime(2026, 1, 31, 22, 59, 59, tzinfo=UTC)  # 2026-01-31 23:59:59 in Oslo


@pytest.fixture
def snapshots(org, other_org):
    def snap(o, start, end):
        return AggregationSnapshot.objects.create(org=o, range_start=start, range_end=end, snapshot_at=start)

    return {
        "jan": snap(org, JAN_START, JAN_END),
        "jan_theirs": snap(other_org, JAN_START, JAN_END),
        "utc_jan": snap(org, dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)),
    }


def filtered(**data):
    f = AggregationSnapshotFilter(data=data, queryset=AggregationSnapshot.objects.order_by("pk"))
    assert f.is_valid(), f.errors
    return list(f.qs)


def test_org_id(snapshots, org):
    assert filtered(org_id=org.org_id) == [snapshots["jan"], snapshots["utc_jan"]]


def test_bare_dates_are_local_days(snapshots):
    assert filtered(range_start="2026-01-01", range_end="2026-01-31") == [snapshots["jan"], snapshots["jan_theirs"]]


def test_datetimes_match_exactly_and_end_to_its_second(snapshots):
    assert filtered(range_start="2026-01-01T00:00:00Z") == [snapshots["utc_jan"]]
    assert filtered(range_end="2026-01-31T23:59:59.999Z") == [snapshots["utc_jan"]]
    assert filtered(range_end="2026-02-01T00:59:59+01:00") == [snapshots["utc_jan"]]


def test_no_filter_is_everything(snapshots):
    assert len(filtered()) == 3


@pytest.mark.parametrize("data", [{"range_start": "2026-01-01T00:00:00"}, {"range_end": "soon"}])
def test_bad_bounds_are_errors_naming_the_field(db, data):
    f = AggregationSnapshotFilter(data=data, queryset=AggregationSnapshot.objects.all())
    assert not f.is_valid()
    assert set(f.errors) == set(data)


@pytest.fixture
def periods(org, other_org):
    scheme = GrantScheme.objects.create(code="peer-support", name="Likepersonsarbeid")
    scheme_rules_set(scheme=scheme, rules=rules())

    def period(o, month, version=None):
        day = dt.date(2026, month, 1)
        return SubmittedPeriod.objects.create(
            org=o,
            period_start=day,
            period_end=day,
            submitted_at=JAN_START,
            submitted_by="kari",
            activity_count=0,
            scheme_version=version,
        )

    return {
        "plain": period(org, 1),
        "scheme": period(org, 2, scheme.current_version()),
        "theirs": period(other_org, 2, scheme.current_version()),
    }


def periods_filtered(**data):
    f = SubmittedPeriodFilter(data=data, queryset=SubmittedPeriod.objects.order_by("pk"))
    assert f.is_valid(), f.errors
    return list(f.qs)


def test_periods_by_org_id(periods, org):
    assert periods_filtered(org_id=org.org_id) == [periods["plain"], periods["scheme"]]


def test_periods_by_scheme_code(periods, org):
    assert periods_filtered(scheme="peer-support") == [periods["scheme"], periods["theirs"]]
    assert periods_filtered(scheme="peer-support", org_id=org.org_id) == [periods["scheme"]]
    assert periods_filtered(scheme="other") == []


def test_no_period_filter_is_every_period(periods):
    assert len(periods_filtered()) == 3
