"""What the OpenAPI schema promises beyond the views' own declarations (lib/api/schema.py)."""

from __future__ import annotations

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
