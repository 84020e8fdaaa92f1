"""Every event on the stream is a comment or carries the JSON count (SPEC, "The live
stream"): a client that parses every event's data as JSON never fails. The stream used
to send ``event: stream-open`` with empty data first; nothing like it may come back."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from httpx_sse import connect_sse

from activities.models import Activity, Organization
from tests.record_counts.server import DaphneServer

pytestmark = pytest.mark.django_db(transaction=True)
PARAMS = {"org_id": "org-events", "start": "2026-01-01T00:00:00Z", "end": "2026-12-31T23:59:59Z"}
CONTRACT_KEYS = {"org_id", "record_count", "is_complete", "timestamp"}


@pytest.fixture
def server() -> Iterator[DaphneServer]:
    server = DaphneServer(env={"STREAM_KEEPALIVE_SECONDS": "0.3"})  # keep-alives within the test
    yield server
    server.stop()


@pytest.fixture
def org(db) -> Organization:
    org = Organization.objects.create(org_id="org-events", name="Events")
    Activity.objects.create(org=org, activity_type="peer_support", recorded_at="2026-02-01T10:00:00Z")
    return org


def _post_activity(server: DaphneServer) -> None:
    body = {"org_id": "org-events", "activity_type": "peer_support", "recorded_at": "2026-03-01T10:00:00Z"}
    assert httpx.post(server.url + "/api/v1/activities", json=body, timeout=10).status_code == 201


def test_every_event_parses_as_the_json_count(server, org):
    seen: list[tuple[str, dict]] = []
    failures: list[str] = []
    first = threading.Event()

    def read() -> None:
        with (
            httpx.Client(timeout=httpx.Timeout(5, read=None)) as client,
            connect_sse(client, "GET", server.url + "/api/v1/period-record-counts/stream", params=PARAMS) as source,
        ):
            started = time.monotonic()
            for sse in source.iter_sse():  # every event, whatever its type
                try:
                    seen.append((sse.event, json.loads(sse.data)))
                except ValueError:
                    failures.append(f"event {sse.event!r} with data {sse.data!r}")
                first.set()
                if len(seen) >= 2 or time.monotonic() - started > 5:
                    return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert first.wait(5), "no event"
    time.sleep(1)  # a few keep-alives go by
    _post_activity(server)
    reader.join(10)
    assert not failures, failures
    assert [event for event, _ in seen] == ["message", "message"]
    assert all(set(data) == CONTRACT_KEYS for _, data in seen)
    assert [data["record_count"] for _, data in seen] == [1, 2]


def test_on_the_wire_every_block_is_a_comment_or_a_json_count(server, org):
    """The raw bytes, without an SSE library's leniency: the opening, counts, keep-alives."""
    blocks: list[str] = []
    with (
        httpx.Client(timeout=httpx.Timeout(5, read=None)) as client,
        client.stream("GET", server.url + "/api/v1/period-record-counts/stream", params=PARAMS) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        buffer = ""
        deadline = time.monotonic() + 1.2  # the first count and some keep-alives
        for chunk in response.iter_text():
            buffer += chunk
            *done, buffer = buffer.split("\n\n")
            blocks += done
            if time.monotonic() > deadline:
                break
    assert sum(block.startswith(": keep-alive") for block in blocks) >= 2
    counts = 0
    for block in blocks:
        lines = block.split("\n")
        if all(line.startswith(":") for line in lines):
            continue  # a comment: the opening padding or a keep-alive
        fields = {name: value.removeprefix(" ") for name, _, value in (line.partition(":") for line in lines)}
        assert set(fields) <= {"event", "data"}, block
        assert fields.get("event", "message") == "message", block
        assert set(json.loads(fields.get("data", ""))) == CONTRACT_KEYS, block
        counts += 1
    assert counts == 1
