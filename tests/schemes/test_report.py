"""GET /api/v1/reports/scheme: counted and excluded, the year, verdicts, the contract count."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from activities.counting import count_activities
from activities.models import Activity, Organization
from lib.timeranges import local_dates_range, parse_range
from schemes.models import GrantScheme
from schemes.services import scheme_rules_set
from tests.schemes.conftest import ALL_STATUSES, SCHEME, rules

PEER = {
    "min_participants": 3,
    "min_duration_minutes": 45,
    "in_person_required": True,
    "one_per_type_per_day": True,
    "activity_types": ["peer_support", "group_session"],
}


@pytest.fixture
def year_of_activities(org, other_org, act):  # type: ignore[no-untyped-def]
    good = {"participant_count": 4, "duration_minutes": 60, "in_person": True}
    act(org, "2026-01-10T10:00:00Z", **good)  # counted
    act(org, "2026-01-10T12:00:00Z", **good)  # same_day
    act(org, "2026-01-10T13:00:00Z", **{**good, "activity_type": "group_session", "participant_count": 7})  # counted
    act(org, "2026-02-01T10:00:00Z", **{**good, "status": "planned"})  # status
    act(org, "2026-02-02T10:00:00Z", **{**good, "activity_type": "family_guidance"})  # activity_type
    act(org, "2026-02-03T10:00:00Z", **{**good, "participant_count": 2})  # participants
    act(org, "2026-02-04T10:00:00Z", **{**good, "duration_minutes": 30})  # duration
    act(org, "2026-02-05T10:00:00Z", **{**good, "in_person": False})  # in_person
    act(org, "2026-02-06T10:00:00Z", **{**good, "duration_minutes": None})  # unknown_field
    act(org, "2025-12-31T22:59:59Z", **good)  # 2025 in Oslo: outside the year
    act(other_org, "2026-03-01T10:00:00Z", **good)  # another organisation


def test_counted_and_excluded_by_reason(org, make_scheme, year_of_activities, report):
    make_scheme(**PEER)
    body = report(org_id=org.org_id, scheme="peer-support", year=2026)
    assert body["counted"] == {
        "activity_count": 2,
        "participant_total": 11,
        "by_activity_type": {"group_session": 1, "peer_support": 1},
    }
    assert body["excluded"] == {
        "activity_count": 7,
        "by_reason": {
            "status": 1,
            "activity_type": 1,
            "participants": 1,
            "duration": 1,
            "in_person": 1,
            "same_day": 1,
            "unknown_field": 1,
        },
    }
    assert body["year"] == "2026"
    assert body["range"] == {"start": "2025-12-31T23:00:00Z", "end": "2026-12-31T22:59:59Z"}
    assert body["time_zone"] == "Europe/Oslo"
    assert body["scheme"] == {"code": "peer-support", "name": "Likepersonsarbeid"}
    assert body["rule_version"]["number"] == 1
    assert body["rule_version"]["activity_types"] == ["group_session", "peer_support"]
    assert "activities" not in body


def test_start_and_end_instead_of_year(org, make_scheme, year_of_activities, report):
    make_scheme(**PEER)
    body = report(org_id=org.org_id, scheme="peer-support", start="2026-02-01", end="2026-02-03")
    assert body["year"] is None
    assert body["counted"]["activity_count"] == 0
    assert body["excluded"]["by_reason"]["status"] == 1
    assert body["excluded"]["activity_count"] == 3


def test_a_grant_year_starting_in_july(org, make_scheme, act, report):
    make_scheme(year_start_month=7, deadline_month=10, deadline_day=1)
    act(org, "2026-06-30T21:59:59Z", status="completed")  # 23:59:59 on 30 June in Oslo: year 2025/26
    act(org, "2026-06-30T22:00:00Z", status="completed")  # 1 July: year 2026/27
    body = report(org_id=org.org_id, scheme="peer-support", year=2026)
    assert body["year"] == "2026/27"
    assert body["range"] == {"start": "2026-06-30T22:00:00Z", "end": "2027-06-30T21:59:59Z"}
    assert body["counted"]["activity_count"] == 1


def test_include_activities_lists_verdicts_paginated(org, make_scheme, year_of_activities, report):
    make_scheme(**PEER)
    body = report(org_id=org.org_id, scheme="peer-support", year=2026, include="activities", limit=4, page=2)
    page = body["activities"]
    assert page["pagination"] == {"page": 2, "limit": 4, "total": 9}
    assert [(a["activity_id"], a["counted"], a["reason"]) for a in page["data"]] == [
        ("act-00005", False, "activity_type"),
        ("act-00006", False, "participants"),
        ("act-00007", False, "duration"),
        ("act-00008", False, "in_person"),
    ]
    first = report(org_id=org.org_id, scheme="peer-support", year=2026, include="activities")["activities"]
    assert first["data"][0] == {
        "activity_id": "act-00001",
        "recorded_at": "2026-01-10T10:00:00Z",
        "activity_type": "peer_support",
        "status": "completed",
        "participant_count": 4,
        "duration_minutes": 60,
        "in_person": True,
        "location": "",
        "counted": True,
        "reason": None,
    }
    past = report(org_id=org.org_id, scheme="peer-support", year=2026, include="activities", page=9)
    assert past["activities"]["data"] == []


def test_a_rule_change_keeps_the_old_version_readable(org, make_scheme, year_of_activities, report):
    scheme = make_scheme(**PEER)
    scheme_rules_set(scheme=scheme, rules=rules(**{**PEER, "min_participants": 5}))
    newest = report(org_id=org.org_id, scheme="peer-support", year=2026)
    old = report(org_id=org.org_id, scheme="peer-support", year=2026, version=1)
    assert (newest["rule_version"]["number"], newest["rule_version"]["min_participants"]) == (2, 5)
    assert (old["rule_version"]["number"], old["rule_version"]["min_participants"]) == (1, 3)
    assert newest["counted"]["activity_count"] == 1  # only the group session has 5 or more
    assert old["counted"]["activity_count"] == 2


def test_the_same_rules_make_no_new_version(make_scheme):
    scheme = make_scheme(**PEER)
    again = scheme_rules_set(scheme=scheme, rules=rules(**PEER))
    assert again.number == 1 and scheme.versions.count() == 1


def test_ties_go_to_the_smaller_activity_id_by_code_point(org, make_scheme, act, report):
    make_scheme(one_per_type_per_day=True)
    for activity_id in ("act-a", "act-B", "act-_0"):  # code points: B < _ < a
        act(org, "2026-02-01T10:00:00Z", activity_id=activity_id)
    data = report(org_id=org.org_id, scheme="peer-support", year=2026, include="activities")["activities"]["data"]
    assert [(a["activity_id"], a["reason"]) for a in data] == [("act-B", None), ("act-_0", "same_day"),
                                                              ("act-a", "same_day")]  # fmt: skip


def test_reading_is_one_query_for_the_activities(
    org, make_scheme, year_of_activities, api, django_assert_max_num_queries
):
    make_scheme(**PEER)
    # organisation, scheme, version, then the activities: one streamed query.
    with django_assert_max_num_queries(4):
        assert api.get(SCHEME, {"org_id": org.org_id, "scheme": "peer-support", "year": 2026}).status_code == 200


class TestEverythingIsTheContractCount(TestCase):
    """A scheme that counts every status with no other rule counts what count_activities does."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        offsets=st.lists(st.integers(-3 * 24 * 3600, 3 * 24 * 3600), max_size=15),
        statuses=st.lists(st.sampled_from(ALL_STATUSES), min_size=15, max_size=15),
        bounds=st.tuples(st.integers(-2 * 24 * 3600, 2 * 24 * 3600), st.integers(0, 3 * 24 * 3600)),
    )
    def test_all_counting_scheme_equals_count_activities(self, offsets, statuses, bounds):
        org = Organization.objects.create(org_id="org-bufdir-42", name="Familievernet Oslo")
        scheme = GrantScheme.objects.create(code="everything", name="Everything")
        scheme_rules_set(scheme=scheme, rules=rules(statuses=ALL_STATUSES))
        switch = dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC)  # the spring DST switch
        for i, offset in enumerate(offsets):
            Activity.objects.create(
                org=org,
                activity_id=f"act-{i}",
                activity_type="peer_support",
                recorded_at=switch + dt.timedelta(seconds=offset, microseconds=500_000 * (i % 2)),
                status=statuses[i],
            )
        start = switch + dt.timedelta(seconds=bounds[0])
        end = start + dt.timedelta(seconds=bounds[1])
        time_range = parse_range(start.isoformat(), end.isoformat())
        body = self.client.get(
            SCHEME, {"org_id": org.org_id, "scheme": "everything", "start": start.isoformat(), "end": end.isoformat()}
        ).json()
        assert body["counted"]["activity_count"] == count_activities(org=org, time_range=time_range)
        assert body["excluded"]["activity_count"] == 0


def test_all_counting_scheme_equals_count_activities_over_a_year(org, make_scheme, make_activity, report):
    make_scheme("everything", statuses=ALL_STATUSES)
    for i, at in enumerate(["2025-12-31T22:59:59Z", "2025-12-31T23:00:00Z", "2026-06-01T10:00:00Z",
                            "2026-12-31T22:59:59.5Z", "2026-12-31T23:00:00Z"]):  # fmt: skip
        make_activity(org, at, status=ALL_STATUSES[i % 3])
    body = report(org_id=org.org_id, scheme="everything", year=2026)
    assert body["counted"]["activity_count"] == 3
    assert count_activities(org=org, time_range=local_dates_range(dt.date(2026, 1, 1), dt.date(2026, 12, 31))) == 3
