from __future__ import annotations

import datetime as dt

import pytest

from aggregations.models import SubmittedPeriod
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


def period(org, start, end, submitted_at, count=1):
    return SubmittedPeriod.objects.create(
        org=org,
        period_start=start,
        period_end=end,
        submitted_at=submitted_at,
        submitted_by="user-coordinator-07",
        activity_count=count,
    )


def test_last_submitted_period_is_the_one_with_the_latest_end(api, org, other_org):
    # SPEC's tie rule (same period_end: latest submitted_at) cannot arise: periods of one
    # organisation may not overlap (issue 5), so no two share an end date.
    t = dt.datetime(2026, 2, 28, 16, tzinfo=dt.UTC)
    period(org, dt.date(2025, 10, 1), dt.date(2026, 2, 28), t, count=1203)
    latest_end = period(org, dt.date(2026, 3, 1), dt.date(2026, 3, 31), t - dt.timedelta(days=400), count=7)
    period(other_org, dt.date(2026, 1, 1), dt.date(2026, 6, 30), t)
    body = api.get(f"{URL}/last-submitted-period", {"org_id": org.org_id}).json()
    assert body == {
        "org_id": "org-bufdir-42",
        "submitted_period_id": latest_end.public_id,
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "submitted_at": "2025-01-24T16:00:00Z",
        "submitted_by": "user-coordinator-07",
        "activity_count": 7,
    }


def test_last_submitted_period_404_when_none_and_400_without_org(api, org):
    assert api.get(f"{URL}/last-submitted-period", {"org_id": org.org_id}).status_code == 404
    response = api.get(f"{URL}/last-submitted-period")
    assert response.status_code == 400 and "org_id" in response.json()["errors"]
    assert api.get(f"{URL}/last-submitted-period", {"org_id": "org-nope"}).status_code == 400
