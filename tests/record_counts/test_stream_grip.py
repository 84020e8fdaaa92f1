"""The stream in GRIP hold mode: Pushpin holds the connections, the app answers and publishes.

A real pushpin (signing its requests with a key of the test's), a real origin and a real
SSE client. Without Redis the origin (daphne) publishes itself; with REDIS_URL the
origin only answers and ``manage.py grip_publisher`` publishes (docs/stream.md).
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from activities.models import Activity, Organization
from api_keys.services import api_key_create, api_keys_revoke
from tests.record_counts.server import ROOT, DaphneServer, PushpinProxy, SSEReader, free_port, server_env

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("pushpin") and shutil.which("zurl")), reason="needs pushpin and zurl (apt install pushpin)"
    ),
]

STREAM = "/api/v1/period-record-counts/stream"
WSGI_APP = "bufdir_project.wsgi:application"
PARAMS = {"org_id": "org-grip", "start": "2026-01-01", "end": "2026-12-31"}


class Setup:
    def __init__(self, workdir: Path, env: dict[str, str] | None = None, wsgi: bool = False) -> None:
        self.key = secrets.token_hex(16)
        origin_port = free_port()
        self.pushpin = PushpinProxy(origin_port, workdir, sig_key=self.key, wait=False)
        self.env = {"GRIP_KEY": self.key, "GRIP_PUBLISH_URL": self.pushpin.publish_url, **(env or {})}
        command = None
        if wsgi:  # one sync worker: a held stream must not take it
            command = ["-m", "gunicorn", "--workers", "1", "--bind", "127.0.0.1:{port}", WSGI_APP]
        self.origin = DaphneServer(env=self.env, command=command, port=origin_port)
        self.pushpin.wait_ready()
        self.publisher: subprocess.Popen[bytes] | None = None
        if getattr(settings, "EVENTS_REDIS", None):
            self.publisher = subprocess.Popen(
                [sys.executable, "manage.py", "grip_publisher"],
                cwd=ROOT,
                env=server_env() | self.env,
                stderr=subprocess.PIPE,
            )
            assert self.publisher.stderr is not None
            line = self.publisher.stderr.readline()
            assert b"ready" in line, line

    def stop(self) -> None:
        if self.publisher is not None:
            self.publisher.terminate()
            self.publisher.wait(10)
        self.origin.stop()
        self.pushpin.stop()


@pytest.fixture
def grip(tmp_path, settings) -> Iterator[Setup]:
    setup = Setup(tmp_path)
    settings.GRIP_KEY, settings.GRIP_PUBLISH_URL = setup.key, setup.pushpin.publish_url
    yield setup
    setup.stop()


@pytest.fixture
def org():
    org = Organization.objects.create(org_id="org-grip", name="Grip")
    Activity.objects.create(org=org, activity_type="t", recorded_at="2026-02-02T00:00:00Z")
    return org


def open_stream(base: str, params: dict[str, str] = PARAMS, headers: dict[str, str] | None = None) -> SSEReader:
    reader = SSEReader(base + STREAM, params, headers=headers)
    assert reader.opened.wait(10) and reader.status == 200, reader.status
    return reader


def add_activity(grip: Setup, when: str = "2026-03-03T00:00:00Z", headers: dict[str, str] | None = None) -> None:
    body = {"org_id": "org-grip", "activity_type": "t", "recorded_at": when}
    response = httpx.post(grip.origin.url + "/api/v1/activities", json=body, headers=headers, timeout=10)
    assert response.status_code == 201, response.text


def test_held_stream_first_event_update_and_reconnect(grip, org):
    reader = open_stream(grip.pushpin.url)
    try:
        assert reader.next(timeout=5)["record_count"] == 1
        add_activity(grip)  # another process writes: the publisher publishes once
        assert reader.next(timeout=5)["record_count"] == 2
    finally:
        reader.close()
    add_activity(grip, "2026-04-04T00:00:00Z")
    again = open_stream(grip.pushpin.url)  # reconnecting: the current count first
    try:
        assert again.next(timeout=5)["record_count"] == 3
    finally:
        again.close()


def test_order_under_two_quick_changes(grip, org):
    readers = [open_stream(grip.pushpin.url) for _ in range(3)]
    try:
        for reader in readers:
            assert reader.next(timeout=5)["record_count"] == 1
        add_activity(grip, "2026-03-03T00:00:00Z")
        add_activity(grip, "2026-03-04T00:00:00Z")
        for reader in readers:
            seen = [reader.wait_for(3, timeout=5)["record_count"]]
            time.sleep(0.5)
            while not reader.events.empty():
                seen.append(reader.next()["record_count"])
            assert seen == [3], seen  # nothing older after the newest
    finally:
        for reader in readers:
            reader.close()


def test_direct_requests_are_served_as_before(grip, org):
    reader = open_stream(grip.origin.url)  # no Grip-Sig: the direct stream
    try:
        assert reader.next(timeout=5)["record_count"] == 1
    finally:
        reader.close()
    forged_sig = {"Grip-Sig": "a.b.c"}
    with httpx.stream("GET", grip.origin.url + STREAM, params=PARAMS, headers=forged_sig, timeout=5) as forged:
        assert forged.status_code == 200 and "Grip-Hold" not in forged.headers  # a forged signature: direct


def test_deleting_the_snapshot_ends_the_held_streams(grip, org):
    created = httpx.post(
        grip.origin.url + "/api/v1/period-record-counts",
        json={"org_id": "org-grip", "range": {"start": "2026-01-01T00:00:00Z", "end": "2026-12-31T00:00:00Z"}},
        timeout=10,
    )
    assert created.status_code in (200, 201), created.text
    params = {"org_id": "org-grip", "start": "2026-01-01T00:00:00Z", "end": "2026-12-31T00:00:00Z"}
    reader, other = open_stream(grip.pushpin.url, params), open_stream(grip.pushpin.url)
    try:
        assert reader.next(timeout=5)["record_count"] == 1
        assert other.next(timeout=5)["record_count"] == 1
        deleted = httpx.delete(grip.origin.url + f"/api/v1/period-record-counts/{created.json()['id']}", timeout=10)
        assert deleted.status_code in (200, 204), deleted.text
        assert reader.ended.wait(5), "the held stream of the deleted snapshot's range did not end"
        assert not other.ended.is_set()  # another range's stream goes on
    finally:
        reader.close()
        other.close()


def test_revoking_the_key_ends_its_held_streams(tmp_path, settings, org):
    setup = Setup(tmp_path, env={"API_ACCESS": "token", "API_READ_ACCESS": "token"})
    settings.GRIP_KEY, settings.GRIP_PUBLISH_URL = setup.key, setup.pushpin.publish_url
    try:
        key, raw = api_key_create(name="screens", org_ids=["org-grip"])
        reader = open_stream(setup.pushpin.url, headers={"Authorization": f"Bearer {raw}"})
        assert reader.next(timeout=5)["record_count"] == 1
        api_keys_revoke(keys=[key])  # after commit: a close on the key's channel
        assert reader.ended.wait(5), "the revoked key's held stream did not end"
        reader.close()
    finally:
        setup.stop()


def test_the_origin_holds_no_connection_for_held_streams(tmp_path, settings, org):
    """Under gunicorn with ONE sync worker: 5 held streams, and the worker still answers."""
    setup = Setup(tmp_path, wsgi=True)
    try:
        readers = [open_stream(setup.pushpin.url) for _ in range(5)]
        for reader in readers:
            assert reader.next(timeout=5)["record_count"] == 1
        assert httpx.get(setup.origin.url + "/healthz", timeout=3).status_code == 200
        # ...and a stream request that is not Pushpin's still gets the 421, not a held worker.
        assert httpx.get(setup.origin.url + STREAM, params=PARAMS, timeout=3).status_code == 421
        for reader in readers:
            assert not reader.ended.is_set()
            reader.close()
    finally:
        setup.stop()


def test_keep_alives_flow_and_the_next_link_rechecks_the_key(tmp_path, settings, org):
    """Keep-alives come from Pushpin; every GRIP_NEXT_SECONDS the next link re-checks the key
    (here revoked behind the app's back, with no close published) and sends no duplicate."""
    env = {"API_ACCESS": "token", "API_READ_ACCESS": "token", "STREAM_KEEPALIVE_SECONDS": "1", "GRIP_NEXT_SECONDS": "1"}
    setup = Setup(tmp_path, env=env)
    try:
        from api_keys.models import ApiKey

        key, raw = api_key_create(name="screens", org_ids=["org-grip"])
        auth = {"Authorization": f"Bearer {raw}"}
        with httpx.stream("GET", setup.pushpin.url + STREAM, params=PARAMS, headers=auth, timeout=10) as response:
            assert response.status_code == 200
            seen, started, chunks = b"", time.monotonic(), response.iter_bytes()
            for chunk in chunks:
                seen += chunk
                if seen.count(b": keep-alive") >= 2 and time.monotonic() - started > 3:
                    break  # several next links have been answered by now
            assert seen.count(b"event: message") == 1, seen  # the first count, and no repeat
            ApiKey.objects.filter(pk=key.pk).update(revoked_at="2026-01-01T00:00:00Z")  # no signal
            ended = time.monotonic()
            for _ in chunks:
                assert time.monotonic() - ended < 5, "the next link did not end the revoked key's stream"
    finally:
        setup.stop()


def test_an_anonymous_reader_cannot_grow_the_watched_ranges_past_the_cap(tmp_path, settings, org):
    setup = Setup(tmp_path, env={"GRIP_WATCH_PER_ORG": "2"})
    try:
        readers = []
        for day in ("01", "02"):
            readers.append(open_stream(setup.pushpin.url, {**PARAMS, "start": f"2026-01-{day}"}))
        refused = httpx.get(setup.pushpin.url + STREAM, params={**PARAMS, "start": "2026-01-03"}, timeout=10)
        assert refused.status_code == 503 and "Retry-After" in refused.headers
        again = open_stream(setup.pushpin.url, {**PARAMS, "start": "2026-01-01"})  # a watched range: fine
        assert again.next(timeout=5)["record_count"] == 1
        for reader in [*readers, again]:
            reader.close()
    finally:
        setup.stop()
