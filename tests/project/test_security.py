"""Security headers, HTTPS behind a proxy, CSRF on admin, and the deploy checks."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.test import Client, override_settings

from api_keys.checks import check_api_access
from tests.project.test_settings import load_settings


@pytest.fixture
def client(db) -> Client:
    return Client(SERVER_NAME="localhost")


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/activities", "/admin/login/"])
def test_security_headers_on_https_responses(client, path):
    response = client.get(path, secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=2592000"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_the_proxys_forwarded_proto_counts_as_https(client):
    # Tests run with DEBUG off, where BEHIND_TLS_PROXY defaults to on.
    assert "Strict-Transport-Security" not in client.get("/healthz")
    assert "Strict-Transport-Security" in client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_except_healthz(client):
    response = client.get("/api/v1/activities")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert client.get("/healthz").status_code == 200


def test_admin_cookies_are_secure_and_csrf_is_enforced(db):
    client = Client(SERVER_NAME="localhost", enforce_csrf_checks=True)
    page = client.get("/admin/login/", secure=True)
    assert page.cookies["csrftoken"]["secure"] is True
    refused = client.post("/admin/login/", {"username": "x", "password": "y"}, secure=True)
    assert refused.status_code == 403


def _ids(messages) -> set[str]:
    return {m.id for m in messages}


@override_settings(DEBUG=False, API_ACCESS="public", API_THROTTLE_COUNTING=None)
def test_deploy_check_warns_about_a_public_api_in_production():
    assert {"api_keys.W001", "api_keys.W002"} <= _ids(run_checks(include_deployment_checks=True))
    # `manage.py check` without --deploy (the Makefile's) stays quiet about it.
    assert not {"api_keys.W001", "api_keys.W002"} & _ids(run_checks())


@override_settings(DEBUG=False, API_ACCESS="token", API_THROTTLE_COUNTING="60/minute", TRUSTED_PROXIES=1)
def test_deploy_check_is_quiet_in_token_mode_with_throttling_behind_a_known_proxy():
    assert not _ids(check_api_access())


@override_settings(DEBUG=True, API_ACCESS="public")
def test_deploy_check_is_quiet_in_debug():
    assert not _ids(check_api_access())


def test_access_settings_are_validated():
    assert "API_ACCESS must be 'public' or 'token'" in load_settings(DEBUG="1", API_ACCESS="tokens").stderr
    assert "needs API_ACCESS=token too" in load_settings(DEBUG="1", API_READ_ACCESS="token").stderr
    assert load_settings(DEBUG="1", API_ACCESS="token", API_READ_ACCESS="token").returncode == 0


def test_session_cookie_is_secure_and_http_only(db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.org", "right-password-123")
    client = Client(SERVER_NAME="localhost")
    response = client.post("/admin/login/", {"username": "root", "password": "right-password-123"}, secure=True)
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True


def test_deploy_check_warns_when_the_events_channel_is_shared(settings):
    from record_counts.checks import check_events_prefix

    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.EVENTS_CHANNEL_PREFIX = ""
    assert [m.id for m in check_events_prefix()] == ["record_counts.W001"]
    settings.EVENTS_CHANNEL_PREFIX = "db-abc:"
    assert check_events_prefix() == []
    settings.REDIS_URL = ""
    settings.EVENTS_CHANNEL_PREFIX = ""
    assert check_events_prefix() == []  # no Redis, nothing shared


def test_deploy_check_warns_behind_a_proxy_without_trusted_proxies(settings):
    from api_keys.checks import check_api_access

    settings.DEBUG = False
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = 0
    assert "api_keys.W003" in [m.id for m in check_api_access()]
    settings.TRUSTED_PROXIES = 1
    assert "api_keys.W003" not in [m.id for m in check_api_access()]
