"""Every way a client can get it wrong: 4xx in the one error format, field named, nothing written."""

from __future__ import annotations

import json

import pytest

from aggregations.models import AggregationSnapshot
from tests.aggregations.conftest import Q1, URL

ORG = "org-bufdir-42"


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # missing
        ({"range": Q1}, "org_id"),
        ({"org_id": ORG}, "range"),
        ({"org_id": ORG, "range": {"start": Q1["start"]}}, "range"),
        ({"org_id": ORG, "range": {"end": Q1["end"]}}, "range"),
        ({}, "org_id"),
        # extra, at the top and nested
        ({"org_id": ORG, "range": Q1, "range_start": "x"}, "range_start"),
        ({"org_id": ORG, "range": {**Q1, "tz": "Europe/Oslo"}}, "range"),
        ({"org_id": ORG, "range": Q1, "activity_count": 5}, "activity_count"),
        # wrong types
        ({"org_id": 42, "range": Q1}, "org_id"),
        ({"org_id": None, "range": Q1}, "org_id"),
        ({"org_id": [ORG], "range": Q1}, "org_id"),
        ({"org_id": {"id": ORG}, "range": Q1}, "org_id"),
        ({"org_id": ORG, "range": "2026"}, "range"),
        ({"org_id": ORG, "range": None}, "range"),
        ({"org_id": ORG, "range": [Q1["start"], Q1["end"]]}, "range"),
        ({"org_id": ORG, "range": {"start": 20260101, "end": Q1["end"]}}, "range"),
        ({"org_id": ORG, "range": {"start": True, "end": Q1["end"]}}, "range"),
        ({"org_id": ORG, "range": {"start": None, "end": Q1["end"]}}, "range"),
        ({"org_id": ORG, "range": {"start": {"nested": 1}, "end": Q1["end"]}}, "range"),
        # bad values
        ({"org_id": "org-nope", "range": Q1}, "org_id"),
        ({"org_id": "", "range": Q1}, "org_id"),
        ({"org_id": "org-bufdir-42\x00", "range": Q1}, "org_id"),
        ({"org_id": "x" * 65, "range": Q1}, "org_id"),
        ({"org_id": ORG, "range": {"start": "2026-01-01T00:00:00", "end": Q1["end"]}}, "range"),
        ({"org_id": ORG, "range": {"start": Q1["end"], "end": Q1["start"]}}, "range"),
        ({"org_id": ORG, "range": {"start": "2026-02-30", "end": "2026-03-01"}}, "range"),
        ({"org_id": ORG, "range": {"start": "2026-01-01T25:00:00Z", "end": Q1["end"]}}, "range"),
        ({"org_id": ORG, "range": {"start": "yesterday", "end": Q1["end"]}}, "range"),
        ({"org_id": ORG, "range": {"start": "9999-12-31", "end": "9999-12-31"}}, "range"),
        ({"org_id": ORG, "range": {"start": "0001-01-01", "end": "0001-01-01"}}, "range"),
    ],
)
def test_bad_create_bodies_name_the_field_and_write_nothing(api, org, body, field):
    errors = problem(api.post(URL, body, format="json"), 400)["errors"]
    assert field in errors
    assert AggregationSnapshot.objects.count() == 0


@pytest.mark.parametrize(("bound", "value"), [("start", "2026-01-01T00:00:00"), ("end", "2026-03-31T23:59:59")])
def test_naive_datetime_message_names_the_bound_and_says_to_add_an_offset(api, org, bound, value):
    body = {"org_id": org.org_id, "range": {**Q1, bound: value}}
    errors = problem(api.post(URL, body, format="json"), 400)["errors"]
    assert list(errors["range"]) == [bound]
    assert "add one" in errors["range"][bound][0]


def test_start_after_end_is_an_error_on_end(api, org):
    body = {"org_id": org.org_id, "range": {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T23:59:59Z"}}
    assert list(problem(api.post(URL, body, format="json"), 400)["errors"]["range"]) == ["end"]


@pytest.mark.parametrize("raw", ['{"org_id": ', "[]", "null", '"x"', "{'org_id': 1}", "\xff"])
def test_malformed_or_non_object_json_is_a_400(api, org, raw):
    problem(api.generic("POST", URL, raw, content_type="application/json"), 400)
    assert AggregationSnapshot.objects.count() == 0


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]
)
def test_wrong_content_type_is_a_415(api, org, content_type):
    body = json.dumps({"org_id": org.org_id, "range": Q1})
    problem(api.generic("POST", URL, body, content_type=content_type), 415)
    assert AggregationSnapshot.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/{id}"),
        ("post", "/{id}"),
        ("put", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "/activities"),
        ("put", "/activities"),
        ("delete", "/activities"),
        ("post", "/last-submitted-period"),
        ("delete", "/last-submitted-period"),
    ],
)
def test_unknown_methods_are_405(api, snapshot, method, path):
    before = AggregationSnapshot.objects.values().get()
    url = URL + path.format(id=snapshot.public_id)
    problem(getattr(api, method)(url, {"range": Q1}, format="json"), 405)
    assert AggregationSnapshot.objects.values().get() == before


@pytest.mark.parametrize(
    "bad_id",
    [
        "agg-snap-xyz",
        "agg-snap-" + "1" * 40,
        "1" * 40,
        "count-snapshot-001",
        "sub-period-001",
        "agg-snap-1",
        "agg-snap-0001",
        "agg-snap-000",
        "agg-snap--01",
        "AGG-SNAP-001",
        "agg-snap-9223372036854775808",
        "%00",
        "999",
        "1",
    ],
)
def test_ids_that_are_not_ours_are_404_everywhere(api, snapshot, bad_id):
    before = AggregationSnapshot.objects.values().get()
    for base in (URL, URL + URL):
        for method in ("get", "put", "delete"):
            problem(getattr(api, method)(f"{base}/{bad_id}"), 404)
    assert AggregationSnapshot.objects.values().get() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"range": {"start": Q1["end"], "end": Q1["start"]}}, "range"),
        ({"range": {"start": Q1["start"]}}, "range"),
        ({"range": {**Q1, "extra": 1}}, "range"),
        ({"range": None}, "range"),
        ({"range": "Q1"}, "range"),
        ({"range": {"start": "2026-01-01T00:00:00", "end": Q1["end"]}}, "range"),
        ({"org_id": "org-bufdir-7"}, "org_id"),  # a snapshot cannot change organisation
        ({"activity_count": 1}, "activity_count"),
        ([], "non_field_errors"),
    ],
)
def test_bad_update_bodies_change_nothing(api, snapshot, body, field):
    before = AggregationSnapshot.objects.values().get()
    errors = problem(api.put(f"{URL}/{snapshot.public_id}", body, format="json"), 400)["errors"]
    assert field in errors
    assert AggregationSnapshot.objects.values().get() == before


def test_malformed_json_and_wrong_content_type_on_update_change_nothing(api, snapshot):
    before = AggregationSnapshot.objects.values().get()
    url = f"{URL}/{snapshot.public_id}"
    problem(api.generic("PUT", url, '{"range": ', content_type="application/json"), 400)
    problem(api.generic("PUT", url, "range=x", content_type="application/x-www-form-urlencoded"), 415)
    assert AggregationSnapshot.objects.values().get() == before


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "x"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"page": "100000000000"}, "page"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "\u0661\u0660"}, "limit"),  # Arabic-Indic digits: not an integer here
        ({"range_start": "tomorrow"}, "range_start"),
        ({"range_end": "2026-01-01T00:00:00"}, "range_end"),
        ({"org_id": "\x00"}, "org_id"),
    ],
)
def test_bad_list_parameters_name_the_parameter(api, db, params, field):
    assert field in problem(api.get(URL, params), 400)["errors"]


ACTIVITIES_OK = {"org_id": ORG, "start": "2026-01-01", "end": "2026-01-31"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({**ACTIVITIES_OK, "org_id": "org-nope"}, "org_id"),
        ({**ACTIVITIES_OK, "start": ""}, "start"),
        ({**ACTIVITIES_OK, "end": "2026-13-01"}, "end"),
        ({**ACTIVITIES_OK, "page": "0"}, "page"),
        ({**ACTIVITIES_OK, "limit": "1000"}, "limit"),
        ({**ACTIVITIES_OK, "status": "finished"}, "status"),
        ({**ACTIVITIES_OK, "location": "\x00"}, "location"),
    ],
)
def test_bad_activities_parameters_name_the_parameter(api, org, params, field):
    assert field in problem(api.get(f"{URL}/activities", params), 400)["errors"]
