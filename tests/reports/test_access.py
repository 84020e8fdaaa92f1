"""Same access rules as every read; throttled like the counting endpoints."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from api_keys.services import api_key_create
from tests.api_keys.conftest import READ_TOKEN_MODE, TOKEN_MODE, bearer
from tests.reports.conftest import SERIES


@pytest.fixture
def key(org) -> str:
    """A raw key for ``org`` only."""
    return api_key_create(name="reports", org_ids=[org.org_id])[1]


def params(org):  # type: ignore[no-untyped-def]
    return {"org_id": org.org_id, "start": "2026-01-01", "end": "2026-03-31"}


@override_settings(**TOKEN_MODE)
def test_token_mode_with_public_reads_needs_no_key(api, org, other_org):
    assert api.get(SERIES, params(other_org)).status_code == 200


@override_settings(**READ_TOKEN_MODE)
def test_read_token_mode_needs_a_key(api, org):
    response = api.get(SERIES, params(org))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@override_settings(**READ_TOKEN_MODE)
def test_a_key_reads_only_its_own_organisations_report(api, org, other_org, key, make_activity):
    make_activity(org, "2026-02-01T10:00:00Z")
    mine = api.get(SERIES, params(org), **bearer(key))
    assert mine.status_code == 200 and mine.json()["total"]["activity_count"] == 1
    for fmt in ("json", "csv", "xlsx"):
        theirs = api.get(SERIES, {**params(other_org), "format": fmt}, **bearer(key))
        assert theirs.status_code == 403, fmt
        assert theirs["Content-Type"] == "application/problem+json"


@override_settings(API_THROTTLE_COUNTING="2/minute")
def test_reports_are_throttled_like_counting(api, org):
    cache.clear()
    try:
        assert [api.get(SERIES, params(org)).status_code for _ in range(3)] == [200, 200, 429]
    finally:
        cache.clear()
