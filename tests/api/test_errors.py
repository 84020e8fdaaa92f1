"""One error format everywhere: problem details, never HTML, never a stack trace."""

from __future__ import annotations

import pytest

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert "Traceback" not in response.content.decode()
    return body


def test_unknown_api_path_is_a_problem_404(api, db):
    assert_problem(api.get("/api/v1/nothing-here"), 404)


def test_malformed_json_is_a_400(api, db):
    body = assert_problem(api.generic("POST", "/api/v1/activities", "{not json", content_type="application/json"), 400)
    assert "JSON" in body["detail"]


def test_wrong_content_type_is_a_415(api, db):
    assert_problem(api.generic("POST", "/api/v1/activities", "a=b", content_type="text/plain"), 415)


def test_unknown_method_is_a_405(api, db):
    assert_problem(api.generic("PATCH", "/api/v1/activities"), 405)


def test_validation_errors_name_each_field(api, org):
    body = assert_problem(api.post("/api/v1/activities", {"org_id": org.org_id}, format="json"), 400)
    assert {"activity_type", "recorded_at"} <= set(body["errors"])
    assert body["title"] == "Validation error"


def test_unknown_fields_are_rejected_not_ignored(api, org):
    payload = {
        "org_id": org.org_id,
        "activity_type": "family_guidance",
        "recorded_at": "2026-01-01T10:00:00Z",
        "participants": 3,
    }
    body = assert_problem(api.post("/api/v1/activities", payload, format="json"), 400)
    assert "participants" in body["errors"]


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "42", "null"])
def test_non_object_bodies_are_a_400(api, db, body):
    assert_problem(api.generic("POST", "/api/v1/activities", body, content_type="application/json"), 400)
