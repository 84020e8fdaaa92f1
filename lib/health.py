"""``/healthz``: is the database (and Redis, when configured) reachable?

- database down: 503 ``{"status": "unavailable"}`` (nothing works without it);
- Redis down: 200 ``{"status": "degraded"}``: the REST API works and streams still get
  the events of their own process, so a load balancer must not take the instance out
  of rotation for it (that would turn a Redis outage into a full outage). Monitor
  ``checks.redis`` instead.

Each check is bounded: for the database the pool wait (``DB_POOL_TIMEOUT``) plus
:data:`DATABASE_TIMEOUT` for any one answer (the pool's check of an idle connection, the
query), so a frozen database link is "unavailable" within seconds, never a hang and
never a stale "ok" (lib.db); for Redis 1 s.
With a PostgreSQL pool, ``pool`` shows this process's pool: its size, idle connections,
requests waiting now, and since start how many requests waited and how many timed out
(a growing ``timeouts`` with a healthy database means ``DB_POOL_MAX`` is too small).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from lib.db import client_timeout

# Seconds the database may take to answer one round trip of the check; a healthy one
# answers ``SELECT 1`` in a millisecond.
DATABASE_TIMEOUT = 2.0


def _database_ok() -> bool:
    try:
        with client_timeout(DATABASE_TIMEOUT), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _redis_ok() -> bool:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1, retry=Retry(NoBackoff(), 0)
        )
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def _pool_stats() -> dict[str, int] | None:
    pool = getattr(connection, "pool", None)
    if pool is None:
        return None
    stats = pool.get_stats()
    return {
        "size": stats.get("pool_size", 0),
        "idle": stats.get("pool_available", 0),
        "waiting": stats.get("requests_waiting", 0),
        "waited": stats.get("requests_queued", 0),
        "timeouts": stats.get("requests_errors", 0),
    }


@csrf_exempt  # GET only and changes nothing: any other method is a 405, not a CSRF 403
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {"database": "ok" if _database_ok() else "unavailable"}
    if settings.REDIS_URL:
        checks["redis"] = "ok" if _redis_ok() else "unavailable"
    if checks["database"] != "ok":
        status, code = "unavailable", 503
    elif "unavailable" in checks.values():
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    body: dict[str, Any] = {"status": status, "checks": checks}
    pool = _pool_stats()
    if pool is not None:
        body["pool"] = pool
    return JsonResponse(body, status=code)
