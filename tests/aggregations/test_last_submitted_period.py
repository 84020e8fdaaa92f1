"""GET /last-submitted-period: the period with the latest end; 404 when none."""

from __future__ import annotations

import datetime as dt

from aggregations.models import SubmittedPeriod
from tests.aggregations.conftest import URL


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
        # Additive (issue 15): a plain submission names no scheme and has no evidence.
        "scheme": None,
        "evidence": None,
        "changes_since_submission": [],
        "changes_since_submission_total": 0,
    }


def test_404_when_the_organisation_has_submitted_nothing(api, org, other_org):
    period(other_org, dt.date(2026, 1, 1), dt.date(2026, 6, 30), dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    response = api.get(f"{URL}/last-submitted-period", {"org_id": org.org_id})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_org_id_missing_blank_or_unknown_is_a_400_naming_it(api, org):
    # An unknown org_id is a 400 (not a 404), as on POST: the parameter is wrong, not
    # the resource missing; a 404 stays "this organisation has submitted nothing".
    for params in ({}, {"org_id": ""}, {"org_id": "org-nope"}, {"org_id": "org bufdir"}):
        response = api.get(f"{URL}/last-submitted-period", params)
        assert response.status_code == 400, params
        assert list(response.json()["errors"]) == ["org_id"], params


def test_a_blank_org_id_is_reported_as_required(api, db):
    response = api.get(f"{URL}/last-submitted-period", {"org_id": ""})
    assert response.json()["errors"] == {"org_id": ["This field is required."]}
