"""CORS: any origin reads the public API and opens the stream; only CORS_WRITE_ORIGINS
write (and send keys); admin never answers CORS. A real browser: test_cors_browser.py."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from activities.models import Activity
from tests.api_keys.conftest import RANGE, READ_TOKEN_MODE, TOKEN_MODE
from tests.project.test_settings import load_settings

APP = "https://app.example.org"  # listed in CORS_WRITE_ORIGINS below
STRANGER = "https://elsewhere.example.net"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("org")]
write_origins = override_settings(CORS_WRITE_ORIGINS=[APP], CORS_ALLOWED_ORIGINS=[APP])


@pytest.fixture
def client() -> Client:
    return Client(SERVER_NAME="localhost")


def preflight(client: Client, path: str, origin: str, method: str, headers: str = ""):  # type: ignore[no-untyped-def]
    extra = {"HTTP_ACCESS_CONTROL_REQUEST_HEADERS": headers} if headers else {}
    return client.options(path, HTTP_ORIGIN=origin, HTTP_ACCESS_CONTROL_REQUEST_METHOD=method, **extra)


def methods(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {m.strip() for m in response["Access-Control-Allow-Methods"].split(",")}


def allowed_headers(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {h.strip() for h in response["Access-Control-Allow-Headers"].split(",")}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/activities?org_id=org-bufdir-42",
        "/api/v1/period-record-counts",
        "/api/v1/bufdir-aggregations",
        "/api/schema/",
    ],
)
def test_any_origin_reads_the_public_api(client, path):
    response = client.get(path, HTTP_ORIGIN=STRANGER)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == STRANGER
    assert "origin" in response["Vary"].lower()
    assert "Access-Control-Allow-Credentials" not in response


def test_an_error_answer_carries_cors_too_so_a_page_can_read_the_problem(client):
    response = client.get("/api/v1/bufdir-aggregations/activities", HTTP_ORIGIN=STRANGER)
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == STRANGER


def test_a_read_preflight_from_any_origin_names_only_read_methods_and_no_credentials(client):
    response = preflight(client, "/api/v1/activities", STRANGER, "GET", "accept, content-type")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == STRANGER
    # Cached by the browser: it must never vouch for a later write from this origin.
    assert methods(response) == {"GET", "HEAD", "OPTIONS"}
    assert "authorization" not in allowed_headers(response)
    assert "idempotency-key" not in allowed_headers(response)


@write_origins
def test_a_write_preflight_from_an_unlisted_origin_is_refused(client):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = preflight(client, "/api/v1/activities", STRANGER, method, "content-type")
        assert "Access-Control-Allow-Origin" not in response, method


@write_origins
def test_a_write_from_an_unlisted_origin_gets_no_cors_headers(client):
    body = {"org_id": "org-bufdir-42", "activity_type": "peer_support", "recorded_at": "2026-02-01T10:00:00Z"}
    response = client.post("/api/v1/activities", body, content_type="application/json", HTTP_ORIGIN=STRANGER)
    assert "Access-Control-Allow-Origin" not in response


@write_origins
def test_a_listed_origin_may_write_with_a_key_and_an_idempotency_key(client):
    response = preflight(client, "/api/v1/activities", APP, "POST", "authorization, content-type, idempotency-key")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert {"POST", "PUT", "PATCH", "DELETE", "GET"} <= methods(response)
    assert {"authorization", "content-type", "idempotency-key"} <= allowed_headers(response)
    body = {"org_id": "org-bufdir-42", "activity_type": "peer_support", "recorded_at": "2026-02-01T10:00:00Z"}
    created = client.post("/api/v1/activities", body, content_type="application/json", HTTP_ORIGIN=APP)
    assert created.status_code == 201
    assert created["Access-Control-Allow-Origin"] == APP
    assert "Location" in created["Access-Control-Expose-Headers"]


def test_without_write_origins_no_origin_may_write(client):
    response = preflight(client, "/api/v1/bufdir-aggregations", APP, "POST", "content-type")
    assert "Access-Control-Allow-Origin" not in response


@write_origins
@override_settings(**TOKEN_MODE)
def test_token_mode_with_public_reads_still_reads_from_anywhere_but_keys_only_from_listed_origins(client):
    assert client.get("/api/v1/period-record-counts", HTTP_ORIGIN=STRANGER)["Access-Control-Allow-Origin"] == STRANGER
    refused = preflight(client, "/api/v1/period-record-counts", STRANGER, "POST", "authorization, content-type")
    assert "Access-Control-Allow-Origin" not in refused
    allowed = preflight(client, "/api/v1/period-record-counts", APP, "POST", "authorization, content-type")
    assert allowed["Access-Control-Allow-Origin"] == APP


@write_origins
@override_settings(**READ_TOKEN_MODE)
def test_read_token_mode_reads_only_from_listed_origins(client):
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/period-record-counts", HTTP_ORIGIN=STRANGER)
    refused = preflight(client, "/api/v1/period-record-counts", STRANGER, "GET", "authorization")
    assert "Access-Control-Allow-Origin" not in refused
    allowed = preflight(client, "/api/v1/period-record-counts", APP, "GET", "authorization")
    assert allowed["Access-Control-Allow-Origin"] == APP
    assert "authorization" in allowed_headers(allowed)


@write_origins
@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/dashboard/", "/healthz"])
@pytest.mark.parametrize("origin", [STRANGER, APP])
def test_admin_never_answers_cors(client, path, origin):
    assert not any(h.startswith("Access-Control-") for h in client.get(path, HTTP_ORIGIN=origin).headers)
    asked = preflight(client, path, origin, "POST", "content-type")
    assert not any(h.startswith("Access-Control-") for h in asked.headers)


def test_the_stream_is_open_to_any_origin(client):
    # Only the check before the stream starts, under the test client; the real
    # cross-origin EventSource is in test_cors_browser.py.
    response = client.get(
        "/api/v1/period-record-counts/stream", {"org_id": "org-bufdir-42", **RANGE}, HTTP_ORIGIN=STRANGER
    )
    assert response["Access-Control-Allow-Origin"] == STRANGER
    response.close()


@write_origins
def test_a_post_a_browser_sends_without_preflight_writes_nothing(client):
    # A form or text/plain POST is "simple": a page on any origin can send it unasked.
    body = '{"org_id": "org-bufdir-42", "activity_type": "peer_support", "recorded_at": "2026-02-01T10:00:00Z"}'
    response = client.post("/api/v1/activities", body, content_type="text/plain", HTTP_ORIGIN=STRANGER)
    assert response.status_code == 415
    assert not Activity.objects.exists()


def test_a_write_origin_that_is_not_an_origin_stops_the_process_at_start():
    assert load_settings(DEBUG="1", CORS_WRITE_ORIGINS="https://app.example.org,http://127.0.0.1:3000").returncode == 0
    for wrong in ("app.example.org", "https://app.example.org/", "https://app.example.org/page"):
        result = load_settings(DEBUG="1", CORS_WRITE_ORIGINS=wrong)
        assert result.returncode != 0
        assert f"CORS_WRITE_ORIGINS: {wrong!r} is not an origin" in result.stderr
