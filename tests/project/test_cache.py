"""The cache behind rate limits: shared through Redis by every process, failing open."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from lib.cache import FailOpenRedisCache

# Nothing listens on port 1 of the loopback: every call is refused at once.
DEAD_REDIS = {"default": {"BACKEND": "lib.cache.FailOpenRedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
RANGE = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}

needs_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (the .ci/run PostgreSQL pass does)"
)


@needs_redis
def test_with_redis_a_count_made_in_one_process_is_seen_in_another():
    from django.core.cache import caches

    assert isinstance(caches["default"], FailOpenRedisCache)
    cache.set("shared-probe", 0, timeout=60)
    cache.incr("shared-probe", 3)
    code = (
        "import django; django.setup(); from django.core.cache import cache;"
        "cache.incr('shared-probe', 4); print(cache.get('shared-probe'))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bufdir_project.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "7"
    assert cache.get("shared-probe") == 7


@needs_redis
def test_with_redis_the_login_window_is_a_key_expiry(db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.org", "right-password-123")
    with override_settings(ADMIN_LOGIN_WINDOW_SECONDS=600):
        Client(REMOTE_ADDR="10.9.9.9").post("/admin/login/", {"username": "root", "password": "wrong"}, secure=True)
    client = caches_default_client()
    keys = [k for k in client.scan_iter(match="*admin-login-failures:*")]
    assert len(keys) == 1
    assert 590 <= client.ttl(keys[0]) <= 600


def caches_default_client():  # type: ignore[no-untyped-def]
    from django.core.cache import caches

    return caches["default"]._cache.get_client(write=True)


@override_settings(CACHES=DEAD_REDIS)
def test_unreachable_redis_answers_nothing_cached_and_drops_writes():
    assert cache.get("k", "fallback") == "fallback"
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    assert cache.incr("k") == 0
    assert cache.get_or_set("k", lambda: ["computed"]) == ["computed"]
    assert cache.delete("k") is False


@override_settings(CACHES=DEAD_REDIS, API_THROTTLE_COUNTING="1/minute")
def test_unreachable_redis_leaves_counting_unthrottled_not_broken(api, org):
    for _ in range(3):
        response = api.post("/api/v1/period-record-counts", {"org_id": org.org_id, "range": RANGE}, format="json")
        assert response.status_code == 200, response.content


@override_settings(CACHES=DEAD_REDIS, ADMIN_LOGIN_MAX_FAILURES=1)
def test_unreachable_redis_leaves_admin_login_working(db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.org", "right-password-123")
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(2):
        failed = client.post("/admin/login/", {"username": "root", "password": "wrong"}, secure=True)
        assert failed.status_code == 200  # the form again: not counted, not a 500
    ok = client.post("/admin/login/", {"username": "root", "password": "right-password-123"}, secure=True)
    assert ok.status_code == 302
