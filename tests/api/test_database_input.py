"""Input that would reach the database badly (NUL bytes, huge strings, years 1 and 9999,
integers past 64 bits, deep JSON, huge bodies): a clear 4xx problem, never a 500, and
nothing written. Runs on SQLite and, in .ci/run, on PostgreSQL (which refuses NUL bytes
with an error rather than a miss)."""

from __future__ import annotations

import json

import pytest

from activities.models import Activity
from aggregations.models import AggregationSnapshot
from record_counts.models import CountSnapshot
from tests.api.test_errors import assert_problem

ACTIVITIES = "/api/v1/activities/"
AGGREGATIONS = "/api/v1/bufdir-aggregations/"
COUNTS = "/api/v1/period-record-counts/"
PERIODS = "/api/v1/submitted-periods/"
RANGE = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}
LONG = "x" * 10_000


def activity(**changes):
    return {"org_id": "org-bufdir-42", "activity_type": "family_guidance", "recorded_at": "2026-01-15T10:00:00Z"} | (
        changes
    )


def snapshot(**range_changes):
    return {"org_id": "org-bufdir-42", "range": RANGE | range_changes}


BAD_ACTIVITIES = {
    "nul in location": activity(location="Oslo\x00"),
    "nul in activity_type": activity(activity_type="family\x00guidance"),
    "nul in org_id": activity(org_id="org-bufdir-42\x00"),
    "nul in activity_id": activity(activity_id="act-1\x00"),
    "nul in recorded_at": activity(recorded_at="2026-01-15T10:00:00Z\x00"),
    "long location": activity(location=LONG),
    "long activity_type": activity(activity_type=LONG),
    "long org_id": activity(org_id=LONG),
    "long activity_id": activity(activity_id="act-" + LONG),
    "long recorded_at": activity(recorded_at="2026-01-15T10:00:00." + "1" * 10_000 + "Z"),
    "year 1 before UTC": activity(recorded_at="0001-01-01T00:00:00+01:00"),
    "year 9999 after UTC": activity(recorded_at="9999-12-31T23:59:59-01:00"),
    "year 10000": activity(recorded_at="10000-01-01T00:00:00Z"),
    "participants past 64 bits": activity(participant_count=2**64 + 1),
    "negative participants past 64 bits": activity(participant_count=-(2**70)),
    "participants past 32 bits": activity(participant_count=2**31),
}

BAD_SNAPSHOTS = {
    "nul in org_id": {"org_id": "org-bufdir-42\x00", "range": RANGE},
    "nul in start": snapshot(start="2026-01-01\x00"),
    "long org_id": {"org_id": LONG, "range": RANGE},
    "long end": snapshot(end="2026-03-31T23:59:59." + "9" * 10_000 + "Z"),
    "year 1 start before UTC": snapshot(start="0001-01-01T00:00:00+01:00"),
    "year 1 bare date start": snapshot(start="0001-01-01"),
    "year 9999 end": snapshot(end="9999-12-31T23:59:59Z"),
    "year 9999 bare date end": snapshot(end="9999-12-31"),
    "integer start": snapshot(start=2**70),
    "nested range": {"org_id": "org-bufdir-42", "range": {"start": RANGE, "end": RANGE}},
}


def rows():
    return Activity.objects.count(), AggregationSnapshot.objects.count(), CountSnapshot.objects.count()


@pytest.fixture
def existing(api, org, other_org, make_activity):
    """One activity and one snapshot of each kind, to PUT to."""
    act = make_activity(org, "2026-01-10T10:00:00Z", location="Oslo")
    agg = api.post(AGGREGATIONS, snapshot(), format="json").json()["id"]
    count = api.post(COUNTS, snapshot(), format="json").json()["id"]
    return {"activity": act.activity_id, "aggregation": agg, "count": count}


def state():
    return (
        list(Activity.objects.values_list("activity_id", "org_id", "recorded_at", "location", "participant_count")),
        list(AggregationSnapshot.objects.values_list("id", "range_start", "range_end", "snapshot_at")),
        list(CountSnapshot.objects.values_list("id", "range_start", "range_end", "snapshot_at")),
    )


@pytest.mark.parametrize("case", BAD_ACTIVITIES)
def test_bad_activity_is_a_400_and_writes_nothing(api, existing, case):
    before = state()
    payload = BAD_ACTIVITIES[case]
    assert_problem(api.post(ACTIVITIES, payload, format="json"), 400)
    assert_problem(api.post(ACTIVITIES, [activity(), payload], format="json"), 400)
    assert_problem(api.put(f"{ACTIVITIES}{existing['activity']}", payload, format="json"), 400)
    assert_problem(api.patch(f"{ACTIVITIES}{existing['activity']}", payload, format="json"), 400)
    assert state() == before


@pytest.mark.parametrize("case", BAD_SNAPSHOTS)
def test_bad_snapshot_request_is_a_400_and_writes_nothing(api, existing, case):
    before = state()
    payload = BAD_SNAPSHOTS[case]
    assert_problem(api.post(AGGREGATIONS, payload, format="json"), 400)
    assert_problem(api.post(COUNTS, payload, format="json"), 400)
    if "range" in case or "start" in case or "end" in case or "nested" in case:
        update = {"range": payload["range"]}
        assert_problem(api.put(f"{AGGREGATIONS}{existing['aggregation']}", update, format="json"), 400)
        assert_problem(api.put(f"{COUNTS}{existing['count']}", update, format="json"), 400)
    assert state() == before


def write_requests(existing):
    return [
        ("POST", ACTIVITIES),
        ("POST", AGGREGATIONS),
        ("POST", COUNTS),
        ("PUT", f"{ACTIVITIES}{existing['activity']}"),
        ("PATCH", f"{ACTIVITIES}{existing['activity']}"),
        ("PUT", f"{AGGREGATIONS}{existing['aggregation']}"),
        ("PUT", f"{COUNTS}{existing['count']}"),
    ]


def test_deeply_nested_json_is_a_400_on_every_write(api, existing):
    before = state()
    for nested in ("[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000):
        for method, url in write_requests(existing):
            body = assert_problem(api.generic(method, url, nested, content_type="application/json"), 400)
            assert "JSON" in body["detail"], (method, url)
    assert state() == before


def test_ten_megabyte_body_is_a_413_on_every_write(api, existing):
    before = state()
    huge = json.dumps(activity(location="x" * 10_000_000))
    for method, url in write_requests(existing):
        assert_problem(api.generic(method, url, huge, content_type="application/json"), 413)
    assert state() == before


def test_nul_byte_in_idempotency_key_is_a_400(api, existing):
    before = state()
    response = api.post(ACTIVITIES, activity(), format="json", HTTP_IDEMPOTENCY_KEY="key\x00")
    assert_problem(response, 400)
    assert state() == before


# The supported window is 1900-01-01 to 2199-12-31 local (SPEC.md, "Supported values"):
# Oslo was on CET (+01:00) at both edges.
@pytest.mark.parametrize("recorded_at", ["1899-12-31T23:00:00Z", "2026-03-29T01:00:00Z", "2199-12-31T22:59:59.999999Z"])
def test_instants_inside_the_supported_window_round_trip(api, org, recorded_at):
    response = api.post(ACTIVITIES, activity(recorded_at=recorded_at), format="json")
    assert response.status_code == 201, response.content
    assert api.get(f"{ACTIVITIES}{response.json()['activity_id']}").json()["recorded_at"] == recorded_at


@pytest.mark.parametrize(
    "recorded_at",
    ["1899-12-31T22:59:59.999999Z", "2199-12-31T23:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"],
)
def test_instants_outside_the_supported_window_are_a_400_naming_it(api, org, recorded_at):
    response = api.post(ACTIVITIES, activity(recorded_at=recorded_at), format="json")
    assert_problem(response, 400)
    assert "1900-01-01 to 2199-12-31" in str(response.json()["errors"]["recorded_at"])
    assert not Activity.objects.exists()


FILTERS = {
    ACTIVITIES: ["org_id", "activity_type", "status", "location", "start", "end"],
    AGGREGATIONS: ["org_id", "range_start", "range_end"],
    COUNTS: ["org_id", "is_complete"],
    f"{AGGREGATIONS}activities": ["org_id", "start", "end", "activity_type", "status", "location"],
    f"{AGGREGATIONS}last-submitted-period": ["org_id"],
    PERIODS: ["org_id", "scheme"],
}
HOSTILE_VALUES = [
    "a\x00b",
    LONG,
    "0001-01-01",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-01:00",
    str(2**70),
    "%s%d%%",
    "' OR 1=1 --",
    "\U0001f600",
]


@pytest.mark.parametrize("url", FILTERS)
def test_hostile_filter_values_are_answered_never_a_500(api, existing, url):
    base = {"org_id": "org-bufdir-42", "start": "2026-01-01", "end": "2026-12-31"} if "activities" in url else {}
    for name in FILTERS[url]:
        for value in HOSTILE_VALUES:
            response = api.get(url, base | {name: value})
            assert response.status_code in {200, 400, 404, 414}, (url, name, value[:40], response.content[:300])
            if response.status_code != 200:
                assert_problem(response, response.status_code)


@pytest.mark.parametrize("url", [ACTIVITIES, AGGREGATIONS, COUNTS, PERIODS])
@pytest.mark.parametrize("param", ["page", "limit"])
@pytest.mark.parametrize("value", [str(2**64), str(2**70), "-" + str(2**64), "1e308", "\x00"])
def test_page_and_limit_past_64_bits_are_a_400(api, db, url, param, value):
    assert_problem(api.get(url, {param: value}), 400)


@pytest.mark.parametrize(
    "params",
    [
        {"start": "100%", "end": "x%s"},
        {"start": "2026-01-01", "end": "9999-12-31T23:59:59Z"},
        {"start": "0001-01-01", "end": "2026-01-01"},
        {"start": "2026-01-01\x00", "end": "2026-01-02"},
        {"start": "2026-01-01", "end": "2026-01-02", "org_id": LONG},
        {"start": "2026-01-01", "end": "2026-01-02", "org_id": "org-bufdir-42\x00"},
    ],
)
def test_hostile_stream_parameters_are_a_400_before_any_stream(api, org, params):
    response = api.get("/api/v1/period-record-counts/stream", {"org_id": org.org_id} | params)
    # A 10,000-character value makes the query string itself too long: a 414 problem.
    assert_problem(response, 414 if len(str(params)) > 4096 else 400)
    assert not CountSnapshot.objects.exists()
