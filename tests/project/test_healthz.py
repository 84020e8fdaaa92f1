"""/healthz: 200 when the database answers (degraded without Redis), 503 when it does not."""

from __future__ import annotations

from django.test import override_settings

from tests.conftest import postgres_only


def without_pool(body: dict) -> dict:
    """The body without ``pool`` (present on PostgreSQL only)."""
    return {k: v for k, v in body.items() if k != "pool"}


def test_healthy_without_redis_configured(api, db):
    with override_settings(REDIS_URL=""):
        response = api.get("/healthz")
    assert response.status_code == 200
    assert without_pool(response.json()) == {"status": "ok", "checks": {"database": "ok"}}


def test_unreachable_redis_is_degraded_not_down(api, db):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    # REST keeps working without Redis: a load balancer must keep sending traffic.
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = api.get("/healthz")
    assert response.status_code == 200
    assert without_pool(response.json()) == {"status": "degraded", "checks": {"database": "ok", "redis": "unavailable"}}


def test_unreachable_database_is_a_503(api, db, monkeypatch):
    from lib import health

    monkeypatch.setattr(health, "_database_ok", lambda: False)
    with override_settings(REDIS_URL=""):
        response = api.get("/healthz")
    assert response.status_code == 503
    assert without_pool(response.json()) == {"status": "unavailable", "checks": {"database": "unavailable"}}


def test_only_get_is_allowed(api, db):
    assert api.post("/healthz").status_code == 405


@postgres_only
def test_reports_this_processs_database_pool(api, db):
    with override_settings(REDIS_URL=""):
        body = api.get("/healthz").json()
    assert set(body["pool"]) == {"size", "idle", "waiting", "waited", "timeouts"}
    assert body["pool"]["size"] >= 1
