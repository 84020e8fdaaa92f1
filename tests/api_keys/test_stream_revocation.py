"""An open stream whose key is revoked ends within one keep-alive interval (a real
daphne in read-token mode, a real SSE client)."""

from __future__ import annotations

import time

import httpx
import pytest

from api_keys.models import ApiKey
from api_keys.services import api_keys_revoke
from tests.record_counts.server import DaphneServer

pytestmark = pytest.mark.django_db(transaction=True)
STREAM = "/api/v1/period-record-counts/stream"
KEEPALIVE = 1.0


@pytest.fixture
def token_server():
    server = DaphneServer(
        env={"API_ACCESS": "token", "API_READ_ACCESS": "token", "STREAM_KEEPALIVE_SECONDS": str(KEEPALIVE)}
    )
    yield server
    server.stop()


def open_stream(server: DaphneServer, org_id: str, raw_key: str) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=server.url, timeout=httpx.Timeout(10.0))
    params = {"org_id": org_id, "start": "2026-05-01T00:00:00Z", "end": "2026-05-31T23:59:59Z"}
    request = client.build_request("GET", STREAM, params=params, headers={"Authorization": f"Bearer {raw_key}"})
    response = client.send(request, stream=True)
    assert response.status_code == 200
    return client, response


def test_a_revoked_keys_stream_ends_within_one_keep_alive(token_server, org, key):
    client, response = open_stream(token_server, org.org_id, key)
    lines = response.iter_lines()
    assert any(line.startswith("data: {") for line in lines)  # the first count: it is open
    api_keys_revoke(keys=ApiKey.objects.all())
    revoked = time.monotonic()
    for _ in lines:  # keep-alives, until the server ends the response
        assert time.monotonic() - revoked < 5 * KEEPALIVE, "the stream outlived its revoked key"
    assert time.monotonic() - revoked <= 3 * KEEPALIVE
    client.close()


def test_a_valid_keys_stream_stays_open(token_server, org, key):
    client, response = open_stream(token_server, org.org_id, key)
    seen, keepalives, started = False, 0, time.monotonic()
    for line in response.iter_lines():
        seen = seen or line.startswith("data: {")
        keepalives += line.startswith(": keep-alive")
        if keepalives >= 2:
            break
    assert seen and keepalives >= 2 and time.monotonic() - started >= KEEPALIVE
    client.close()


def test_streams_on_one_key_share_one_check_per_half_keep_alive(org, key, monkeypatch, settings):
    import asyncio

    from api_keys.services import api_key_check
    from record_counts import stream

    settings.STREAM_KEEPALIVE_SECONDS = 60
    holder = api_key_check(raw_key=key)
    asked = []
    real = stream._key_still_covers_query

    async def counted(key_pk, org_pk):
        asked.append(key_pk)
        return await real(key_pk, org_pk)

    monkeypatch.setattr(stream, "_key_still_covers_query", counted)
    monkeypatch.setattr(stream, "_key_checks", {})

    async def thousand_streams():
        return [await stream._key_still_covers(holder.pk, org.pk) for _ in range(1000)]

    assert asyncio.run(thousand_streams()) == [True] * 1000
    assert len(asked) == 1
