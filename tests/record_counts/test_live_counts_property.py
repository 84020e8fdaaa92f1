"""Property: after any sequence of activity changes, every count snapshot equals a fresh count."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities import services
from activities.models import Activity, Organization
from lib.timeranges import DateTimeRange
from record_counts.models import CountSnapshot
from tests.conftest import live_count

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
# Instants on and around the snapshot boundaries below, with sub-second fractions.
instants = st.builds(
    lambda seconds, micro: BASE + dt.timedelta(seconds=seconds, microseconds=micro),
    st.integers(min_value=-3, max_value=40),
    st.sampled_from([0, 1, 500_000, 999_999]),
)
orgs = st.integers(min_value=0, max_value=1)
ops = st.one_of(
    st.tuples(st.just("create"), st.lists(st.tuples(orgs, instants), min_size=1, max_size=5)),
    st.tuples(st.just("move"), st.integers(0, 50), instants),
    st.tuples(st.just("reorg"), st.integers(0, 50), orgs),
    st.tuples(st.just("delete"), st.lists(st.integers(0, 50), min_size=1, max_size=4)),
    st.tuples(st.just("upsert"), st.lists(st.tuples(st.integers(0, 8), orgs, instants), min_size=1, max_size=4)),
)
RANGES = [
    (BASE, BASE + dt.timedelta(seconds=10)),
    (BASE + dt.timedelta(seconds=10, microseconds=500_000), BASE + dt.timedelta(seconds=20)),
    (BASE - dt.timedelta(seconds=2), BASE + dt.timedelta(seconds=35)),
    (BASE + dt.timedelta(seconds=5), BASE + dt.timedelta(seconds=5)),
]


def pick(index: int) -> Activity | None:
    ids = list(Activity.objects.order_by("pk").values_list("pk", flat=True))
    return Activity.objects.get(pk=ids[index % len(ids)]) if ids else None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(ops, min_size=1, max_size=12))
def test_every_snapshot_matches_a_fresh_count(db, sequence):
    with transaction.atomic():
        org_rows = [Organization.objects.get_or_create(org_id=f"org-p{i}", defaults={"name": "p"})[0] for i in (0, 1)]
        snapshots = [
            CountSnapshot.objects.create(org=o, range_start=s, range_end=e, snapshot_at=BASE)
            for o in org_rows
            for s, e in RANGES
        ]
        for op in sequence:
            kind = op[0]
            if kind == "create":
                services.activities_create(
                    items=[services.ActivityData(org=org_rows[o], activity_type="t", recorded_at=at) for o, at in op[1]]
                )
            elif kind == "move" and (a := pick(op[1])):
                services.activity_update(activity=a, changes={"recorded_at": op[2]})
            elif kind == "reorg" and (a := pick(op[1])):
                services.activity_update(activity=a, changes={"org": org_rows[op[2]]})
            elif kind == "delete":
                chosen = [a for i in op[1] if (a := pick(i))]
                services.activities_delete(activities=chosen)
            elif kind == "upsert":
                by_id = {
                    f"act-up-{n}": services.ActivityData(
                        activity_id=f"act-up-{n}", org=org_rows[o], activity_type="t", recorded_at=at
                    )
                    for n, o, at in op[1]
                }
                services.activities_upsert(items=list(by_id.values()))
        for snapshot in snapshots:
            snapshot.record_count = live_count(snapshot)
            fresh = (
                Activity.objects.for_org(snapshot.org_id)
                .in_range(DateTimeRange(snapshot.range_start, snapshot.range_end))
                .count()
            )
            assert snapshot.record_count == fresh, (snapshot.range_start, snapshot.range_end, sequence)
        transaction.set_rollback(True)
