"""activity_breakdown / activity_breakdowns: the one place that counts, tested directly."""

from __future__ import annotations

import datetime as dt

import pytest

from activities.selectors import Breakdown, activity_breakdown, activity_breakdowns, activity_count
from lib.timeranges import parse_range

Q1 = parse_range("2026-01-01T00:00:00Z", "2026-03-31T23:59:59Z")


def test_breakdown_figures(org, q1_activities):
    assert activity_breakdown(org=org, time_range=Q1) == Breakdown(
        activity_count=3,
        participant_total=7,
        by_activity_type={"family_guidance": 1, "peer_support": 2},
        by_status={"cancelled": 1, "completed": 1, "planned": 1},
    )


def test_breakdown_is_one_query(org, q1_activities, django_assert_num_queries):
    with django_assert_num_queries(1):
        activity_breakdown(org=org, time_range=Q1)


def test_breakdown_of_an_empty_range_is_all_zero(org, q1_activities):
    empty = parse_range("2030-01-01", "2030-12-31")
    assert activity_breakdown(org=org, time_range=empty) == Breakdown(0, 0, {}, {})


def test_breakdown_accepts_an_org_or_its_key_and_never_leaks(org, other_org, q1_activities):
    assert activity_breakdown(org=org.pk, time_range=Q1) == activity_breakdown(org=org, time_range=Q1)
    assert activity_breakdown(org=other_org, time_range=Q1).activity_count == 1


def test_breakdown_agrees_with_the_plain_count(org, q1_activities):
    for r in (Q1, parse_range("2026-01-01", "2026-12-31"), parse_range("2025-12-31", "2025-12-31")):
        assert activity_breakdown(org=org, time_range=r).activity_count == activity_count(org=org, time_range=r)


def test_sums_add_up_to_the_count(org, make_activity):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i in range(12):
        make_activity(
            org,
            start + dt.timedelta(days=i),
            activity_type=("a", "b", "c")[i % 3],
            status=("planned", "completed")[i % 2],
            participant_count=i,
        )
    result = activity_breakdown(org=org, time_range=Q1)
    assert result.activity_count == 12 == sum(result.by_activity_type.values()) == sum(result.by_status.values())
    assert result.participant_total == sum(range(12))
    assert result.by_activity_type == {"a": 4, "b": 4, "c": 4}


def test_batched_breakdowns_equal_one_by_one_in_one_query(org, q1_activities, django_assert_num_queries):
    ranges = [
        Q1,
        parse_range("2026-02-01", "2026-02-28"),
        parse_range("2026-03-31T23:59:59Z", "2026-03-31T23:59:59Z"),
        parse_range("2030-01-01", "2030-01-01"),
    ]
    with django_assert_num_queries(1):
        batched = activity_breakdowns(org=org, time_ranges=ranges)
    assert batched == [activity_breakdown(org=org, time_range=r) for r in ranges]
    assert [b.activity_count for b in batched] == [3, 1, 1, 0]


@pytest.mark.parametrize("ranges", [[]])
def test_no_ranges_no_query(org, ranges, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert activity_breakdowns(org=org, time_ranges=ranges) == []
