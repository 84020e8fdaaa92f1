from __future__ import annotations

import datetime as dt

import pytest

from aggregations.models import AggregationSnapshot

URL = "/api/v1/bufdir-aggregations"
Q1 = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}


@pytest.fixture
def q1_activities(org, other_org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z", activity_type="family_guidance", participant_count=4)
    make_activity(org, "2026-02-10T12:00:00Z", activity_type="peer_support", participant_count=2, status="planned")
    make_activity(org, "2026-03-31T23:59:59.5Z", activity_type="peer_support", participant_count=1, status="cancelled")
    make_activity(org, "2026-04-01T00:00:00Z")  # just after the range
    make_activity(org, "2025-12-31T23:59:59.999Z")  # just before
    make_activity(other_org, "2026-02-01T00:00:00Z")  # another organisation


@pytest.fixture
def snapshot(api, org, q1_activities) -> AggregationSnapshot:
    response = api.post(URL, {"org_id": org.org_id, "range": Q1}, format="json")
    assert response.status_code == 201
    return AggregationSnapshot.objects.get()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
