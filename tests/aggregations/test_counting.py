"""activities.counting: the one place that counts, tested directly.

``q1_activities`` (tests/aggregations/conftest.py) gives ``org`` three activities in Q1
(4 + 2 + 1 participants; one of them at 2026-03-31T23:59:59.5Z), one just after, one
just before, and ``other_org`` one in Q1.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from activities import branches, rollup, services
from activities.counting import (
    BRANCHES_PER_QUERY,
    BREAKDOWN,
    Cell,
    Tally,
    count_activities,
    count_ranges,
    tally,
    tally_buckets,
)
from activities.models import Activity
from lib.timeranges import DateTimeRange, parse_range

UTC = dt.UTC
Q1 = parse_range("2026-01-01T00:00:00Z", "2026-03-31T23:59:59Z")
YEAR_2026 = parse_range("2026-01-01", "2026-12-31")  # Oslo local days
EMPTY = parse_range("2030-01-01", "2030-12-31")


def day_ranges(n: int) -> list[DateTimeRange]:
    """``n`` consecutive one-day UTC ranges from 2026-01-01."""
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    return [
        DateTimeRange(start + dt.timedelta(days=i), start + dt.timedelta(days=i + 1) - dt.timedelta(seconds=1))
        for i in range(n)
    ]


# --- figures ---------------------------------------------------------------------------


def test_q1_figures_grouped_by_type_and_status(org, q1_activities):
    [result] = tally(org=org, ranges=[Q1], group_by=BREAKDOWN)
    assert result == Tally(
        activity_count=3,
        participant_total=7,
        groups={
            ("family_guidance", "completed"): Cell(1, 4),
            ("peer_support", "cancelled"): Cell(1, 1),
            ("peer_support", "planned"): Cell(1, 2),
        },
    )
    assert result.by(0) == {"family_guidance": 1, "peer_support": 2}
    assert result.by(1) == {"cancelled": 1, "completed": 1, "planned": 1}


def test_ungrouped_tally_has_totals_and_no_groups(org, q1_activities):
    assert tally(org=org, ranges=[Q1]) == [Tally(3, 7, {})]


def test_count_activities_counts_every_status(org, q1_activities):
    assert count_activities(org=org, time_range=Q1) == 3


def test_count_ranges_counts_each_range(org, q1_activities):
    ranges = [Q1, parse_range("2026-02-01", "2026-02-28"), EMPTY]
    assert count_ranges(org=org, ranges=ranges) == [3, 1, 0]


# --- queries ---------------------------------------------------------------------------


def test_count_activities_is_one_query(org, q1_activities, django_assert_num_queries):
    with django_assert_num_queries(1):
        count_activities(org=org, time_range=Q1)


def test_grouped_tally_of_one_range_is_one_query(org, q1_activities, django_assert_num_queries):
    with django_assert_num_queries(1):
        tally(org=org, ranges=[Q1], group_by=BREAKDOWN)


@pytest.mark.parametrize("n", [3, 150, BRANCHES_PER_QUERY])  # a one-day range is one branch
def test_many_ranges_are_one_query(org, q1_activities, django_assert_num_queries, n):
    ranges = day_ranges(n)
    with django_assert_num_queries(1):
        counts = count_ranges(org=org, ranges=ranges)
    with django_assert_num_queries(1):
        tallies = tally(org=org, ranges=ranges, group_by=BREAKDOWN)
    assert len(counts) == len(tallies) == n
    assert [t.activity_count for t in tallies] == counts


def test_451_ranges_are_two_queries_and_agree_with_one_by_one(org, make_activity, django_assert_num_queries):
    ranges = day_ranges(BRANCHES_PER_QUERY + 1)
    for i in (0, 1, 1, 150, 449, 450, 450, 450):  # day 450 is the first range of the second query
        make_activity(org, dt.datetime(2026, 1, 1, 12, tzinfo=UTC) + dt.timedelta(days=i))
    with django_assert_num_queries(2):
        counts = count_ranges(org=org, ranges=ranges)
    with django_assert_num_queries(2):
        tallies = tally(org=org, ranges=ranges, group_by=BREAKDOWN)
    assert counts == [count_activities(org=org, time_range=r) for r in ranges]
    assert counts[0] == 1 and counts[1] == 2 and counts[449] == 1 and counts[450] == 3
    assert sum(counts) == 8
    assert [t.activity_count for t in tallies] == counts


def test_long_ranges_read_the_rollup_and_stay_whole_in_one_statement(org, make_activity, django_assert_num_queries):
    # A range of whole local days is three branches (rollup, head, tail), counted so even
    # when the ranges share the rollup (these do, activities.branches): 150 fit in one
    # statement, the 151st starts the second, and every range is counted whole.
    start = dt.datetime(2026, 1, 1, 12, 30, tzinfo=UTC)  # never a local midnight: every range has both edges
    ranges = [DateTimeRange(start + dt.timedelta(hours=i), start + dt.timedelta(days=5, hours=i)) for i in range(151)]
    for i in (0, 30, 80, 100, 149, 150, 150):
        make_activity(org, start + dt.timedelta(days=2, hours=i))
    with django_assert_num_queries(2):
        counts = count_ranges(org=org, ranges=ranges)
    expected = [sum(1 for i in (0, 30, 80, 100, 149, 150, 150) if r.contains(start + dt.timedelta(days=2, hours=i)))
                for r in ranges]  # fmt: skip
    assert counts == expected and counts[150] == 3


def test_the_shared_rollup_branch_gives_each_range_what_its_own_would(org, django_assert_num_queries):
    """Many long ranges read the rollup once (one branch over their envelope, sliced per
    range in Python); one range alone reads it in its own branch. Both agree, per group,
    on ranges that start and end at midnights and between them, across a DST switch."""
    rng = random.Random(11)
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(600):
        services.activity_create(
            data=services.ActivityData(
                org=org,
                activity_type=rng.choice(["a", "b", "c"]),
                status=rng.choice(["completed", "planned", "cancelled"]),
                location=rng.choice(["Oslo", "Bergen", ""]),
                participant_count=rng.randrange(5),
                recorded_at=base + dt.timedelta(seconds=rng.randrange(300 * 86400)),
                activity_id=f"env-{i}",
            )
        )
    rollup.compact()
    services.activity_create(  # and one not compacted yet
        data=services.ActivityData(org=org, activity_type="a", recorded_at=dt.datetime(2026, 3, 29, 12, tzinfo=UTC))
    )
    ranges = [parse_range("2026-03-01", "2026-04-30"), parse_range("2026-03-29", "2026-10-25")]
    for _ in range(30):
        a, b = sorted(rng.sample(range(300 * 24), 2))
        ranges.append(DateTimeRange(base + dt.timedelta(hours=a), base + dt.timedelta(hours=b, seconds=-1)))
    assert sum(rollup.split(r) is not None for r in ranges) >= 20  # most read the rollup
    assert branches.plan(org.pk, [(i, r, rollup.split(r)) for i, r in enumerate(ranges)], ()).rollup_sums
    spread = [parse_range(f"{y}-03-01", f"{y}-03-31") for y in (2020, 2023, 2026)]  # far apart: their own
    assert not branches.plan(org.pk, [(i, r, rollup.split(r)) for i, r in enumerate(spread)], ()).rollup_sums
    for dims in ((), ("activity_type",), ("activity_type", "status", "location")):
        with django_assert_num_queries(1):
            together = tally(org=org, ranges=ranges, group_by=dims)
        assert together == [tally(org=org, ranges=[r], group_by=dims)[0] for r in ranges]
    assert together[0].activity_count == Activity.objects.filter(org=org).filter(ranges[0].q("recorded_at")).count()
    # A list page's ranges: starts a second apart, ends a minute apart, so the edges all
    # lie in two days and are read per instant in shared branches (one per stretch).
    page = [
        DateTimeRange(dt.datetime(2026, 2, 1, 0, 0, s, tzinfo=UTC), dt.datetime(2026, 9, 30, 12, s, 59, tzinfo=UTC))
        for s in range(40)
    ]
    edge_times = [dt.datetime(2026, 2, 1, 0, 0, i, tzinfo=UTC) for i in range(40)]
    edge_times += [dt.datetime(2026, 9, 30, 12, i, 59, tzinfo=UTC) for i in range(0, 40, 3)]
    for i, at in enumerate(edge_times):  # some on the very second a range starts or ends
        services.activity_create(
            data=services.ActivityData(org=org, activity_type="b", recorded_at=at, participant_count=i)
        )
    plan = branches.plan(org.pk, [(i, r, rollup.split(r)) for i, r in enumerate(page)], ())
    assert plan.rollup_sums and plan.edge_sums and len(plan.branches) == 3  # the rollup, two edge days
    for dims in ((), ("activity_type", "location")):
        with django_assert_num_queries(1):
            together = tally(org=org, ranges=page, group_by=dims)
        assert together == [tally(org=org, ranges=[r], group_by=dims)[0] for r in page]
    counts = [t.activity_count for t in together]
    assert counts == [Activity.objects.filter(org=org).filter(r.q("recorded_at")).count() for r in page]
    assert len(set(counts)) > 1  # the second-by-second edges do matter


def test_no_ranges_no_query(org, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert tally(org=org, ranges=[]) == []
        assert count_ranges(org=org, ranges=[]) == []


# --- many ranges -----------------------------------------------------------------------


def test_batched_tallies_equal_one_by_one(org, q1_activities):
    ranges = [
        Q1,
        parse_range("2026-02-01", "2026-02-28"),
        parse_range("2026-03-31T23:59:59Z", "2026-03-31T23:59:59Z"),
        parse_range("2030-01-01", "2030-01-01"),
    ]
    batched = tally(org=org, ranges=ranges, group_by=BREAKDOWN)
    assert batched == [tally(org=org, ranges=[r], group_by=BREAKDOWN)[0] for r in ranges]
    assert [t.activity_count for t in batched] == [3, 1, 1, 0]


def test_results_follow_the_input_order(org, q1_activities):
    ranges = [
        parse_range("2030-01-01", "2030-01-01"),
        Q1,
        parse_range("2026-02-01", "2026-02-28"),
        parse_range("2026-01-01", "2026-01-01"),  # local day: 2025-12-31T23:00Z.., so two
    ]
    assert count_ranges(org=org, ranges=ranges) == [0, 3, 1, 2]
    assert count_ranges(org=org, ranges=ranges[::-1]) == [2, 1, 3, 0]
    assert [t.participant_total for t in tally(org=org, ranges=ranges)] == [0, 7, 2, 4]


def test_duplicate_ranges_each_get_their_result(org, q1_activities):
    feb = parse_range("2026-02-01", "2026-02-28")
    assert count_ranges(org=org, ranges=[Q1, feb, Q1, Q1]) == [3, 1, 3, 3]
    first, _, again, _ = tally(org=org, ranges=[Q1, feb, Q1, Q1], group_by=BREAKDOWN)
    assert first == again == tally(org=org, ranges=[Q1], group_by=BREAKDOWN)[0]


def test_overlapping_ranges_each_count_the_shared_activities(org, q1_activities):
    jan_feb = parse_range("2026-01-01T00:00:00Z", "2026-02-28T23:59:59Z")
    feb_mar = parse_range("2026-02-01T00:00:00Z", "2026-03-31T23:59:59Z")
    assert count_ranges(org=org, ranges=[jan_feb, feb_mar]) == [2, 2]


# --- the range rule --------------------------------------------------------------------


def test_end_second_includes_its_fraction_and_not_the_next_second(org, make_activity):
    make_activity(org, "2026-03-31T23:59:59.5Z")
    make_activity(org, "2026-04-01T00:00:00Z")
    ends_at_last_second = parse_range("2026-03-01T00:00:00Z", "2026-03-31T23:59:59Z")
    end_with_fraction = parse_range("2026-03-01T00:00:00Z", "2026-03-31T23:59:59.2Z")  # cut to the second
    only_that_second = parse_range("2026-03-31T23:59:59Z", "2026-03-31T23:59:59Z")
    next_second = parse_range("2026-04-01T00:00:00Z", "2026-04-01T00:00:00Z")
    ranges = [ends_at_last_second, end_with_fraction, only_that_second, next_second]
    assert count_ranges(org=org, ranges=ranges) == [1, 1, 1, 1]
    assert [count_activities(org=org, time_range=r) for r in ranges] == [1, 1, 1, 1]
    assert [t.activity_count for t in tally(org=org, ranges=ranges, group_by=BREAKDOWN)] == [1, 1, 1, 1]
    [both] = count_ranges(org=org, ranges=[parse_range("2026-03-31T23:59:59Z", "2026-04-01T00:00:00Z")])
    assert both == 2


def test_start_is_inclusive_and_the_instant_before_is_not(org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z")
    make_activity(org, "2025-12-31T23:59:59.999999Z")
    assert count_ranges(org=org, ranges=[parse_range("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z")]) == [1]


# --- empty, organisations --------------------------------------------------------------


def test_empty_range_is_all_zero(org, q1_activities):
    assert count_activities(org=org, time_range=EMPTY) == 0
    assert count_ranges(org=org, ranges=[EMPTY]) == [0]
    assert tally(org=org, ranges=[EMPTY], group_by=BREAKDOWN) == [Tally(0, 0, {})]
    assert tally(org=org, ranges=[EMPTY], group_by=BREAKDOWN)[0].by(0) == {}
    assert tally_buckets(org=org, time_range=EMPTY, interval="month") == {}


def test_accepts_an_org_or_its_key(org, q1_activities):
    assert tally(org=org.pk, ranges=[Q1], group_by=BREAKDOWN) == tally(org=org, ranges=[Q1], group_by=BREAKDOWN)
    assert count_activities(org=org.pk, time_range=Q1) == count_activities(org=org, time_range=Q1) == 3
    assert count_ranges(org=org.pk, ranges=[Q1]) == [3]
    assert tally_buckets(org=org.pk, time_range=Q1, interval="month") == tally_buckets(
        org=org, time_range=Q1, interval="month"
    )


def test_never_leaks_between_organisations(org, other_org, q1_activities):
    assert count_activities(org=other_org, time_range=Q1) == 1
    assert count_ranges(org=other_org, ranges=[Q1, parse_range("2026-02-01", "2026-02-28")]) == [1, 1]
    [theirs] = tally(org=other_org, ranges=[Q1], group_by=BREAKDOWN)
    assert theirs == Tally(1, 0, {("family_guidance", "completed"): Cell(1, 0)})
    assert sum(t.activity_count for t in tally_buckets(org=other_org, time_range=Q1, interval="day").values()) == 1


# --- grouping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "time_range",
    [Q1, YEAR_2026, parse_range("2025-12-31", "2025-12-31"), EMPTY],
    ids=["q1", "year", "one-day", "empty"],
)
@pytest.mark.parametrize(
    "group_by",
    [(), ("activity_type",), ("status",), ("location",), BREAKDOWN, ("status", "location", "activity_type")],
)
def test_grouped_totals_agree_with_the_plain_count(org, q1_activities, time_range, group_by):
    [result] = tally(org=org, ranges=[time_range], group_by=group_by)
    assert result.activity_count == count_activities(org=org, time_range=time_range)
    if group_by:
        assert sum(c.activity_count for c in result.groups.values()) == result.activity_count
        assert sum(c.participant_total for c in result.groups.values()) == result.participant_total
        for position in range(len(group_by)):
            assert sum(result.by(position).values()) == result.activity_count


def test_sums_add_up_to_the_count(org, make_activity):
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(12):
        make_activity(
            org,
            start + dt.timedelta(days=i),
            activity_type=("a", "b", "c")[i % 3],
            status=("planned", "completed")[i % 2],
            participant_count=i,
        )
    [result] = tally(org=org, ranges=[Q1], group_by=BREAKDOWN)
    assert result.activity_count == 12 == sum(result.by(0).values()) == sum(result.by(1).values())
    assert result.participant_total == sum(range(12))
    assert result.by(0) == {"a": 4, "b": 4, "c": 4}
    assert result.by(1) == {"completed": 6, "planned": 6}
    # a: i in 0,3,6,9 -> planned 0,6 (6 participants), completed 3,9 (12)
    assert result.groups[("a", "planned")] == Cell(2, 6)
    assert result.groups[("a", "completed")] == Cell(2, 12)
    assert len(result.groups) == 6


def test_group_keys_follow_the_group_by_order(org, q1_activities):
    [by_status_then_type] = tally(org=org, ranges=[Q1], group_by=("status", "activity_type"))
    assert set(by_status_then_type.groups) == {
        ("completed", "family_guidance"),
        ("planned", "peer_support"),
        ("cancelled", "peer_support"),
    }
    assert list(by_status_then_type.groups) == sorted(by_status_then_type.groups)
    assert by_status_then_type.by(1) == {"family_guidance": 1, "peer_support": 2}


def test_group_by_location(org, make_activity):
    make_activity(org, "2026-01-05T10:00:00Z", location="Oslo", participant_count=3)
    make_activity(org, "2026-01-06T10:00:00Z", location="Oslo", participant_count=2, status="planned")
    make_activity(org, "2026-01-07T10:00:00Z", location="Bergen", participant_count=1)
    make_activity(org, "2026-01-08T10:00:00Z", participant_count=5)  # no location: ""
    [result] = tally(org=org, ranges=[Q1], group_by=("location",))
    assert result == Tally(
        activity_count=4,
        participant_total=11,
        groups={("",): Cell(1, 5), ("Bergen",): Cell(1, 1), ("Oslo",): Cell(2, 5)},
    )
    assert result.by(0) == {"": 1, "Bergen": 1, "Oslo": 2}
    [by_location_and_status] = tally(org=org, ranges=[Q1], group_by=("location", "status"))
    assert by_location_and_status.groups[("Oslo", "completed")] == Cell(1, 3)
    assert by_location_and_status.groups[("Oslo", "planned")] == Cell(1, 2)
    assert by_location_and_status.by(1) == {"completed": 3, "planned": 1}


def test_group_by_in_many_ranges_groups_each_range(org, q1_activities):
    jan, feb, mar = (
        parse_range("2026-01-01T00:00:00Z", "2026-01-31T23:59:59Z"),
        parse_range("2026-02-01T00:00:00Z", "2026-02-28T23:59:59Z"),
        parse_range("2026-03-01T00:00:00Z", "2026-03-31T23:59:59Z"),
    )
    assert [t.groups for t in tally(org=org, ranges=[jan, feb, mar], group_by=BREAKDOWN)] == [
        {("family_guidance", "completed"): Cell(1, 4)},
        {("peer_support", "planned"): Cell(1, 2)},
        {("peer_support", "cancelled"): Cell(1, 1)},
    ]


@pytest.mark.parametrize("group_by", [("org",), ("participant_count",), ("status", "nope"), ("status", "status")])
def test_unknown_or_repeated_group_by_raises_value_error(org, group_by, django_assert_num_queries):
    with django_assert_num_queries(0):
        with pytest.raises(ValueError, match="group_by"):
            tally(org=org, ranges=[Q1], group_by=group_by)
        with pytest.raises(ValueError, match="group_by"):
            tally_buckets(org=org, time_range=Q1, interval="month", group_by=group_by)


# --- local calendar buckets ------------------------------------------------------------


def counts_of(buckets: dict[dt.date, Tally]) -> dict[dt.date, int]:
    return {day: t.activity_count for day, t in buckets.items()}


def test_buckets_are_one_query(org, q1_activities, django_assert_num_queries):
    with django_assert_num_queries(1):
        tally_buckets(org=org, time_range=YEAR_2026, interval="month", group_by=BREAKDOWN)


def test_month_buckets_use_the_oslo_calendar(org, make_activity):
    make_activity(org, "2026-01-31T22:59:59Z")  # 23:59:59 local, January
    make_activity(org, "2026-01-31T23:30:00Z")  # 00:30 local on 1 February
    make_activity(org, "2026-03-31T21:59:59Z")  # 23:59:59 CEST, March
    make_activity(org, "2026-03-31T22:00:00Z")  # 00:00 CEST on 1 April
    buckets = tally_buckets(org=org, time_range=YEAR_2026, interval="month")
    assert counts_of(buckets) == {
        dt.date(2026, 1, 1): 1,
        dt.date(2026, 2, 1): 1,
        dt.date(2026, 3, 1): 1,
        dt.date(2026, 4, 1): 1,
    }
    assert list(buckets) == sorted(buckets)  # keyed by first local day, in order, empty ones absent


def test_day_buckets_on_the_23_hour_spring_forward_day(org, make_activity):
    # 2026-03-29 in Oslo: 2026-03-28T23:00Z .. 2026-03-29T21:59:59Z (23 hours).
    make_activity(org, "2026-03-28T22:59:59Z")  # 28th, 23:59:59 CET
    make_activity(org, "2026-03-28T23:00:00Z")  # 29th, 00:00 CET
    make_activity(org, "2026-03-29T21:59:59Z")  # 29th, 23:59:59 CEST
    make_activity(org, "2026-03-29T22:00:00Z")  # 30th, 00:00 CEST
    make_activity(org, "2026-03-29T22:30:00Z")  # 30th, 00:30 CEST
    buckets = tally_buckets(org=org, time_range=parse_range("2026-03-28", "2026-03-30"), interval="day")
    assert counts_of(buckets) == {dt.date(2026, 3, 28): 1, dt.date(2026, 3, 29): 2, dt.date(2026, 3, 30): 2}


def test_day_buckets_on_the_25_hour_fall_back_day(org, make_activity):
    # 2026-10-25 in Oslo: 2026-10-24T22:00Z .. 2026-10-25T22:59:59Z (25 hours).
    make_activity(org, "2026-10-24T21:59:59Z")  # 24th, 23:59:59 CEST
    make_activity(org, "2026-10-24T22:00:00Z")  # 25th, 00:00 CEST
    make_activity(org, "2026-10-25T00:30:00Z")  # 25th, 02:30 CEST (first pass)
    make_activity(org, "2026-10-25T01:30:00Z")  # 25th, 02:30 CET (second pass)
    make_activity(org, "2026-10-25T22:59:59Z")  # 25th, 23:59:59 CET
    make_activity(org, "2026-10-25T23:00:00Z")  # 26th, 00:00 CET
    buckets = tally_buckets(org=org, time_range=parse_range("2026-10-24", "2026-10-26"), interval="day")
    assert counts_of(buckets) == {dt.date(2026, 10, 24): 1, dt.date(2026, 10, 25): 4, dt.date(2026, 10, 26): 1}
    assert count_activities(org=org, time_range=parse_range("2026-10-25", "2026-10-25")) == 4


def test_week_buckets_start_on_local_monday(org, make_activity):
    make_activity(org, "2026-03-29T21:30:00Z")  # Sunday 23:30 CEST: week of Monday 23 March
    make_activity(org, "2026-03-29T22:30:00Z")  # Monday 30 March 00:30 CEST
    make_activity(org, "2026-03-22T23:00:00Z")  # Monday 23 March 00:00 CET
    buckets = tally_buckets(org=org, time_range=YEAR_2026, interval="week")
    assert counts_of(buckets) == {dt.date(2026, 3, 23): 2, dt.date(2026, 3, 30): 1}


def test_quarter_buckets(org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z")
    make_activity(org, "2026-03-31T21:59:59Z")  # 31 March 23:59:59 CEST: Q1
    make_activity(org, "2026-03-31T22:30:00Z")  # 1 April 00:30 CEST: Q2
    make_activity(org, "2026-09-30T22:00:00Z")  # 1 October 00:00 CEST: Q4
    make_activity(org, "2026-12-31T22:59:59Z")  # 31 December 23:59:59 CET: Q4
    buckets = tally_buckets(org=org, time_range=YEAR_2026, interval="quarter")
    assert counts_of(buckets) == {dt.date(2026, 1, 1): 2, dt.date(2026, 4, 1): 1, dt.date(2026, 10, 1): 2}


def test_year_buckets(org, make_activity):
    make_activity(org, "2025-12-31T22:59:59Z")  # 2025 locally
    make_activity(org, "2025-12-31T23:00:00Z")  # 2026-01-01 00:00 locally
    make_activity(org, "2026-12-31T22:59:59Z")  # 2026
    make_activity(org, "2026-12-31T23:00:00Z")  # 2027
    buckets = tally_buckets(org=org, time_range=parse_range("2025-01-01", "2027-12-31"), interval="year")
    assert counts_of(buckets) == {dt.date(2025, 1, 1): 1, dt.date(2026, 1, 1): 2, dt.date(2027, 1, 1): 1}


def test_buckets_only_count_inside_the_range(org, q1_activities):
    buckets = tally_buckets(org=org, time_range=Q1, interval="month")
    # Q1 in UTC: the 23:59:59.5Z activity is 1 April locally, but inside the range.
    assert counts_of(buckets) == {dt.date(2026, 1, 1): 1, dt.date(2026, 2, 1): 1, dt.date(2026, 4, 1): 1}


def test_grouped_buckets(org, q1_activities):
    # YEAR_2026 is in local days: 2025-12-31T23:59:59.999Z (00:59 on 1 January) is in Q1,
    # 2026-03-31T23:59:59.5Z (01:59 on 1 April) in Q2.
    buckets = tally_buckets(org=org, time_range=YEAR_2026, interval="quarter", group_by=BREAKDOWN)
    assert buckets == {
        dt.date(2026, 1, 1): Tally(
            3, 6, {("family_guidance", "completed"): Cell(2, 4), ("peer_support", "planned"): Cell(1, 2)}
        ),
        dt.date(2026, 4, 1): Tally(
            2, 1, {("family_guidance", "completed"): Cell(1, 0), ("peer_support", "cancelled"): Cell(1, 1)}
        ),
    }


@pytest.fixture
def spread(org, other_org, make_activity):
    """Activities every ~31 hours through 2026 and its edges (DST days included)."""
    at = dt.datetime(2025, 12, 30, tzinfo=UTC)
    i = 0
    while at < dt.datetime(2027, 1, 2, tzinfo=UTC):
        make_activity(
            org,
            at,
            activity_type=("a", "b")[i % 2],
            status=("planned", "completed", "cancelled")[i % 3],
            participant_count=i % 4,
            location=("", "Oslo", "Tromsø")[i % 3],
        )
        at += dt.timedelta(hours=31, minutes=7)
        i += 1
    for day in ("2026-03-29T22:30:00Z", "2026-10-25T01:30:00Z", "2026-10-24T22:00:00Z"):
        make_activity(org, day)
    make_activity(other_org, "2026-06-01T12:00:00Z")


@pytest.mark.parametrize("interval", ["day", "week", "month", "quarter", "year"])
@pytest.mark.parametrize(
    "time_range",
    [YEAR_2026, Q1, parse_range("2026-03-29", "2026-03-30"), parse_range("2026-10-25", "2026-10-25")],
    ids=["year", "q1-utc", "spring-forward", "fall-back"],
)
def test_buckets_add_up_to_the_count(org, spread, interval, time_range):
    buckets = tally_buckets(org=org, time_range=time_range, interval=interval, group_by=("location",))
    total = count_activities(org=org, time_range=time_range)
    assert total > 0
    assert sum(t.activity_count for t in buckets.values()) == total
    [whole] = tally(org=org, ranges=[time_range])
    assert sum(t.participant_total for t in buckets.values()) == whole.participant_total
    for bucket in buckets.values():
        assert sum(c.activity_count for c in bucket.groups.values()) == bucket.activity_count
