"""The rules alone and together, one reason per excluded activity, the same-day rule
across an Oslo midnight and the DST switches (schemes.rules: pure, no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activities.selection import ActivityRow
from schemes.rules import REASONS, RowOrderError, Rules, judge, summarise

UTC = dt.UTC
STATUSES = ("planned", "completed", "cancelled")
TYPES = ("peer_support", "family_guidance", "group_session")
PEER = Rules(
    statuses=frozenset({"completed"}),
    min_participants=3,
    min_duration_minutes=45,
    in_person_required=True,
    one_per_type_per_day=True,
)


def row(at: str, *, id: str = "act-1", type: str = "peer_support", status: str = "completed",
        participants: int = 5, minutes: int | None = 60, in_person: bool | None = True) -> ActivityRow:  # fmt: skip
    when = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    return ActivityRow(id, when, type, status, participants, minutes, in_person, "")


def reasons(rules: Rules, rows: list[ActivityRow]) -> list[str | None]:
    return [v.reason for v in judge(rules, rows)]


def test_the_default_counts_completed_activities_only():
    rows = [row("2026-02-01T10:00:00Z", id=f"a{i}", status=s) for i, s in enumerate(STATUSES)]
    assert reasons(Rules(), rows) == ["status", None, "status"]


@pytest.mark.parametrize(
    ("rules", "fields", "reason"),
    [
        (Rules(statuses=frozenset({"completed"})), {"status": "planned"}, "status"),
        (Rules(activity_types=frozenset({"peer_support"})), {"type": "family_guidance"}, "activity_type"),
        (Rules(min_participants=3), {"participants": 2}, "participants"),
        (Rules(min_duration_minutes=45), {"minutes": 44}, "duration"),
        (Rules(min_duration_minutes=45), {"minutes": None}, "unknown_field"),
        (Rules(in_person_required=True), {"in_person": False}, "in_person"),
        (Rules(in_person_required=True), {"in_person": None}, "unknown_field"),
    ],
)
def test_each_rule_alone(rules, fields, reason):
    assert reasons(rules, [row("2026-02-01T10:00:00Z", **fields)]) == [reason]


@pytest.mark.parametrize(
    ("rules", "fields"),
    [
        (Rules(min_participants=3), {"participants": 3}),
        (Rules(min_duration_minutes=45), {"minutes": 45}),
        (Rules(activity_types=frozenset({"peer_support"})), {}),
        (Rules(in_person_required=True), {"in_person": True}),
        (Rules(), {"minutes": None, "in_person": None}),  # unknown fields matter only to a rule that needs them
    ],
)
def test_each_rule_alone_counts_what_passes_it(rules, fields):
    assert reasons(rules, [row("2026-02-01T10:00:00Z", **fields)]) == [None]


def test_the_first_failed_rule_is_the_reason():
    failing_all = {"status": "planned", "type": "group_session", "participants": 0, "minutes": None, "in_person": False}
    rules = Rules(**{**PEER.__dict__, "activity_types": frozenset({"peer_support"})})
    order = []
    fields = dict(failing_all)
    for field, good in [("status", "completed"), ("type", "peer_support"), ("participants", 5),
                        ("minutes", 10), ("minutes", 60), ("in_person", True)]:  # fmt: skip
        order.append(reasons(rules, [row("2026-02-01T10:00:00Z", **fields)])[0])
        fields[field] = good
    assert order == ["status", "activity_type", "participants", "unknown_field", "duration", "in_person"]
    assert reasons(rules, [row("2026-02-01T10:00:00Z", **fields)]) == [None]


def test_same_day_keeps_the_earliest_of_each_type():
    rows = [
        row("2026-02-01T08:00:00Z", id="a1"),
        row("2026-02-01T09:00:00Z", id="a2", type="family_guidance"),
        row("2026-02-01T10:00:00Z", id="a3"),
        row("2026-02-02T10:00:00Z", id="a4"),
    ]
    assert reasons(PEER, rows) == [None, None, "same_day", None]


def test_same_day_ties_go_to_the_smaller_activity_id():
    rows = [row("2026-02-01T08:00:00Z", id="a1"), row("2026-02-01T08:00:00Z", id="a2")]
    assert reasons(PEER, rows) == [None, "same_day"]
    with pytest.raises(RowOrderError):
        list(judge(PEER, list(reversed(rows))))


def test_same_day_looks_only_at_activities_that_pass_the_other_rules():
    rows = [row("2026-02-01T08:00:00Z", id="a1", participants=1), row("2026-02-01T09:00:00Z", id="a2")]
    assert reasons(PEER, rows) == ["participants", None]


def test_same_day_is_the_oslo_day_not_the_utc_day():
    # 22:59Z and 23:00Z on 1 February are 23:59 and 00:00 in Oslo: two days.
    rows = [row("2026-02-01T22:59:59Z", id="a1"), row("2026-02-01T23:00:00Z", id="a2")]
    assert reasons(PEER, rows) == [None, None]
    # 00:30Z and 22:30Z on 1 February are both 1 February in Oslo: one day.
    rows = [row("2026-02-01T00:30:00Z", id="a1"), row("2026-02-01T22:30:00Z", id="a2")]
    assert reasons(PEER, rows) == [None, "same_day"]


@pytest.mark.parametrize(
    ("first", "last", "next_day"),
    [
        # 29 March 2026 has 23 hours: 00:00 is 23:00Z the day before, 24:00 is 22:00Z.
        ("2026-03-28T23:00:00Z", "2026-03-29T21:59:59Z", "2026-03-29T22:00:00Z"),
        # 25 October 2026 has 25 hours: 00:00 is 22:00Z the day before, 24:00 is 23:00Z.
        ("2026-10-24T22:00:00Z", "2026-10-25T22:59:59Z", "2026-10-25T23:00:00Z"),
    ],
)
def test_same_day_on_the_dst_days(first, last, next_day):
    rows = [row(first, id="a1"), row(last, id="a2"), row(next_day, id="a3")]
    assert reasons(PEER, rows) == [None, "same_day", None]


rows_strategy = st.lists(
    st.builds(
        lambda minutes_after, status, type, participants, minutes, in_person: (
            minutes_after,
            status,
            type,
            participants,
            minutes,
            in_person,
        ),
        st.integers(0, 60 * 24 * 4),
        st.sampled_from(STATUSES),
        st.sampled_from(TYPES),
        st.integers(0, 6),
        st.none() | st.integers(0, 120),
        st.none() | st.booleans(),
    ),
    max_size=40,
)
rules_strategy = st.builds(
    Rules,
    statuses=st.frozensets(st.sampled_from(STATUSES), min_size=1),
    activity_types=st.frozensets(st.sampled_from(TYPES)),
    min_participants=st.integers(0, 5),
    min_duration_minutes=st.integers(0, 90),
    in_person_required=st.booleans(),
    one_per_type_per_day=st.booleans(),
)


def as_rows(raw: list[tuple]) -> list[ActivityRow]:  # type: ignore[type-arg]
    start = dt.datetime(2026, 3, 27, 12, tzinfo=UTC)  # across the spring switch
    made = [
        ActivityRow(f"act-{i:03d}", start + dt.timedelta(minutes=m), t, s, p, d, ip, "")
        for i, (m, s, t, p, d, ip) in enumerate(raw)
    ]
    return sorted(made, key=lambda r: (r.recorded_at, r.activity_id))


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, raw=rows_strategy)
def test_every_activity_is_counted_or_excluded_for_one_reason(rules, raw):
    rows = as_rows(raw)
    verdicts = list(judge(rules, rows))
    summary = summarise(verdicts)
    assert [v.row for v in verdicts] == rows
    assert summary.activity_count + summary.excluded_count == len(rows)
    assert summary.excluded_count == sum(1 for v in verdicts if not v.counted)
    assert set(summary.excluded) == set(REASONS)
    assert sum(summary.by_activity_type.values()) == summary.activity_count
    assert summary.participant_total == sum(v.row.participant_count for v in verdicts if v.counted)
    # Without the same-day rule, each activity is judged alone: the order does not matter.
    if not rules.one_per_type_per_day:
        alone = [next(judge(rules, [r])).reason for r in rows]
        assert alone == [v.reason for v in verdicts]


@settings(max_examples=100, deadline=None)
@given(raw=rows_strategy)
def test_a_scheme_that_counts_everything_counts_every_row(raw):
    everything = Rules(statuses=frozenset(STATUSES))
    rows = as_rows(raw)
    assert summarise(judge(everything, rows)).activity_count == len(rows)
