"""When publishing to Redis fails, events go to this process's streams; writes never fail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from activities import services
from lib.timeranges import parse_range
from record_counts import events, relay
from record_counts.services import count_snapshot_upsert

YEAR = parse_range("2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z")


@pytest.fixture
def redis_fails(monkeypatch):
    attempts: list[str] = []

    def fail(channel, kind, data):
        attempts.append(channel)
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(events, "send_event", fail)
    monkeypatch.setattr(relay, "_down_until", 0.0)
    return attempts


@pytest.fixture
def local(monkeypatch):
    delivered: list[tuple[str, str, dict]] = []
    monkeypatch.setattr(relay, "deliver_locally", lambda c, k, d: delivered.append((c, k, json.loads(d))))
    return delivered


def add(org, minute):
    at = dt.datetime(2026, 2, 1, 10, minute, tzinfo=dt.UTC)
    return services.activity_create(data=services.ActivityData(org=org, activity_type="x", recorded_at=at))


def test_a_failed_publish_is_delivered_in_process(org, redis_fails, local, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        snapshot = count_snapshot_upsert(org=org, time_range=YEAR)
    with django_capture_on_commit_callbacks(execute=True):
        add(org, 1)
    assert [(c, k, d["record_count"]) for c, k, d in local] == [
        (events.channel_for(snapshot.pk), "message", 0),
        (events.channel_for(snapshot.pk), "message", 1),
    ]
    assert len(redis_fails) == 1  # after one failure Redis is skipped for a moment


def test_redis_is_tried_again_after_the_pause(org, redis_fails, local, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=True):
        count_snapshot_upsert(org=org, time_range=YEAR)
    monkeypatch.setattr(relay, "_down_until", 0.0)  # DOWN_FOR has passed
    with django_capture_on_commit_callbacks(execute=True):
        add(org, 1)
    assert len(redis_fails) == 2 and len(local) == 2


def test_a_deletion_is_delivered_in_process_too(org, redis_fails, local):
    events.publish_deleted(7)
    assert local == [(events.channel_for(7), events.DELETED_EVENT, {})]


def test_a_publish_timeout_is_a_fallback_not_an_error(org, monkeypatch, local):
    monkeypatch.setattr(relay, "_down_until", 0.0)

    def hang(channel, kind, data):
        raise RedisTimeoutError("Timeout reading from socket")

    monkeypatch.setattr(events, "send_event", hang)
    events._send("c", "message", {"n": 1})
    assert local == [("c", "message", {"n": 1})]


def test_publishing_client_is_bounded(settings):
    settings.EVENTSTREAM_REDIS = {"host": "127.0.0.1", "port": 6379, "socket_connect_timeout": 30}
    kwargs = relay.redis_kwargs()
    assert kwargs["socket_connect_timeout"] <= 1 and kwargs["socket_timeout"] <= 1
    assert kwargs["retry"].get_retries() <= 1
