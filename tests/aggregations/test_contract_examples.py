"""Every example of the contract is a test: same fields, same types, same formats."""

from __future__ import annotations

import datetime as dt
import re

from aggregations.models import SubmittedPeriod
from tests.aggregations.conftest import URL

DATETIME_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SNAPSHOT_EXAMPLE = {
    "id": "agg-snap-001",
    "org_id": "org-bufdir-42",
    "range_start": "2026-01-01T00:00:00Z",
    "range_end": "2026-03-31T23:59:59Z",
    "activity_count": 312,
    "snapshot_at": "2026-03-26T08:00:00Z",
}
ACTIVITY_EXAMPLE = {
    "activity_id": "act-10021",
    "org_id": "org-bufdir-42",
    "activity_type": "family_guidance",
    "recorded_at": "2026-01-15T10:30:00Z",
    "participant_count": 4,
    "location": "Oslo",
    "status": "completed",
}
PERIOD_EXAMPLE = {
    "org_id": "org-bufdir-42",
    "submitted_period_id": "sub-period-009",
    "period_start": "2025-10-01",
    "period_end": "2026-02-28",
    "submitted_at": "2026-02-28T16:00:00Z",
    "submitted_by": "user-coordinator-07",
    "activity_count": 1203,
}


def assert_like(actual: dict, example: dict) -> None:
    for key, value in example.items():
        assert key in actual, key
        assert type(actual[key]) is type(value), key
        if isinstance(value, str) and DATETIME_Z.match(value):
            assert DATETIME_Z.match(actual[key]), (key, actual[key])
        elif isinstance(value, str) and DATE.match(value):
            assert DATE.match(actual[key]), (key, actual[key])
        elif key in ("id", "submitted_period_id", "activity_id"):
            prefix = re.sub(r"\d+$", "", value)
            assert actual[key].startswith(prefix)


def test_post_example(api, org, q1_activities):
    # Request exactly as printed in the contract.
    body = {"org_id": "org-bufdir-42", "range": {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}}
    response = api.post(URL, body, format="json")
    assert response.status_code == 201
    assert_like(response.json(), SNAPSHOT_EXAMPLE)
    assert re.fullmatch(r"agg-snap-\d{3,}", response.json()["id"])


def test_list_get_put_delete_examples(api, snapshot):
    listing = api.get(URL).json()
    assert set(listing) == {"data", "pagination"}
    assert listing["pagination"] == {"page": 1, "limit": 20, "total": 1}
    assert_like(listing["data"][0], SNAPSHOT_EXAMPLE)
    assert_like(api.get(f"{URL}/{snapshot.public_id}").json(), SNAPSHOT_EXAMPLE)
    put = api.put(
        f"{URL}/{snapshot.public_id}",
        {"range": {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}},
        format="json",
    )
    assert_like(put.json(), SNAPSHOT_EXAMPLE)
    deleted = api.delete(f"{URL}/{snapshot.public_id}").json()
    assert deleted == {"deleted": True, "id": snapshot.public_id}


def test_activities_example(api, org, make_activity):
    make_activity(org, "2026-01-15T10:30:00Z", activity_id="act-10021", participant_count=4, location="Oslo")
    body = api.get(
        f"{URL}/activities", {"org_id": "org-bufdir-42", "start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}
    ).json()
    assert body["data"][0] == ACTIVITY_EXAMPLE
    assert set(body["pagination"]) == {"page", "limit", "total"}


def test_last_submitted_period_example(api, org):
    SubmittedPeriod.objects.create(
        org=org,
        period_start=dt.date(2025, 10, 1),
        period_end=dt.date(2026, 2, 28),
        submitted_at=dt.datetime(2026, 2, 28, 16, tzinfo=dt.UTC),
        submitted_by="user-coordinator-07",
        activity_count=1203,
    )
    body = api.get(f"{URL}/last-submitted-period", {"org_id": "org-bufdir-42"}).json()
    assert_like(body, PERIOD_EXAMPLE)
    assert {k: v for k, v in body.items() if k != "submitted_period_id"} == {
        k: v for k, v in PERIOD_EXAMPLE.items() if k != "submitted_period_id"
    }
