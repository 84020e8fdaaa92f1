"""GET /activities: an organisation's activities in a range, ordered, filtered, paginated."""

from __future__ import annotations

import pytest

from tests.aggregations.conftest import URL


def ids(response):
    assert response.status_code == 200, response.content
    return [a["recorded_at"] for a in response.json()["data"]]


def test_activities_in_range_ordered_and_scoped(api, org, q1_activities):
    got = ids(
        api.get(
            f"{URL}/activities", {"org_id": org.org_id, "start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}
        )
    )
    assert got == ["2026-01-01T00:00:00Z", "2026-02-10T12:00:00Z", "2026-03-31T23:59:59.500000Z"]


def test_activities_optional_filters(api, org, q1_activities):
    params = {"org_id": org.org_id, "start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}
    assert ids(api.get(f"{URL}/activities", {**params, "status": "planned"})) == ["2026-02-10T12:00:00Z"]
    assert len(ids(api.get(f"{URL}/activities", {**params, "activity_type": "peer_support"}))) == 2
    assert ids(api.get(f"{URL}/activities", {**params, "location": "Nowhere"})) == []


def test_activities_are_paginated(api, org, q1_activities):
    body = api.get(
        f"{URL}/activities", {"org_id": org.org_id, "start": "2026-01-01", "end": "2026-12-31", "limit": 2, "page": 2}
    ).json()
    # Bare dates are Oslo days: 2025-12-31T23:59:59.999Z is already 1 January there, so 5.
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 5}
    assert len(body["data"]) == 2


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start": "2026-01-01", "end": "2026-01-02"}, "org_id"),
        ({"org_id": "org-bufdir-42", "end": "2026-01-02"}, "start"),
        ({"org_id": "org-bufdir-42", "start": "2026-01-01"}, "end"),
        ({"org_id": "org-bufdir-42", "start": "2026-01-01T00:00:00", "end": "2026-01-02"}, "start"),
        ({"org_id": "org-bufdir-42", "start": "2026-02-01", "end": "2026-01-02"}, "end"),
        ({"org_id": "org-nope", "start": "2026-01-01", "end": "2026-01-02"}, "org_id"),
        ({"org_id": "org-bufdir-42", "start": "2026-01-01", "end": "2026-01-02", "status": "done"}, "status"),
        ({"org_id": "org-bufdir-42", "start": "2026-01-01", "end": "2026-01-02", "limit": "500"}, "limit"),
    ],
)
def test_activities_bad_query_is_a_400_naming_the_parameter(api, org, params, named):
    response = api.get(f"{URL}/activities", params)
    assert response.status_code == 400
    assert named in response.json()["errors"]


def test_unknown_query_parameters_are_refused_not_ignored(api, org):
    # A typo such as ?stauts=planned must not silently return everything.
    params = {"org_id": org.org_id, "start": "2026-01-01", "end": "2026-01-02", "stauts": "planned"}
    response = api.get(f"{URL}/activities", params)
    assert response.status_code == 400 and "stauts" in response.json()["errors"]


def test_same_instant_is_ordered_by_activity_id(api, org, make_activity):
    for activity_id in ("act-b", "act-c", "act-a"):
        make_activity(org, "2026-01-10T10:00:00Z", activity_id=activity_id)
    body = api.get(f"{URL}/activities", {"org_id": org.org_id, "start": "2026-01-10", "end": "2026-01-10"}).json()
    assert [a["activity_id"] for a in body["data"]] == ["act-a", "act-b", "act-c"]


def test_activities_queries_do_not_grow_with_the_page(api, org, other_org, make_activity, django_assert_num_queries):
    import datetime as dt

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i in range(120):
        make_activity(org if i % 4 else other_org, start + dt.timedelta(hours=i))
    params = {"org_id": org.org_id, "start": "2026-01-01T00:00:00Z", "end": "2026-01-31T23:59:59Z"}
    # The organisation, a count and a page: 3 queries at any page size.
    with django_assert_num_queries(3):
        assert len(ids(api.get(f"{URL}/activities", {**params, "limit": 1}))) == 1
    with django_assert_num_queries(3):
        assert len(ids(api.get(f"{URL}/activities", {**params, "limit": 100}))) == 90
