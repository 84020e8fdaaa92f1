"""Admin login: N failed attempts for one user name from one IP, then 429 until the window ends."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings

LOGIN = "/admin/login/"
START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("clean_cache")


@pytest.fixture
def clean_cache(settings):
    # These tests move the clock past the window: local memory follows time-machine's
    # clock, Redis expires keys on its own. tests/project/test_cache.py covers Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root", "root@example.org", "right-password-123")


def attempt(password: str, username: str = "root", ip: str = "10.0.0.1"):
    client = Client(SERVER_NAME="localhost", REMOTE_ADDR=ip)
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, secure=True)


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3, ADMIN_LOGIN_WINDOW_SECONDS=600)
def test_blocked_after_too_many_failures_even_with_the_right_password(admin_user):
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            assert attempt("wrong").status_code == 200  # the form again, with its error
        blocked = attempt("right-password-123")
        assert blocked.status_code == 429
        assert blocked["Retry-After"] == "600"
    with time_machine.travel(START + dt.timedelta(seconds=601), tick=False):
        assert attempt("right-password-123").status_code == 302


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3, ADMIN_LOGIN_WINDOW_SECONDS=600)
def test_the_limit_is_per_user_name_and_ip(admin_user):
    get_user_model().objects.create_superuser("kari", "kari@example.org", "karis-password-123")
    for _ in range(3):
        attempt("wrong")
    assert attempt("right-password-123").status_code == 429
    assert attempt("right-password-123", ip="10.0.0.2").status_code == 302
    assert attempt("karis-password-123", username="kari").status_code == 302
    assert attempt("right-password-123", username="ROOT ").status_code == 429  # same name, other spelling


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3, ADMIN_LOGIN_WINDOW_SECONDS=600)
def test_a_successful_login_resets_the_count(admin_user):
    attempt("wrong")
    attempt("wrong")
    assert attempt("right-password-123").status_code == 302
    attempt("wrong")
    attempt("wrong")
    assert attempt("right-password-123").status_code == 302


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3, ADMIN_LOGIN_WINDOW_SECONDS=600)
@pytest.mark.parametrize(
    "spelling",
    ["\uff52oot", "\uff32\uff2f\uff2f\uff34", " root", "root\t", "Root", "\uff52oot "],  # fullwidth, padding, case
)
def test_every_spelling_that_logs_in_as_root_shares_its_limit(admin_user, spelling):
    for _ in range(3):
        assert attempt("wrong").status_code == 200
    # Django's login form would authenticate these as "root" (strip + NFKC): they are
    # refused like "root" itself, even with the right password.
    assert attempt("right-password-123", username=spelling).status_code == 429


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3, ADMIN_LOGIN_WINDOW_SECONDS=600)
def test_failures_under_a_look_alike_count_against_the_account(admin_user):
    for _ in range(3):
        assert attempt("wrong", username="\uff52oot").status_code == 200
    assert attempt("right-password-123").status_code == 429


@override_settings(ADMIN_LOGIN_MAX_FAILURES=3, ADMIN_LOGIN_WINDOW_SECONDS=600, TRUSTED_PROXIES=1)
def test_behind_a_trusted_proxy_the_limit_is_per_real_client(admin_user):
    def via_proxy(password: str, client_addr: str):
        client = Client(SERVER_NAME="localhost", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=client_addr)
        return client.post(LOGIN, {"username": "root", "password": password, "next": "/admin/"}, secure=True)

    for _ in range(3):
        via_proxy("wrong", "192.0.2.1")
    assert via_proxy("right-password-123", "192.0.2.1").status_code == 429
    assert via_proxy("right-password-123", "192.0.2.2").status_code == 302  # another client, same proxy
