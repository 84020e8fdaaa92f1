"""live_counts: exact counts, answered from the cache only for the committed state they
were counted from (activities.counting, ActivityChange)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections, transaction

from activities import services
from activities.counting import change_marker, count_ranges, live_counts
from activities.models import ActivityChange
from lib.timeranges import parse_range
from tests.conftest import postgres_only

Q1 = parse_range("2026-01-01", "2026-03-31")
FEB = parse_range("2026-02-01", "2026-02-28")
T = dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC)


@pytest.fixture
def add(django_capture_on_commit_callbacks):
    """A write that commits (its after-commit work runs), as every request's does."""

    def write(org, at=T):
        with django_capture_on_commit_callbacks(execute=True):
            return services.activity_create(data=services.ActivityData(org=org, activity_type="x", recorded_at=at))

    return write


def test_a_second_read_of_an_unchanged_state_is_the_marker_only(org, add, django_assert_num_queries):
    add(org)
    assert count_ranges(org=org, ranges=[Q1, FEB]) == [1, 1]
    with django_assert_num_queries(2):  # the marker, then the count
        assert live_counts(org=org, ranges=[Q1, FEB]) == [1, 1]
    with django_assert_num_queries(1):  # the marker: nothing committed since
        assert live_counts(org=org, ranges=[Q1, FEB]) == [1, 1]


def test_every_committed_write_moves_the_marker_and_the_count_follows(
    org, other_org, add, django_capture_on_commit_callbacks
):
    before = change_marker(org=org)
    assert live_counts(org=org, ranges=[Q1]) == [0]
    activity = add(org)
    assert change_marker(org=org) == before + 1
    assert live_counts(org=org, ranges=[Q1]) == [1]
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_update(activity=activity, changes={"org": other_org})
    assert live_counts(org=org, ranges=[Q1]) == [0]
    assert live_counts(org=other_org, ranges=[Q1]) == [1]


def test_a_rolled_back_write_leaves_the_marker_alone(org, add):
    before = change_marker(org=org)
    with pytest.raises(RuntimeError), transaction.atomic():
        add(org)
        raise RuntimeError("rolled back")
    assert change_marker(org=org) == before


def test_the_marker_follows_commit_order_not_id_order(org):
    # Ids are handed out at insert: a transaction that commits later may carry a smaller
    # one. The newest id would then not move; the sum of weights does.
    ActivityChange.objects.create(id=1000, org=org)
    seen = change_marker(org=org)
    ActivityChange.objects.create(id=500, org=org)
    assert change_marker(org=org) == seen + 1


def test_compaction_keeps_the_marker_and_one_row_per_organisation(org, other_org, add):
    for _ in range(5):
        add(org)
    add(other_org)
    markers = (change_marker(org=org), change_marker(org=other_org))
    assert services.activity_changes_compact() == 4
    assert (change_marker(org=org), change_marker(org=other_org)) == markers
    assert ActivityChange.objects.filter(org=org).count() == 1
    assert services.activity_changes_compact() == 0


def test_a_transaction_that_wrote_counts_directly_and_caches_nothing(org, add):
    assert live_counts(org=org, ranges=[Q1]) == [0]  # cached for the committed state
    with pytest.raises(RuntimeError), transaction.atomic():
        services.activity_create(data=services.ActivityData(org=org, activity_type="x", recorded_at=T))
        assert live_counts(org=org, ranges=[Q1]) == [1]  # its own write, not the cached 0
        services.activity_create(data=services.ActivityData(org=org, activity_type="x", recorded_at=T))
        assert live_counts(org=org, ranges=[Q1]) == [2]
        raise RuntimeError("rolled back")
    assert live_counts(org=org, ranges=[Q1]) == [0]  # nothing of the rolled-back state was kept


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_is_not_counted_until_it_commits(org, add):
    """As during a long import: readers keep their cached count, then see the commit."""
    assert live_counts(org=org, ranges=[Q1]) == [0]
    written, release = threading.Event(), threading.Event()

    def import_in_progress() -> None:
        try:
            with transaction.atomic():
                add(org)
                written.set()
                release.wait(10)
        finally:
            connections.close_all()

    writer = threading.Thread(target=import_in_progress)
    writer.start()
    assert written.wait(10)
    assert live_counts(org=org, ranges=[Q1]) == [0]  # uncommitted: not there, not cached wrongly
    release.set()
    writer.join(10)
    assert live_counts(org=org, ranges=[Q1]) == [1]


def test_cache_keys_name_the_database(org, settings):
    from activities.counting import committed_state

    state = committed_state(org=org)
    from django.db import connection

    name = connection.settings_dict["NAME"]
    try:
        connection.settings_dict["NAME"] = f"{name}-staging"
        assert committed_state(org=org) != state
    finally:
        connection.settings_dict["NAME"] = name


@pytest.mark.django_db(transaction=True)  # committed writes: a test transaction would hide them
def test_the_committed_state_moves_with_every_write_and_is_none_inside_one(org, make_activity):
    from django.db import transaction

    from activities.counting import committed_state

    before = committed_state(org=org)
    make_activity(org, "2026-02-01T10:00:00Z")
    after = committed_state(org=org)
    assert before is not None and after is not None and after != before
    with transaction.atomic():
        make_activity(org, "2026-02-02T10:00:00Z")
        assert committed_state(org=org) is None  # this transaction's own writes may roll back


def test_writers_fold_the_markers_now_and_then_and_the_marker_stays_exact(org, add, monkeypatch):
    from activities import events

    monkeypatch.setattr(events, "COMPACT_EVERY", 10)
    before = change_marker(org=org)
    for n in range(1, 26):
        add(org)
        assert change_marker(org=org) == before + n  # every write moves it, folded or not
    # Folded after the 10th and the 20th write: one row for those, then the five since.
    assert ActivityChange.objects.filter(org=org).count() == 6
    assert live_counts(org=org, ranges=[Q1]) == [25]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_compactions_and_writes_keep_the_sum_and_never_wait_for_each_other(org):
    from activities.events import compact_markers

    ActivityChange.objects.bulk_create([ActivityChange(org=org) for _ in range(300)])
    written = 0
    errors: list[BaseException] = []
    stop = threading.Event()

    def compacting() -> None:
        try:
            while not stop.is_set():
                compact_markers(org.pk)
        except BaseException as exc:  # a deadlock or lock timeout would land here
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=compacting) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(200):
            ActivityChange.objects.create(org=org)  # a writer's marker, in its own transaction
            written += 1
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert errors == []
    assert change_marker(org=org) == 300 + written
    compact_markers(org.pk)
    assert list(ActivityChange.objects.filter(org=org).values_list("weight", flat=True)) == [300 + written]
