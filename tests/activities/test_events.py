"""The one gateway for "activities changed": once per transaction, after commit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction

from activities import events, services
from activities.events import ActivitiesChanged, coalesce
from activities.importing import import_activities
from activities.models import Activity

T = dt.datetime(2026, 2, 1, 10, tzinfo=dt.UTC)


@pytest.fixture
def heard():
    got: list[list[ActivitiesChanged]] = []
    events.subscribe(got.append)
    yield got
    events.unsubscribe(got.append)


def add(org, at, **kw):
    return services.activity_create(data=services.ActivityData(org=org, activity_type="x", recorded_at=at, **kw))


def test_a_write_is_announced_once_after_commit(org, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        add(org, T)
        assert heard == []  # nothing inside the transaction
    for callback in callbacks:
        callback()
    assert heard == [[ActivitiesChanged(org.pk, ((T, T),))]]


def test_a_move_announces_where_it_left_and_where_it_arrived(org, other_org, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        activity = add(org, T)
    heard.clear()
    later = T + dt.timedelta(days=40)
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_update(activity=activity, changes={"org": other_org, "recorded_at": later})
    assert heard == [[ActivitiesChanged(org.pk, ((T, T),)), ActivitiesChanged(other_org.pk, ((later, later),))]]


def test_an_unchanged_instant_announces_nothing(org, heard, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        activity = add(org, T)
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_update(activity=activity, changes={"location": "Bergen"})
    assert heard == []


def test_nothing_is_announced_for_a_rolled_back_change(org, heard, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Exception, match="An activity with this activity_id already exists"),
    ):
        services.activities_create(
            items=[
                services.ActivityData(org=org, activity_type="x", recorded_at=T, activity_id="dup"),
                services.ActivityData(org=org, activity_type="x", recorded_at=T, activity_id="dup-2"),
            ]
        )
        services.activities_create(
            items=[services.ActivityData(org=org, activity_type="x", recorded_at=T, activity_id="dup")]
        )
    assert [c for batch in heard for c in batch] == [ActivitiesChanged(org.pk, ((T, T),))]  # only the first


def test_an_import_in_many_batches_is_one_announcement(org, heard, tmp_path: Path, transactional_db):
    rows = ["activity_id,org_id,activity_type,recorded_at,participant_count,location,status"]
    for i in range(250):
        at = (T + dt.timedelta(hours=i)).isoformat()
        rows.append(f"imp-{i},{org.org_id},x,{at},1,,completed")
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(rows) + "\n")
    result = import_activities(path=path, batch_size=40)
    assert result.written
    assert len(heard) == 1
    (change,) = heard[0]
    assert change.org_pk == org.pk and len(change.spans) <= events.MAX_SPANS
    assert change.spans[0][0] == T and change.spans[-1][1] == T + dt.timedelta(hours=249)


def test_coalesced_spans_cover_every_instant_and_stay_bounded():
    instants = [T + dt.timedelta(minutes=m * m) for m in range(500)]
    spans = coalesce([(t, t) for t in instants], max_spans=8)
    assert len(spans) == 8
    assert all(any(a <= t <= b for a, b in spans) for t in instants)
    assert list(spans) == sorted(spans)
    # The widest gaps stay open: the last instants (far apart) keep spans of their own.
    assert spans[-1] == (instants[-1], instants[-1])


def test_touches_is_the_range_rule_on_spans():
    change = ActivitiesChanged(1, ((T, T),))
    assert change.touches(T, T + dt.timedelta(seconds=1))
    assert not change.touches(T - dt.timedelta(seconds=1), T)  # the end is exclusive
    assert not change.touches(T + dt.timedelta(microseconds=1), T + dt.timedelta(seconds=1))


def test_a_rolled_back_transaction_leaves_nothing_for_the_next_one(org, heard, django_capture_on_commit_callbacks):
    with pytest.raises(RuntimeError), transaction.atomic():
        add(org, T)
        raise RuntimeError("rolled back")
    later = T + dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        add(org, later)
    assert heard == [[ActivitiesChanged(org.pk, ((later, later),))]]


def test_a_failing_listener_never_fails_the_write(org, django_capture_on_commit_callbacks):
    def broken(changes):
        raise RuntimeError("listener bug")

    events.subscribe(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            created = add(org, T)
    finally:
        events.unsubscribe(broken)
    assert len(callbacks) == 1  # the announcement ran (and the listener raised inside it)
    assert Activity.objects.filter(pk=created.pk).exists()
