"""Reads: public in both modes unless API_READ_ACCESS=token; then a key reads only its own
organisations' data."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.api_keys.conftest import READ_TOKEN_MODE, TOKEN_MODE, bearer
from tests.api_keys.test_writes import assert_problem

Q = "org_id={org}&start=2026-01-01&end=2026-03-31"


def list_paths(org_id: str) -> list[str]:
    return [
        "/api/v1/activities",
        "/api/v1/bufdir-aggregations",
        "/api/v1/period-record-counts",
        f"/api/v1/bufdir-aggregations/activities?{Q.format(org=org_id)}",
    ]


@pytest.mark.parametrize("mode", [{}, TOKEN_MODE], ids=["public", "token, public reads"])
def test_reads_need_no_key_unless_read_access_is_token(api, mine, theirs, mode):
    with override_settings(**mode):
        for path in [*list_paths(mine.org.org_id), f"/api/v1/bufdir-aggregations/{theirs.aggregation.public_id}"]:
            assert api.get(path).status_code == 200, path


@override_settings(**READ_TOKEN_MODE)
def test_read_token_mode_refuses_reads_without_a_key(api, mine):
    for path in [*list_paths(mine.org.org_id), f"/api/v1/period-record-counts/{mine.count.public_id}"]:
        response = api.get(path)
        assert_problem(response, 401)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@override_settings(**READ_TOKEN_MODE)
def test_read_token_mode_lists_only_the_keys_organisations(api, mine, theirs, key):
    for path in ["/api/v1/activities", "/api/v1/bufdir-aggregations", "/api/v1/period-record-counts"]:
        response = api.get(path, **bearer(key))
        assert response.status_code == 200
        assert {row["org_id"] for row in response.json()["data"]} == {mine.org.org_id}, path
        # Filtering by another organisation finds nothing rather than leaking it.
        other = api.get(f"{path}?org_id={theirs.org.org_id}", **bearer(key))
        assert other.json()["data"] == [], path


@override_settings(**READ_TOKEN_MODE)
def test_read_token_mode_forbids_another_organisations_objects(api, mine, theirs, key):
    for path in [
        f"/api/v1/activities/{theirs.activity.activity_id}",
        f"/api/v1/bufdir-aggregations/{theirs.aggregation.public_id}",
        f"/api/v1/period-record-counts/{theirs.count.public_id}",
        f"/api/v1/bufdir-aggregations/activities?{Q.format(org=theirs.org.org_id)}",
        f"/api/v1/bufdir-aggregations/last-submitted-period?org_id={theirs.org.org_id}",
    ]:
        assert_problem(api.get(path, **bearer(key)), 403)
    assert api.get(f"/api/v1/bufdir-aggregations/{mine.aggregation.public_id}", **bearer(key)).status_code == 200


@override_settings(**READ_TOKEN_MODE)
def test_schema_and_docs_stay_public(api, db):
    assert api.get("/api/schema/").status_code == 200
    assert api.get("/api/docs/").status_code == 200


def test_schema_documents_the_key_as_optional_in_public_mode(api, db):
    schema = api.get("/api/schema/?format=json").json()
    assert schema["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    post = schema["paths"]["/api/v1/bufdir-aggregations/"]["post"]
    assert post["security"] == [{"ApiKey": []}, {}]


@override_settings(**TOKEN_MODE)
def test_an_invalid_key_is_a_401_even_where_none_is_needed(api, mine):
    # A client whose key was revoked learns it at once rather than on its next write.
    assert_problem(api.get("/api/v1/bufdir-aggregations", HTTP_AUTHORIZATION="Bearer bfd_0_x"), 401)
    assert api.get("/api/v1/bufdir-aggregations", HTTP_AUTHORIZATION="Basic abc").status_code == 200
