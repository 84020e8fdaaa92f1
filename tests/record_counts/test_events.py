"""Live count events: sent after commit, one per changed snapshot per transaction."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.db import transaction

from activities import services
from activities.importing import import_activities
from lib.timeranges import parse_range
from record_counts import events
from record_counts.models import CountSnapshot
from record_counts.services import count_snapshot_delete, count_snapshot_refresh, count_snapshot_upsert

Q1 = parse_range("2026-01-01T00:00:00Z", "2026-03-31T23:59:59Z")
YEAR = parse_range("2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z")
FEB = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)


@pytest.fixture
def sent(monkeypatch):
    calls: list[tuple[str, str, dict]] = []
    monkeypatch.setattr(events, "send_event", lambda channel, kind, data: calls.append((channel, kind, data)))
    return calls


def data(org, at, **fields):
    return services.ActivityData(org=org, activity_type="peer_support", recorded_at=at, **fields)


def test_one_transaction_sends_one_event_per_changed_snapshot_with_the_final_count(
    org, other_org, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        q1 = count_snapshot_upsert(org=org, time_range=Q1)
        year = count_snapshot_upsert(org=org, time_range=YEAR)
        count_snapshot_upsert(org=other_org, time_range=Q1)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.activities_create(items=[data(org, FEB + dt.timedelta(minutes=i)) for i in range(100)])
        for i in range(20):  # twenty more transactions' worth of changes, in the same one
            services.activity_create(data=data(org, FEB + dt.timedelta(days=100, minutes=i)))
    assert sorted((c, d["record_count"]) for c, _, d in sent) == sorted(
        [(events.channel_for(q1.pk), 100), (events.channel_for(year.pk), 120)]
    )
    year.refresh_from_db()
    (payload,) = [d for c, _, d in sent if c == events.channel_for(year.pk)]
    assert payload[events.VERSION_KEY] == year.version
    assert payload[events.RANGE_KEY] == events.range_key(YEAR)


def test_an_import_in_many_batches_is_one_event_per_snapshot(org, sent, tmp_path: Path, transactional_db):
    snapshot = count_snapshot_upsert(org=org, time_range=Q1)
    sent.clear()
    csv = tmp_path / "rows.csv"
    rows = [f"act-b{i},{org.org_id},peer_support,2026-02-01T00:{i // 60:02d}:{i % 60:02d}Z" for i in range(250)]
    csv.write_text("activity_id,org_id,activity_type,recorded_at\n" + "\n".join(rows) + "\n")
    assert import_activities(path=csv, batch_size=10).created == 250
    assert [(c, d["record_count"]) for c, _, d in sent] == [(events.channel_for(snapshot.pk), 250)]


def test_nothing_is_sent_for_a_rolled_back_change(org, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        count_snapshot_upsert(org=org, time_range=Q1)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.activity_create(data=data(org, FEB))
        transaction.set_rollback(True)
    assert sent == []


def test_refresh_sends_the_count_and_a_move_ends_the_old_ranges_streams(org, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = count_snapshot_upsert(org=org, time_range=Q1)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        count_snapshot_refresh(snapshot=snapshot)
    assert [(kind, d["record_count"]) for _, kind, d in sent] == [(events.EVENT_TYPE, 0)]
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        count_snapshot_refresh(snapshot=snapshot, time_range=YEAR)
    assert sent == [(events.channel_for(snapshot.pk), events.DELETED_EVENT, {})]


def test_delete_ends_the_snapshots_streams_after_commit(org, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = count_snapshot_upsert(org=org, time_range=Q1)
    pk = snapshot.pk
    sent.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert count_snapshot_delete(snapshot=snapshot) == f"count-snapshot-{pk:03d}"
    assert sent == []  # not before commit
    for callback in callbacks:
        callback()
    assert sent == [(events.channel_for(pk), events.DELETED_EVENT, {})]
    assert not CountSnapshot.objects.filter(pk=pk).exists()


def test_every_count_change_bumps_the_version(org, make_activity):
    snapshot = count_snapshot_upsert(org=org, time_range=Q1)
    versions = [snapshot.version]
    make_activity(org, "2026-02-01T00:00:00Z")
    snapshot.refresh_from_db()
    versions.append(snapshot.version)
    make_activity(org, "2026-06-01T00:00:00Z")  # outside: no change
    snapshot.refresh_from_db()
    versions.append(snapshot.version)
    versions.append(count_snapshot_refresh(snapshot=snapshot).version)
    assert versions == [1, 2, 2, 3]


def test_the_event_payload_is_the_contract_shape_plus_internal_keys(org, make_activity):
    make_activity(org, "2026-02-01T00:00:00Z")
    snapshot = count_snapshot_upsert(org=org, time_range=Q1)
    (live,) = events.live_counts(snapshot_pks=[snapshot.pk])
    payload = json.loads(json.dumps(events.count_payload(live)))
    assert set(payload) - {events.VERSION_KEY, events.RANGE_KEY} == {
        "org_id",
        "record_count",
        "is_complete",
        "timestamp",
    }
    assert (payload["org_id"], payload["record_count"]) == (org.org_id, 1)
