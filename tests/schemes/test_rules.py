"""The rules alone and together, one reason per excluded activity, the same-day rule
across an Oslo midnight and the DST switches: the rules (schemes.rules.judgement) as the
counting core evaluates them in the database (activities.judging), on SQLite and
PostgreSQL, checked against an independent reading of the rules written here."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities.counting import count_activities
from activities.judging import ActivityRow, judged_listing, judged_rows, judged_tally
from activities.models import Activity, Organization
from lib.timeranges import DateTimeRange
from schemes.rules import REASONS, Rules, judgement, summary

pytestmark = pytest.mark.django_db

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
EVERYTHING = DateTimeRange(dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2028, 1, 1, tzinfo=UTC))


def row(at: str, *, id: str = "act-1", type: str = "peer_support", status: str = "completed",
        participants: int = 5, minutes: int | None = 60, in_person: bool | None = True) -> ActivityRow:  # fmt: skip
    when = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    return ActivityRow(id, when, type, status, participants, minutes, in_person, "")


def store(org: Organization, rows: list[ActivityRow]) -> None:
    Activity.objects.filter(org=org).delete()
    Activity.objects.bulk_create(Activity(org=org, **r._asdict()) for r in rows)


def reasons(org: Organization, rules: Rules, rows: list[ActivityRow]) -> list[str | None]:
    """The verdicts on ``rows`` (stored as the organisation's only activities), in the
    rows' order."""
    store(org, rows)
    listed = judged_rows(org=org, time_range=EVERYTHING, judgement=judgement(rules))
    by_id = {v.row.activity_id: v.reason for v in listed}
    return [by_id[r.activity_id] for r in rows]


def test_the_default_counts_completed_activities_only(org):
    rows = [row("2026-02-01T10:00:00Z", id=f"a{i}", status=s) for i, s in enumerate(STATUSES)]
    assert reasons(org, Rules(), rows) == ["status", None, "status"]


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
def test_each_rule_alone(org, rules, fields, reason):
    assert reasons(org, rules, [row("2026-02-01T10:00:00Z", **fields)]) == [reason]


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
def test_each_rule_alone_counts_what_passes_it(org, rules, fields):
    assert reasons(org, rules, [row("2026-02-01T10:00:00Z", **fields)]) == [None]


def test_the_first_failed_rule_is_the_reason(org):
    failing_all = {"status": "planned", "type": "group_session", "participants": 0, "minutes": None, "in_person": False}
    rules = Rules(**{**PEER.__dict__, "activity_types": frozenset({"peer_support"})})
    order = []
    fields = dict(failing_all)
    for field, good in [("status", "completed"), ("type", "peer_support"), ("participants", 5),
                        ("minutes", 10), ("minutes", 60), ("in_person", True)]:  # fmt: skip
        order.append(reasons(org, rules, [row("2026-02-01T10:00:00Z", **fields)])[0])
        fields[field] = good
    assert order == ["status", "activity_type", "participants", "unknown_field", "duration", "in_person"]
    assert reasons(org, rules, [row("2026-02-01T10:00:00Z", **fields)]) == [None]


def test_same_day_keeps_the_earliest_of_each_type(org):
    rows = [
        row("2026-02-01T08:00:00Z", id="a1"),
        row("2026-02-01T09:00:00Z", id="a2", type="family_guidance"),
        row("2026-02-01T10:00:00Z", id="a3"),
        row("2026-02-02T10:00:00Z", id="a4"),
    ]
    assert reasons(org, PEER, rows) == [None, None, "same_day", None]


def test_same_day_ties_go_to_the_smaller_activity_id_by_code_point(org):
    # By code point "act-B" < "act-a" (PostgreSQL's default collation would say otherwise).
    rows = [row("2026-02-01T08:00:00Z", id="act-a"), row("2026-02-01T08:00:00Z", id="act-B")]
    assert reasons(org, PEER, rows) == ["same_day", None]
    listed = judged_rows(org=org, time_range=EVERYTHING, judgement=judgement(PEER))
    assert [v.row.activity_id for v in listed] == ["act-B", "act-a"]


def test_same_day_looks_only_at_activities_that_pass_the_other_rules(org):
    rows = [row("2026-02-01T08:00:00Z", id="a1", participants=1), row("2026-02-01T09:00:00Z", id="a2")]
    assert reasons(org, PEER, rows) == ["participants", None]


def test_same_day_is_the_oslo_day_not_the_utc_day(org):
    # 22:59Z and 23:00Z on 1 February are 23:59 and 00:00 in Oslo: two days.
    rows = [row("2026-02-01T22:59:59Z", id="a1"), row("2026-02-01T23:00:00Z", id="a2")]
    assert reasons(org, PEER, rows) == [None, None]
    # 00:30Z and 22:30Z on 1 February are both 1 February in Oslo: one day.
    rows = [row("2026-02-01T00:30:00Z", id="a1"), row("2026-02-01T22:30:00Z", id="a2")]
    assert reasons(org, PEER, rows) == [None, "same_day"]


@pytest.mark.parametrize(
    ("first", "last", "next_day"),
    [
        # 29 March 2026 has 23 hours: 00:00 is 23:00Z the day before, 24:00 is 22:00Z.
        ("2026-03-28T23:00:00Z", "2026-03-29T21:59:59Z", "2026-03-29T22:00:00Z"),
        # 25 October 2026 has 25 hours: 00:00 is 22:00Z the day before, 24:00 is 23:00Z.
        ("2026-10-24T22:00:00Z", "2026-10-25T22:59:59Z", "2026-10-25T23:00:00Z"),
    ],
)
def test_same_day_on_the_dst_days(org, first, last, next_day):
    rows = [row(first, id="a1"), row(last, id="a2"), row(next_day, id="a3")]
    assert reasons(org, PEER, rows) == [None, "same_day", None]


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


def expected(rules: Rules, rows: list[ActivityRow]) -> list[str | None]:
    """The rules read independently of the code under test (SPEC.md, docs/schemes.md)."""
    oslo = ZoneInfo("Europe/Oslo")
    out: list[str | None] = []
    counted: set[tuple[dt.date, str]] = set()
    for r in rows:  # in (recorded_at, activity_id) order
        fails = [
            ("status", r.status not in rules.statuses),
            ("activity_type", bool(rules.activity_types) and r.activity_type not in rules.activity_types),
            ("participants", r.participant_count < rules.min_participants),
            ("unknown_field", rules.min_duration_minutes > 0 and r.duration_minutes is None),
            ("duration", rules.min_duration_minutes > 0 and (r.duration_minutes or 0) < rules.min_duration_minutes),
            ("unknown_field", rules.in_person_required and r.in_person is None),
            ("in_person", rules.in_person_required and r.in_person is False),
        ]
        reason = next((name for name, failed in fails if failed), None)
        if reason is None and rules.one_per_type_per_day:
            key = (r.recorded_at.astimezone(oslo).date(), r.activity_type)
            reason = "same_day" if key in counted else None
            counted.add(key)
        out.append(reason)
    return out


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY
@given(rules=rules_strategy, raw=rows_strategy)
def test_every_activity_is_judged_as_the_rules_say_and_the_numbers_add_up(org, rules, raw):
    rows = as_rows(raw)
    assert reasons(org, rules, rows) == expected(rules, rows)
    numbers = summary(judged_tally(org=org, time_range=EVERYTHING, judgement=judgement(rules)))
    listed, verdicts = judged_listing(org=org, time_range=EVERYTHING, judgement=judgement(rules))
    assert summary(listed) == numbers  # the grouped statement and the listing agree
    assert [v.row for v in verdicts] == rows
    assert numbers.activity_count + numbers.excluded_count == len(rows)
    assert set(numbers.excluded) == set(REASONS)
    for reason in REASONS:
        assert numbers.excluded[reason] == expected(rules, rows).count(reason)
    assert sum(numbers.by_activity_type.values()) == numbers.activity_count
    assert numbers.participant_total == sum(v.row.participant_count for v in verdicts if v.counted)


@PROPERTY
@given(raw=rows_strategy)
def test_a_scheme_that_counts_everything_gives_the_contract_count(org, raw):
    rows = as_rows(raw)
    store(org, rows)
    everything = judgement(Rules(statuses=frozenset(STATUSES)))
    judged = judged_tally(org=org, time_range=EVERYTHING, judgement=everything)
    assert judged.activity_count == count_activities(org=org, time_range=EVERYTHING) == len(rows)
    assert judged.excluded_count == 0


def test_pages_of_verdicts_are_the_listing_in_order(org):
    rows = as_rows([(i * 7, "completed", TYPES[i % 3], 5, 60, True) for i in range(23)])
    store(org, rows)
    rules = judgement(PEER)
    _, everything = judged_listing(org=org, time_range=EVERYTHING, judgement=rules)
    pages = [
        list(judged_rows(org=org, time_range=EVERYTHING, judgement=rules, offset=offset, limit=10))
        for offset in (0, 10, 20)
    ]
    assert [len(p) for p in pages] == [10, 10, 3]
    assert pages[0] + pages[1] + pages[2] == everything
