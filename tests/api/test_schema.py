"""What the OpenAPI schema promises beyond the views' own declarations (lib/api/schema.py)."""

from __future__ import annotations

import json
import re

import pytest

STREAM = "/api/v1/period-record-counts/stream"


@pytest.fixture
def schema(api, db):
    return api.get("/api/schema/", {"format": "json"}).json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_stream_is_documented_as_an_event_stream(schema):
    get = schema["paths"][STREAM]["get"]
    assert list(get["responses"]["200"]["content"]) == ["text/event-stream"]
    assert {p["name"] for p in get["parameters"]} == {"org_id", "start", "end"}
    assert "application/problem+json" in get["responses"]["400"]["content"]


def test_every_error_response_documents_its_problem_body(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        assert {"401", "403", "503"} <= codes, (path, method)
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, (path, method)
        for code, response in operation["responses"].items():
            if code >= "400":
                assert list(response["content"]) == ["application/problem+json"], (path, method, code)


def test_creates_document_the_idempotency_key_and_its_422(schema):
    for path in ("/api/v1/activities/", "/api/v1/bufdir-aggregations/", "/api/v1/period-record-counts/"):
        post = schema["paths"][path]["post"]
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
        assert "422" in post["responses"]


def test_counting_writes_document_the_throttle_and_record_counts_the_conflict(schema):
    assert "429" in schema["paths"]["/api/v1/bufdir-aggregations/"]["post"]["responses"]
    assert "429" in schema["paths"]["/api/v1/period-record-counts/{id}/"]["put"]["responses"]
    assert "409" in schema["paths"]["/api/v1/period-record-counts/{id}/"]["put"]["responses"]


def test_deletes_document_their_200_body(schema):
    for path in ("/api/v1/activities/{activity_id}/", "/api/v1/bufdir-aggregations/{id}/"):
        assert set(schema["paths"][path]["delete"]["responses"]) >= {"200", "404"}
        assert "204" not in schema["paths"][path]["delete"]["responses"]


def test_creates_link_to_the_created_resource(schema):
    links = schema["paths"]["/api/v1/bufdir-aggregations/"]["post"]["responses"]["201"]["links"]
    assert links["getAggregationSnapshot"]["parameters"] == {"id": "$response.body#/id"}
    links = schema["paths"]["/api/v1/activities/"]["post"]["responses"]["201"]["links"]
    assert links["deleteActivity"]["parameters"] == {"activity_id": "$response.body#/activity_id"}


CONTRACT_IDS = {"countActivitiesInRange", "getActivitiesInRange", "getLastSubmittedPeriod", "getCountStream"}
CONTRACT_RANGE = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}


def test_operation_ids_are_the_contracts_names_and_camel_case(schema):
    ids = [operation["operationId"] for _, _, operation in operations(schema)]
    assert set(ids) >= CONTRACT_IDS
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", op_id) for op_id in ids), ids
    # Each path is listed once (with trailing slash); the ids are unique among operations.
    assert len(ids) == len(set(ids))


def test_is_complete_is_a_boolean_query_parameter(schema):
    params = schema["paths"]["/api/v1/period-record-counts/"]["get"]["parameters"]
    (is_complete,) = [p for p in params if p["name"] == "is_complete"]
    assert is_complete["schema"] == {"type": "boolean"}


def test_activities_in_range_is_documented_as_a_page(schema):
    response = schema["paths"]["/api/v1/bufdir-aggregations/activities/"]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][ref]["properties"]) == {"data", "pagination"}


def test_datetimes_are_date_time_and_bounds_date_time_or_date(schema):
    components = schema["components"]["schemas"]
    assert components["Snapshot"]["properties"]["snapshot_at"]["format"] == "date-time"
    assert components["CountResult"]["properties"]["computed_at"]["format"] == "date-time"
    assert components["SubmittedPeriod"]["properties"]["period_start"]["format"] == "date"
    assert components["Range"]["properties"]["start"]["format"] == "date-time"  # answers: UTC datetimes
    bound = components["RangeRequest"]["properties"]["start"]
    assert [s["format"] for s in bound["oneOf"]] == ["date-time", "date"]
    assert "bare date" in bound["description"]
    assert r"\\d{4}-\\d{2}" not in json.dumps(schema)  # no lenient datetime regexes left


def test_request_examples_are_the_contracts(schema):
    def example(path, method):
        content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        return [e["value"] for e in content["examples"].values()]

    create = {"org_id": "org-bufdir-42", "range": CONTRACT_RANGE}
    assert example("/api/v1/bufdir-aggregations/", "post") == [create]
    assert example("/api/v1/period-record-counts/", "post") == [create]
    assert example("/api/v1/bufdir-aggregations/{id}/", "put") == [{"range": CONTRACT_RANGE}]
    assert example("/api/v1/period-record-counts/{id}/", "put") == [{"range": CONTRACT_RANGE}]


def test_patch_bodies_have_no_defaults(schema):
    patched = schema["components"]["schemas"]["PatchedActivityRequest"]["properties"]
    assert all("default" not in prop for prop in patched.values())
    assert schema["components"]["schemas"]["ActivityRequest"]["properties"]["location"]["default"] == ""


def test_empty_filters_are_allowed_without_empty_enum_values(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/activities/"]["get"]["parameters"]}
    assert params["status"]["allowEmptyValue"] is True
    assert "" not in params["status"]["schema"]["enum"]
    assert "allowEmptyValue" not in params["page"]
