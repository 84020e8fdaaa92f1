"""``activity_events``: the changes to an organisation's period since an instant, each
with when and by whom (what a submitted period's drift will list)."""

from __future__ import annotations

import datetime as dt

import time_machine

from activities import services
from activities.history import acting_as, activity_events
from lib.timeranges import DateTimeRange

UTC = dt.UTC
JANUARY = DateTimeRange(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC))
SUBMITTED = dt.datetime(2026, 2, 5, 12, tzinfo=UTC)


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 2, day, hour, tzinfo=UTC)


def listed(org, since=SUBMITTED):  # type: ignore[no-untyped-def]
    return [
        (e.activity_id, e.action, e.actor_label, e.at)
        for e in activity_events(org=org, time_range=JANUARY, since=since)
    ]


def test_lists_exactly_the_changes_to_the_period_after_since(org, other_org, make_activity):
    with time_machine.travel(at(1), tick=False):
        kept = make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-kept")
        edge = make_activity(org, "2026-01-31T23:30:00Z", activity_id="act-edge")
        moved = make_activity(org, "2026-01-12T10:00:00Z", activity_id="act-moved")
        gone = make_activity(org, "2026-01-13T10:00:00Z", activity_id="act-gone")
        outside = make_activity(org, "2026-03-01T10:00:00Z", activity_id="act-outside")
        theirs = make_activity(other_org, "2026-01-14T10:00:00Z", activity_id="act-theirs")
    with time_machine.travel(at(6), tick=False), acting_as("API key Oslo office sync"):
        make_activity(org, "2026-01-20T10:00:00Z", activity_id="act-new")
    with time_machine.travel(at(7), tick=False), acting_as("kari"):
        # Across the period's edge: it leaves January for February.
        services.activity_update(activity=edge, changes={"recorded_at": dt.datetime(2026, 2, 1, 0, 30, tzinfo=UTC)})
    with time_machine.travel(at(8), tick=False), acting_as("import #12 by kari"):
        services.activity_update(activity=moved, changes={"org": other_org})
    with time_machine.travel(at(9), tick=False), acting_as("kari"):
        services.activity_delete(activity=gone)
        services.activity_update(activity=outside, changes={"participant_count": 9})  # not in January
        services.activity_update(activity=theirs, changes={"participant_count": 9})  # not this organisation
    assert kept.pk
    assert listed(org) == [
        ("act-new", "create", "API key Oslo office sync", at(6)),
        ("act-edge", "change", "kari", at(7)),
        ("act-moved", "move", "import #12 by kari", at(8)),
        ("act-gone", "delete", "kari", at(9)),
    ]
    # The organisation the activity moved to sees it arrive; its own change shows too.
    assert [(a, action) for a, action, _, _ in listed(other_org)] == [("act-moved", "move"), ("act-theirs", "change")]


def test_a_change_into_the_period_is_listed(org, make_activity):
    with time_machine.travel(at(1), tick=False):
        later = make_activity(org, "2026-02-02T10:00:00Z", activity_id="act-later")
    with time_machine.travel(at(6), tick=False):
        services.activity_update(activity=later, changes={"recorded_at": dt.datetime(2026, 1, 31, 10, tzinfo=UTC)})
    assert [(a, action) for a, action, _, _ in listed(org)] == [("act-later", "change")]


def test_without_since_every_event_of_the_period(org, make_activity):
    with time_machine.travel(at(1), tick=False):
        make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-1")
    assert [(a, action) for a, action, _, _ in listed(org, since=None)] == [("act-1", "create")]
    assert listed(org) == []  # nothing after the submission


def test_is_one_query(org, make_activity, django_assert_num_queries):
    with time_machine.travel(at(6), tick=False):
        for n in range(3):
            make_activity(org, "2026-01-10T10:00:00Z", activity_id=f"act-{n}")
    with django_assert_num_queries(1):
        events = list(activity_events(org=org, time_range=JANUARY, since=SUBMITTED))
        assert [e.org.org_id for e in events] == [org.org_id] * 3
