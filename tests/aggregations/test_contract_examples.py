"""Every example of the contract is a test: same fields, same types, same formats."""

from __future__ import annotations

import datetime as dt
import re

import time_machine

from aggregations.models import SubmittedPeriod
from tests.aggregations.conftest import URL

DATETIME_Z = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z"
WHOLE_SECOND_Z = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"  # server-stamped times
DATE = r"\d{4}-\d{2}-\d{2}"
ORG_ID = r"[-a-zA-Z0-9_]+"

# The contract's examples, verbatim ...
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
DELETE_EXAMPLE = {"deleted": True, "id": "agg-snap-001"}
PAGINATION_EXAMPLE = {"page": 1, "limit": 20, "total": 1}

# ... and the format each string field must have (ints and bools: type only).
FORMATS = {
    "id": r"agg-snap-\d{3,}",
    "org_id": ORG_ID,
    "range_start": WHOLE_SECOND_Z,  # stored start of a whole-second request
    "range_end": WHOLE_SECOND_Z,  # ends are always stored at whole seconds
    "snapshot_at": WHOLE_SECOND_Z,
    "activity_id": r"act-[0-9a-zA-Z]+",
    "activity_type": r"[a-z_]+",
    "recorded_at": DATETIME_Z,
    "location": r".*",
    "status": r"planned|completed|cancelled",
    "submitted_period_id": r"sub-period-\d{3,}",
    "period_start": DATE,
    "period_end": DATE,
    "submitted_at": WHOLE_SECOND_Z,
    "submitted_by": r".+",
}
# Additive fields of a snapshot (SPEC.md, "Counting"), beyond the contract.
SNAPSHOT_EXTRA = {"participant_total": int, "by_activity_type": dict, "by_status": dict}
# Additive fields of an activity (SPEC.md, "Grant schemes"): null while unknown.
ACTIVITY_EXTRA = {"duration_minutes": type(None), "in_person": type(None)}
UNKNOWN = {"duration_minutes": None, "in_person": None}
# A submitted period's additive fields (issue 15): a plain submission names no scheme.
PERIOD_EXTRA = {
    "scheme": type(None),
    "evidence": type(None),
    "changes_since_submission": list,
    "changes_since_submission_total": int,
}


def assert_like(actual: dict, example: dict, extra: dict | None = None) -> None:
    """``actual`` has exactly the example's fields (plus ``extra``), same types and formats."""
    extra = extra or {}
    assert set(actual) == set(example) | set(extra)
    for key, value in example.items():
        assert type(actual[key]) is type(value), (key, actual[key])
        if isinstance(value, str):
            pattern = FORMATS[key]
            assert re.fullmatch(pattern, value), (key, value, "the example itself must match")
            assert re.fullmatch(pattern, actual[key]), (key, actual[key])
    for key, kind in extra.items():
        assert type(actual[key]) is kind, (key, actual[key])
    for breakdown in ("by_activity_type", "by_status"):
        if breakdown in extra:
            assert all(type(k) is str and type(v) is int for k, v in actual[breakdown].items())


@time_machine.travel("2026-03-26T11:10:00.5Z", tick=False)
def test_post_example(api, org, q1_activities):
    body = {"org_id": "org-bufdir-42", "range": {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}}
    response = api.post(URL, body, format="json")
    assert response.status_code == 201
    assert response["Location"].endswith("/" + response.json()["id"])
    assert_like(response.json(), SNAPSHOT_EXAMPLE, SNAPSHOT_EXTRA)
    expected = {**SNAPSHOT_EXAMPLE, "activity_count": 3, "snapshot_at": "2026-03-26T11:10:00Z"}
    assert {k: v for k, v in response.json().items() if k in SNAPSHOT_EXAMPLE and k != "id"} == {
        k: v for k, v in expected.items() if k != "id"
    }


def test_list_example(api, snapshot):
    listing = api.get(URL).json()
    assert set(listing) == {"data", "pagination"}
    assert listing["pagination"] == PAGINATION_EXAMPLE
    assert_like(listing["data"][0], SNAPSHOT_EXAMPLE, SNAPSHOT_EXTRA)


def test_get_example(api, snapshot):
    assert_like(api.get(f"{URL}/{snapshot.public_id}").json(), SNAPSHOT_EXAMPLE, SNAPSHOT_EXTRA)


@time_machine.travel("2026-03-26T11:15:00Z", tick=False)
def test_put_example(api, snapshot):
    put = api.put(
        f"{URL}/{snapshot.public_id}",
        {"range": {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}},
        format="json",
    )
    assert put.status_code == 200
    assert_like(put.json(), SNAPSHOT_EXAMPLE, SNAPSHOT_EXTRA)
    assert put.json()["snapshot_at"] == "2026-03-26T11:15:00Z"


def test_delete_example(api, snapshot):
    deleted = api.delete(f"{URL}/{snapshot.public_id}").json()
    assert_like(deleted, DELETE_EXAMPLE)
    assert deleted == {"deleted": True, "id": snapshot.public_id}


def test_activities_example(api, org, make_activity):
    make_activity(org, "2026-01-15T10:30:00Z", activity_id="act-10021", participant_count=4, location="Oslo")
    make_activity(
        org,
        "2026-01-15T13:00:00Z",
        activity_id="act-10022",
        activity_type="individual_counseling",
        participant_count=1,
        location="Bergen",
    )
    body = api.get(
        f"{URL}/activities", {"org_id": "org-bufdir-42", "start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}
    ).json()
    assert set(body) == {"data", "pagination"}
    for item in body["data"]:
        assert_like(item, ACTIVITY_EXAMPLE, ACTIVITY_EXTRA)
    assert body["data"] == [
        {**ACTIVITY_EXAMPLE, **UNKNOWN},
        {
            "activity_id": "act-10022",
            "org_id": "org-bufdir-42",
            "activity_type": "individual_counseling",
            "recorded_at": "2026-01-15T13:00:00Z",
            "participant_count": 1,
            "location": "Bergen",
            "status": "completed",
            **UNKNOWN,
        },
    ]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 2}


def test_generated_activity_ids_match_the_example_format(api, org, make_activity):
    make_activity(org, "2026-01-15T10:30:00Z")
    body = api.get(f"{URL}/activities", {"org_id": org.org_id, "start": "2026-01-15", "end": "2026-01-15"}).json()
    assert_like(body["data"][0], ACTIVITY_EXAMPLE, ACTIVITY_EXTRA)


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
    assert_like(body, PERIOD_EXAMPLE, PERIOD_EXTRA)
    assert {k: v for k, v in body.items() if k not in {"submitted_period_id", *PERIOD_EXTRA}} == {
        k: v for k, v in PERIOD_EXAMPLE.items() if k != "submitted_period_id"
    }
    assert (body["changes_since_submission"], body["changes_since_submission_total"]) == ([], 0)
