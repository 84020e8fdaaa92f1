"""Hold mode's pieces without servers: Grip-Sig, channels, the watched registry's bounds."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Organization
from activities.services import ActivityData, activity_create
from lib.timeranges import DateTimeRange, parse_range
from record_counts import grip
from record_counts.watched import LocalRegistry, RedisRegistry, Watched


def jwt(claims: dict[str, object], key: str, alg: str = "HS256") -> str:
    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def test_grip_sig_is_verified_with_the_key_and_expiry():
    exp = int(time.time()) + 60
    assert grip.verify_sig(jwt({"iss": "pushpin", "exp": exp}, "k1"), key="k1")
    assert not grip.verify_sig(jwt({"iss": "pushpin", "exp": exp}, "k2"), key="k1")  # another key
    assert not grip.verify_sig(jwt({"iss": "pushpin", "exp": int(time.time()) - 1}, "k1"), key="k1")  # expired
    assert not grip.verify_sig(jwt({"iss": "pushpin"}, "k1"), key="k1")  # no expiry
    assert not grip.verify_sig(jwt({"exp": exp}, "k1", alg="none"), key="k1")
    assert not grip.verify_sig("a.b.c", key="k1")
    assert not grip.verify_sig(jwt({"exp": exp}, ""), key="")  # hold mode off: nothing verifies


def test_count_ids_are_the_state():
    assert grip.state_id(5, False) == "5-0" and grip.state_id(5, True) == "5-1"
    assert grip.keep_alive_header(": keep-alive\n\n").startswith(": keep-alive\\n\\n; format=cstring; timeout=")


def rng(day: int) -> DateTimeRange:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=day)
    return DateTimeRange(start, start + dt.timedelta(days=1))


def test_local_registry_caps_per_organisation_and_in_all(settings):
    settings.GRIP_WATCH_PER_ORG, settings.GRIP_WATCH_MAX = 3, 5
    reg = LocalRegistry()
    assert all(reg.watch(Watched(1, "a", rng(d)), "0-0") for d in range(3))
    assert not reg.watch(Watched(1, "a", rng(9)), "0-0")  # a 4th range of org 1: refused
    assert reg.watch(Watched(1, "a", rng(0)), "0-0")  # a watched one is refreshed
    assert reg.watch(Watched(2, "b", rng(0)), "0-0") and reg.watch(Watched(2, "b", rng(1)), "0-0")
    assert not reg.watch(Watched(3, "c", rng(0)), "0-0")  # 5 in all
    assert len(reg.alive()) == 5


def test_local_registry_expires_ranges_nobody_refreshes(settings):
    settings.GRIP_NEXT_SECONDS = 10
    reg = LocalRegistry()
    reg.watch(Watched(1, "a", rng(0)), "3-0", now=1000.0)
    reg.watch(Watched(1, "a", rng(1)), "4-0", now=1020.0)
    assert set(reg.alive(now=1026.0)) == {Watched(1, "a", rng(1))}  # 25 s = 2.5 x 10 s
    assert reg.last_id(Watched(1, "a", rng(1))) == "4-0"


@pytest.mark.django_db
def test_redis_registry_bounds(settings, redis_client):
    settings.GRIP_WATCH_PER_ORG, settings.GRIP_WATCH_MAX, settings.GRIP_NEXT_SECONDS = 2, 100, 10
    settings.EVENTS_CHANNEL_PREFIX = f"test-grip-{time.time_ns()}-"
    reg = RedisRegistry(redis_client)
    assert reg.watch(Watched(1, "a", rng(0)), "1-0", now=1000.0)
    assert reg.watch(Watched(1, "a", rng(1)), "1-0", now=1000.0)
    assert not reg.watch(Watched(1, "a", rng(2)), "1-0", now=1000.0)
    reg.set_last(Watched(1, "a", rng(0)), "2-0")
    alive = reg.alive(now=1001.0)
    assert alive == {Watched(1, "a", rng(0)): "2-0", Watched(1, "a", rng(1)): "1-0"}
    assert reg.alive(now=1030.0) == {}  # expired
    assert reg.watch(Watched(1, "a", rng(2)), "1-0", now=1030.0)  # room again


@pytest.mark.django_db
def test_redis_registry_refreshes_a_range_once_per_moment_not_once_per_screen(settings, redis_client):
    settings.GRIP_NEXT_SECONDS = 10  # expiry 25 s; refreshed at most every 2.5 s
    settings.EVENTS_CHANNEL_PREFIX = f"test-grip-{time.time_ns()}-"
    reg = RedisRegistry(redis_client)
    entry = Watched(1, "a", rng(0))
    assert reg.watch(entry, "1-0", now=1000.0)
    redis_client.delete(reg.all_key)  # gone from Redis: only a round trip would put it back
    assert reg.watch(entry, "1-0", now=1002.0)  # the next screens on the range: no round trip
    assert reg.alive(now=1002.0) == {}
    assert reg.watch(entry, "1-0", now=1003.0)  # 3 s later: refreshed in Redis again
    assert set(reg.alive(now=1003.0)) == {entry}


@pytest.fixture
def redis_client(settings):
    if not getattr(settings, "EVENTS_REDIS", None):
        pytest.skip("needs Redis: set REDIS_URL (the .ci/run PostgreSQL pass does)")
    import redis

    client = redis.Redis(**settings.EVENTS_REDIS)
    yield client
    client.close()


@pytest.mark.django_db
def test_a_full_registry_does_not_touch_writes(settings):
    """Writes never read or write the registry: the same queries with 0 and 200 ranges watched
    (an anonymous reader can fill it up to its caps, which bound the publisher's scan)."""
    org = Organization.objects.create(org_id="org-w", name="W")
    from record_counts import watched

    def write_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            activity_create(
                data=ActivityData(org=org, activity_type="t", recorded_at=dt.datetime(2026, 2, 2, tzinfo=dt.UTC))
            )
        return len(ctx.captured_queries)

    write_queries()  # the organisation's first write creates its change marker
    before = write_queries()
    for day in range(200):
        watched.registry().watch(Watched(org.pk, org.org_id, rng(day)), "0-0")
    assert write_queries() == before


def test_deploy_checks_of_hold_mode(settings):
    from record_counts.checks import check_grip

    settings.GRIP_KEY, settings.GRIP_PUBLISH_URL, settings.REDIS_URL = "", "", ""
    assert check_grip() == []  # off
    settings.GRIP_KEY = "changeme"
    assert [m.id for m in check_grip()] == ["record_counts.W002", "record_counts.W003"]
    settings.GRIP_KEY, settings.GRIP_PUBLISH_URL = "a-long-random-key-0123456789", "http://127.0.0.1:5561"
    assert [m.id for m in check_grip()] == ["record_counts.W004"]  # no Redis
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    assert check_grip() == []


@pytest.mark.django_db
def test_under_wsgi_a_signed_stream_request_is_held_by_the_middleware(settings, client, monkeypatch):
    """Django's test client is a sync (WSGI) handler, as gunicorn's: the held answer comes
    from WsgiHoldMiddleware, in the request's thread, never from the async view."""
    from record_counts import stream

    settings.GRIP_KEY, settings.GRIP_PUBLISH_URL = "k-wsgi", ""
    org = Organization.objects.create(org_id="org-wsgi", name="W")
    activity_create(data=ActivityData(org=org, activity_type="t", recorded_at=dt.datetime(2026, 2, 2, tzinfo=dt.UTC)))

    async def not_here(*args: object) -> None:
        raise AssertionError("the async view answered a held request under WSGI")

    monkeypatch.setattr(stream, "_hold_in_db_thread", not_here)
    signed = {"HTTP_GRIP_SIG": jwt({"iss": "pushpin", "exp": int(time.time()) + 60}, "k-wsgi")}
    params = {"org_id": "org-wsgi", "start": "2026-01-01", "end": "2026-12-31"}
    response = client.get("/api/v1/period-record-counts/stream", params, **signed)
    assert response.status_code == 200, response.content
    assert response["Grip-Hold"] == "stream"
    channel = grip.range_channel(org.pk, parse_range("2026-01-01", "2026-12-31"))
    assert response["Grip-Channel"].startswith(f"{channel}; prev-id=1-")
    assert '"record_count": 1' in response.content.decode()
    # The doubled contract path too; a bad parameter is the view's usual 400 problem.
    doubled = "/api/v1/period-record-counts/api/v1/period-record-counts/stream"
    assert client.get(doubled, params, **signed)["Grip-Hold"] == "stream"
    bad = client.get("/api/v1/period-record-counts/stream", {"org_id": "org-wsgi", "start": "nope"}, **signed)
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    # A POST through Pushpin is not held: the view's 405.
    assert client.post("/api/v1/period-record-counts/stream", **signed).status_code == 405


class _Publishes:
    """A stand-in for Pushpin's publish endpoint on loopback: HTTP/1.1 keep-alive, counts
    connections and requests; ``close_after``/``status`` make it hang up or refuse."""

    def __init__(self) -> None:
        import http.server
        import threading

        outer = self
        self.connections = 0
        self.bodies: list[dict[str, object]] = []
        self.status = 200
        self.close_after = False

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                outer.connections += 1

            def do_POST(self) -> None:
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(outer.status)
                self.send_header("Content-Length", "9")
                if outer.close_after:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(b"Published")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_publishing_keeps_one_connection_and_survives_its_loss(settings):
    pushpin = _Publishes()
    settings.GRIP_PUBLISH_URL = pushpin.url
    grip._connections.__dict__.clear()
    try:
        for n in range(3):
            assert grip.publish([grip.stream_item("c", f"data {n}")])
        assert pushpin.connections == 1  # kept alive between publishes
        assert [b["items"][0]["formats"]["http-stream"]["content"] for b in pushpin.bodies] == [
            "data 0", "data 1", "data 2",
        ]  # fmt: skip
        pushpin.close_after = True  # Pushpin hangs up after answering: the next publish reconnects
        assert grip.publish([grip.stream_item("c", "data 3")])
        pushpin.close_after = False
        assert grip.publish([grip.stream_item("c", "data 4")])
        assert pushpin.connections == 2
        assert len(pushpin.bodies) == 5  # each published once
        pushpin.status = 500  # refused: reported, not raised
        assert not grip.publish([grip.stream_item("c", "data 5")])
    finally:
        pushpin.stop()
    assert not grip.publish([grip.stream_item("c", "data 6")])  # nobody listening: False, no exception
    grip._connections.__dict__.clear()


@pytest.mark.django_db(transaction=True)  # committed writes: counts are cached under committed states only
def test_a_hold_reads_the_organisation_with_its_state_in_one_statement(settings, client):
    """A stream opening finds the organisation and its committed state in one query; the
    count of a range already counted in that state comes from the cache: one query in all
    (it was two or three: the organisation, the change marker, the count)."""
    settings.GRIP_KEY, settings.GRIP_PUBLISH_URL = "k-one", ""
    org = Organization.objects.create(org_id="org-one", name="One")
    activity_create(data=ActivityData(org=org, activity_type="t", recorded_at=dt.datetime(2026, 2, 2, tzinfo=dt.UTC)))
    signed = {"HTTP_GRIP_SIG": jwt({"iss": "pushpin", "exp": int(time.time()) + 60}, "k-one")}
    params = {"org_id": "org-one", "start": "2026-01-01", "end": "2026-12-31"}
    assert '"record_count": 1' in client.get("/api/v1/period-record-counts/stream", params, **signed).content.decode()
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/v1/period-record-counts/stream", params, **signed)
    assert '"record_count": 1' in again.content.decode()
    assert len(queries) == 1, [q["sql"] for q in queries]
    # A write moves the state: the next opening counts again, and sees the write.
    activity_create(data=ActivityData(org=org, activity_type="t", recorded_at=dt.datetime(2026, 3, 3, tzinfo=dt.UTC)))
    assert '"record_count": 2' in client.get("/api/v1/period-record-counts/stream", params, **signed).content.decode()
    # An organisation that does not exist is the usual 400 naming org_id, held or not.
    for extra in (signed, {}):
        missing = client.get("/api/v1/period-record-counts/stream", {**params, "org_id": "org-none"}, **extra)
        assert missing.status_code == 400, missing.content
        assert missing.json()["errors"] == {"org_id": ["Object with org_id=org-none does not exist."]}


@pytest.mark.django_db(transaction=True)
def test_org_state_is_the_committed_state_and_none_inside_a_writing_transaction():
    from django.db import transaction

    from activities.counting import committed_state, org_state

    org = Organization.objects.create(org_id="org-state", name="S")
    found = org_state(org_id="org-state")
    assert found is not None and (found.pk, found.org_id) == (org.pk, "org-state")
    assert found.state == committed_state(org=org.pk)
    assert org_state(org_id="org-nobody") is None
    with transaction.atomic():
        at = dt.datetime(2026, 2, 2, tzinfo=dt.UTC)
        activity_create(data=ActivityData(org=org, activity_type="t", recorded_at=at))
        inside = org_state(org_id="org-state")
        assert inside is not None and inside.state is None  # its own writes may yet roll back: not cached
    after = org_state(org_id="org-state")
    assert after is not None and after.state is not None and after.state != found.state
