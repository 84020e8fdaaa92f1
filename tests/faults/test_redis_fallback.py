"""When publishing to Redis fails, changes go to this process's streams; writes never fail."""

from __future__ import annotations

import datetime as dt

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from activities import services
from activities.events import ActivitiesChanged
from record_counts import relay


class FailingRedis:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc
        self.attempts = 0

    def publish(self, channel: str, message: str) -> int:
        self.attempts += 1
        raise self.exc


@pytest.fixture
def redis_fails(monkeypatch, settings):
    settings.EVENTS_REDIS = {"host": "127.0.0.1", "port": 6379}
    client = FailingRedis(RedisConnectionError("Connection refused"))
    monkeypatch.setattr(relay, "_client", client)
    monkeypatch.setattr(relay, "_down_until", 0.0)
    return client


@pytest.fixture
def local(monkeypatch):
    delivered: list[list[ActivitiesChanged]] = []
    monkeypatch.setattr(relay, "deliver_locally", delivered.append)
    return delivered


def add(org, minute):
    at = dt.datetime(2026, 2, 1, 10, minute, tzinfo=dt.UTC)
    return services.activity_create(data=services.ActivityData(org=org, activity_type="x", recorded_at=at))


def test_a_failed_publish_is_delivered_in_process(org, redis_fails, local, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        add(org, 1)
    with django_capture_on_commit_callbacks(execute=True):
        add(org, 2)
    at = [dt.datetime(2026, 2, 1, 10, m, tzinfo=dt.UTC) for m in (1, 2)]
    assert local == [[ActivitiesChanged(org.pk, ((at[0], at[0]),))], [ActivitiesChanged(org.pk, ((at[1], at[1]),))]]
    assert redis_fails.attempts == 1  # after one failure Redis is skipped for a moment


def test_redis_is_tried_again_after_the_pause(org, redis_fails, local, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=True):
        add(org, 1)
    monkeypatch.setattr(relay, "_down_until", 0.0)  # DOWN_FOR has passed
    with django_capture_on_commit_callbacks(execute=True):
        add(org, 2)
    assert redis_fails.attempts == 2 and len(local) == 2


def test_a_publish_timeout_is_a_fallback_not_an_error(org, monkeypatch, settings, local):
    settings.EVENTS_REDIS = {"host": "127.0.0.1", "port": 6379}
    monkeypatch.setattr(relay, "_down_until", 0.0)
    monkeypatch.setattr(relay, "_client", FailingRedis(RedisTimeoutError("Timeout reading from socket")))
    change = [ActivitiesChanged(1, ((dt.datetime(2026, 1, 1, tzinfo=dt.UTC),) * 2,))]
    relay.announce(change)
    assert local == [change]


def test_without_redis_changes_go_straight_to_this_process(org, settings, local, django_capture_on_commit_callbacks):
    settings.EVENTS_REDIS = None
    with django_capture_on_commit_callbacks(execute=True):
        add(org, 3)
    assert [c.org_pk for changes in local for c in changes] == [org.pk]


def test_publishing_client_is_bounded(settings):
    settings.EVENTS_REDIS = {"host": "127.0.0.1", "port": 6379, "socket_connect_timeout": 30}
    kwargs = relay.redis_kwargs()
    assert kwargs["socket_connect_timeout"] <= 1 and kwargs["socket_timeout"] <= 1
    assert kwargs["retry"].get_retries() <= 1


def test_announcements_survive_the_trip_through_redis_encoding():
    at = dt.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=dt.UTC)
    changes = [ActivitiesChanged(3, ((at, at), (at, at + dt.timedelta(days=1))))]
    assert relay.decode(relay.encode(changes)) == changes
