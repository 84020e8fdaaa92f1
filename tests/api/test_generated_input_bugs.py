"""Regression tests for the bugs generated input (schemathesis, hypothesis) found."""

from __future__ import annotations

import datetime as dt

import pytest

from activities.models import Activity
from tests.api.test_errors import assert_problem


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/activities/?end=x%25%3Dy",
        "/api/v1/activities/?start=100%25",
        "/api/v1/bufdir-aggregations/?range_end=x%25s",
        "/api/v1/bufdir-aggregations/?range_start=%25",
    ],
)
def test_percent_sign_in_a_range_filter_is_a_400_not_a_500(api, db, url):
    body = assert_problem(api.get(url), 400)
    assert "%" in str(body["errors"])


@pytest.mark.parametrize("url", ["/api/v1/activities/", "/api/v1/bufdir-aggregations/"])
def test_filter_end_in_year_9999_is_a_400_not_an_overflow(api, db, url):
    # The last second of 9999 has no exclusive end (end + 1 s); it is outside the window anyway.
    param = "end" if "activities" in url else "range_end"
    body = assert_problem(api.get(url, {param: "9999-12-31T23:59:59Z"}), 400)
    assert "1900-01-01 to 2199-12-31" in str(body["errors"][param])  # the supported window, named


@pytest.mark.parametrize(
    "url", ["/api/v1/activities/", "/api/v1/bufdir-aggregations/", "/api/v1/period-record-counts/"]
)
def test_deeply_nested_json_is_a_400_not_a_recursion_error(api, db, url):
    deep = "[" * 10_000 + "]" * 10_000
    body = assert_problem(api.generic("POST", url, deep, content_type="application/json"), 400)
    assert "nested too deeply" in body["detail"]


def test_body_over_the_upload_limit_is_a_413_not_a_plain_400(api, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"location": "' + "x" * 2000 + '"}'
    assert_problem(api.generic("POST", "/api/v1/activities/", body, content_type="application/json"), 413)


@pytest.mark.parametrize("value", ["yes", "2", "TRUE ", "a\x00"])
def test_is_complete_filter_rejects_values_it_cannot_read_instead_of_ignoring_them(api, db, value):
    body = assert_problem(api.get("/api/v1/period-record-counts/", {"is_complete": value}), 400)
    assert "is_complete" in body["errors"]


@pytest.mark.parametrize(
    ("value", "complete"),
    [("true", True), ("True", True), ("1", True), ("false", False), ("False", False), ("0", False)],
)
def test_is_complete_filter_reads_the_spellings_clients_send(api, org, value, complete):
    from lib.timeranges import make_range
    from record_counts.services import count_snapshot_upsert

    closed = count_snapshot_upsert(
        org=org, time_range=make_range(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2020, 1, 31, tzinfo=dt.UTC))
    )
    open_ = count_snapshot_upsert(
        org=org, time_range=make_range(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(9000, 1, 1, tzinfo=dt.UTC))
    )
    ids = [s["id"] for s in api.get("/api/v1/period-record-counts/", {"is_complete": value}).json()["data"]]
    assert ids == [(closed if complete else open_).public_id]


def test_empty_is_complete_filter_is_no_filter(api, db):
    assert api.get("/api/v1/period-record-counts/", {"is_complete": ""}).status_code == 200


def test_start_with_nanoseconds_is_rounded_up_not_down(api, org, make_activity):
    # Python keeps microseconds only; truncating .123456789 to .123456 took in an
    # activity recorded before the start.
    make_activity(org, "2026-01-01T00:00:00.123456Z")
    make_activity(org, "2026-01-01T00:00:00.123457Z")
    body = {"org_id": org.org_id, "range": {"start": "2026-01-01T00:00:00.123456789Z", "end": "2026-01-01T00:00:01Z"}}
    response = api.post("/api/v1/period-record-counts/", body, format="json")
    assert response.json()["record_count"] == 1
    listed = api.get(
        "/api/v1/bufdir-aggregations/activities",
        {"org_id": org.org_id, "start": "2026-01-01T00:00:00,1234561+00:00", "end": "2026-01-01T00:00:01.9999999Z"},
    )
    assert [a["recorded_at"] for a in listed.json()["data"]] == ["2026-01-01T00:00:00.123457Z"]


def test_whitespace_only_range_filter_is_a_400(api, org, make_activity):
    # schemathesis sent "?end=+" and, once the schema said format date-time, "?range_start=%0D":
    # whitespace alone is not a bound. Only an empty value means no filter; whitespace
    # around a real bound is still read.
    make_activity(org, "2026-02-01T10:00:00Z")
    for blank in (" ", "\r", "\t"):
        problem = assert_problem(api.get("/api/v1/activities/", {"end": blank}), 400)
        assert "end" in problem["errors"]
        assert_problem(api.get("/api/v1/bufdir-aggregations/", {"range_start": blank}), 400)
    assert api.get("/api/v1/activities/", {"end": ""}).json()["pagination"]["total"] == 1
    assert api.get("/api/v1/activities/", {"end": " 2026-12-31 "}).json()["pagination"]["total"] == 1


def test_padded_bare_date_is_still_not_an_activity_time(api, org):
    body = {"org_id": org.org_id, "activity_type": "peer_support", "recorded_at": " 2026-02-01 "}
    problem = assert_problem(api.post("/api/v1/activities/", body, format="json"), 400)
    assert "recorded_at" in problem["errors"]


def test_padded_datetime_is_read_like_the_schema_says(api, org):
    body = {"org_id": org.org_id, "activity_type": "peer_support", "recorded_at": " 2026-02-01T10:00:00Z "}
    response = api.post("/api/v1/activities/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["recorded_at"] == "2026-02-01T10:00:00Z"


@pytest.mark.parametrize("field", ["activity_id", "activity_type", "location"])
def test_number_for_a_string_field_of_an_activity_is_a_400(api, org, field):
    # schemathesis, from the contract's request example: {"activity_id": 0} was stored as "0".
    body = {"org_id": org.org_id, "activity_type": "peer_support", "recorded_at": "2026-02-01T10:00:00Z", field: 0}
    problem = assert_problem(api.post("/api/v1/activities/", body, format="json"), 400)
    assert problem["errors"] == {field: ["Expected a string."]}
    assert not Activity.objects.exists()
