"""Fixtures for fault tests: a proxy in front of PostgreSQL or Redis, and a daphne server behind it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.db import connection

from tests.faults.proxy import TcpProxy
from tests.record_counts.server import SERVER_APP_NAME, DaphneServer


@pytest.fixture
def pg_proxy() -> Iterator[TcpProxy]:
    s = connection.settings_dict
    proxy = TcpProxy(int(s["PORT"] or 5432), s["HOST"] or "127.0.0.1")
    yield proxy
    proxy.close()


@pytest.fixture
def redis_proxy() -> Iterator[TcpProxy]:
    url = urlsplit(os.environ["REDIS_URL"])
    proxy = TcpProxy(url.port or 6379, url.hostname or "127.0.0.1")
    yield proxy
    proxy.close()


def database_url_via(proxy: TcpProxy) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@127.0.0.1:{proxy.port}/{s['NAME']}?application_name={SERVER_APP_NAME}"


def redis_url_via(proxy: TcpProxy) -> str:
    url = urlsplit(os.environ["REDIS_URL"])
    return url._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()


@pytest.fixture
def server_via_pg_proxy(pg_proxy: TcpProxy) -> Iterator[DaphneServer]:
    """daphne whose database connections all pass through ``pg_proxy`` (default pool settings)."""
    server = DaphneServer(env={"DATABASE_URL": database_url_via(pg_proxy), "LOG_LEVEL": "ERROR"})
    yield server
    server.stop()
