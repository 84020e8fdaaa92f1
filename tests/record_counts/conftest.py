from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.record_counts.server import DaphneServer, SSEReader


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker) -> Iterator[DaphneServer]:
    server = DaphneServer()
    yield server
    server.stop()


@pytest.fixture
def sse(daphne_server):
    readers: list[SSEReader] = []

    def open_stream(**params: str) -> SSEReader:
        reader = SSEReader(daphne_server.url + "/api/v1/period-record-counts/stream", params)
        readers.append(reader)
        assert reader.opened.wait(5), "stream did not open"
        return reader

    yield open_stream
    for reader in readers:
        reader.close()
