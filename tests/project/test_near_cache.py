"""lib.cache.NearCache: the process-local front of the count cache."""

from __future__ import annotations

import time

from lib.cache import NearCache


def test_hits_what_was_set_and_misses_the_rest():
    near = NearCache(max_entries=10, seconds=60)
    near.set_many({"a": 1, "b": 0})
    assert near.get_many(["a", "b", "c"]) == {"a": 1, "b": 0}  # a count of 0 is a hit too


def test_entries_expire(monkeypatch):
    near = NearCache(max_entries=10, seconds=60)
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    near.set_many({"a": 1})
    monkeypatch.setattr(time, "monotonic", lambda: now + 59.9)
    assert near.get_many(["a"]) == {"a": 1}
    monkeypatch.setattr(time, "monotonic", lambda: now + 60.0)
    assert near.get_many(["a"]) == {}
    assert len(near) == 0  # an expired entry is dropped when found


def test_the_least_recently_used_go_first():
    near = NearCache(max_entries=2, seconds=60)
    near.set_many({"a": 1, "b": 2})
    near.get_many(["a"])  # a is now the most recent
    near.set_many({"c": 3})
    assert near.get_many(["a", "b", "c"]) == {"a": 1, "c": 3}
    assert len(near) == 2


def test_a_write_through_the_services_is_seen_by_the_next_count(db):
    """The near cache is keyed like the shared one (change marker): never stale."""
    import datetime as dt

    from activities import services
    from activities.counting import live_counts, near_counts
    from activities.models import Organization
    from lib.timeranges import parse_range

    org = Organization.objects.create(org_id="org-near", name="Near")
    year = parse_range("2026-01-01", "2026-12-31")
    assert live_counts(org=org, ranges=[year]) == [0]
    assert len(near_counts) == 1
    services.activities_create(
        items=[services.ActivityData(org=org, activity_type="x", recorded_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))]
    )
    assert live_counts(org=org, ranges=[year]) == [1]
