"""Every response under /api/, the stream and /healthz is a problem JSON, whatever DEBUG
is; a NUL byte anywhere in admin is a 400, not a 500."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

STREAM = "/api/v1/period-record-counts/stream"
PROBLEM = "application/problem+json"


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)  # as a browser posting a form would be checked


@pytest.mark.parametrize("path", [STREAM, "/healthz"])
@pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "head", "options"])
def test_other_methods_on_get_only_endpoints_are_405_problems_with_allow(browser, db, path, method):
    response = getattr(browser, method)(path)
    assert response.status_code == 405
    assert response["Content-Type"] == PROBLEM
    assert "GET" in response["Allow"]
    if method != "head":
        assert response.json()["status"] == 405


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_api_path_is_a_404_problem_whatever_debug_is(db, debug):
    with override_settings(DEBUG=debug):
        response = Client().get("/api/v1/no-such-thing/at-all")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 404


@pytest.mark.parametrize(
    "query",
    ["location=%00", "activity_type=a%00", "q=%00", "org__id__exact=%00"],
)
def test_a_nul_byte_in_admin_filters_is_a_400(admin_client, query):
    assert admin_client.get(f"/admin/activities/activity/?{query}").status_code == 400


def test_a_nul_byte_in_admin_autocomplete_is_a_400(admin_client):
    url = "/admin/autocomplete/?app_label=activities&model_name=activity&field_name=org&term=%00"
    assert admin_client.get(url).status_code == 400


def test_ordinary_admin_pages_are_unaffected(admin_client):
    assert admin_client.get("/admin/activities/activity/?location=Oslo").status_code == 200


def test_a_query_string_too_long_is_a_414_problem(db):
    response = Client().get("/api/v1/activities/", {"location": "x" * 5000})
    assert response.status_code == 414
    assert response["Content-Type"] == PROBLEM


def test_headers_too_large_are_a_431_problem(db):
    response = Client().get("/api/v1/activities/", HTTP_X_PADDING="y" * 17000)
    assert response.status_code == 431
    assert response["Content-Type"] == PROBLEM


def test_ordinary_sizes_pass(db):
    assert Client().get("/api/v1/activities/", {"location": "x" * 1000}, HTTP_X_PADDING="y" * 1000).status_code == 200
