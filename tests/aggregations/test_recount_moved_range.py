"""A re-count never stores figures of a range the snapshot no longer holds (a PUT moved
it meanwhile): refresh and re-aggregation count the ranges of the rows they lock."""

from __future__ import annotations

import datetime as dt

from aggregations.models import AggregationSnapshot
from aggregations.services import snapshot_create, snapshot_reaggregate, snapshots_reaggregate
from lib.timeranges import parse_range
from record_counts.models import CountSnapshot
from record_counts.services import count_snapshot_refresh, count_snapshot_upsert, count_snapshots_refresh

JAN = parse_range("2026-01-01", "2026-01-31")
FEB = parse_range("2026-02-01", "2026-02-28")


def world(org, make_activity):
    for day in range(1, 11):  # ten in January, two in February
        make_activity(org, dt.datetime(2026, 1, day, 10, tzinfo=dt.UTC))
    for day in (3, 4):
        make_activity(org, dt.datetime(2026, 2, day, 10, tzinfo=dt.UTC))


def test_a_count_refresh_with_a_stale_snapshot_counts_the_range_it_holds_now(org, make_activity):
    world(org, make_activity)
    stale = count_snapshot_upsert(org=org, time_range=JAN)  # the cron loaded it while it held January
    count_snapshot_refresh(snapshot=CountSnapshot.objects.get(pk=stale.pk), time_range=FEB)  # a PUT moves it
    assert count_snapshots_refresh(snapshots=[stale]) == (1, 0, 0)
    stored = CountSnapshot.objects.get(pk=stale.pk)
    assert (stored.range_start, stored.record_count) == (FEB.start, 2)


def test_a_reaggregation_with_a_stale_snapshot_counts_the_range_it_holds_now(org, make_activity):
    world(org, make_activity)
    stale = snapshot_create(org=org, time_range=JAN)
    snapshot_reaggregate(snapshot=AggregationSnapshot.objects.get(pk=stale.pk), time_range=FEB)
    result = snapshots_reaggregate(snapshots=[stale])
    assert (result.checked, result.failed) == (1, 0)
    stored = AggregationSnapshot.objects.get(pk=stale.pk)
    assert (stored.range_start, stored.activity_count, stored.by_activity_type) == (
        FEB.start,
        2,
        {"family_guidance": 2},
    )


def test_a_snapshot_deleted_meanwhile_drops_out(org, make_activity):
    world(org, make_activity)
    stale = count_snapshot_upsert(org=org, time_range=JAN)
    CountSnapshot.objects.filter(pk=stale.pk).delete()
    assert count_snapshots_refresh(snapshots=[stale]) == (0, 0, 0)
