"""The scheme report follows the reads' access rules and is throttled like counting."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from api_keys.services import api_key_create
from tests.api_keys.conftest import READ_TOKEN_MODE, TOKEN_MODE, bearer
from tests.schemes.conftest import SCHEME


@pytest.fixture
def key(org) -> str:
    return api_key_create(name="schemes", org_ids=[org.org_id])[1]


@pytest.fixture(autouse=True)
def scheme(make_scheme):  # type: ignore[no-untyped-def]
    return make_scheme()


def params(org):  # type: ignore[no-untyped-def]
    return {"org_id": org.org_id, "scheme": "peer-support", "year": "2026"}


@override_settings(**TOKEN_MODE)
def test_token_mode_with_public_reads_needs_no_key(api, org, other_org):
    assert api.get(SCHEME, params(other_org)).status_code == 200


@override_settings(**READ_TOKEN_MODE)
def test_read_token_mode_needs_a_key(api, org):
    response = api.get(SCHEME, params(org))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@override_settings(**READ_TOKEN_MODE)
def test_a_key_reads_only_its_own_organisations_scheme_report(api, org, other_org, key, act):
    act(org, "2026-02-01T10:00:00Z")
    mine = api.get(SCHEME, params(org), **bearer(key))
    assert mine.status_code == 200 and mine.json()["counted"]["activity_count"] == 1
    for extra in ({"format": "json"}, {"format": "csv"}, {"format": "xlsx"}, {"include": "activities"}):
        theirs = api.get(SCHEME, {**params(other_org), **extra}, **bearer(key))
        assert theirs.status_code == 403, extra
        assert theirs["Content-Type"] == "application/problem+json"


@override_settings(API_THROTTLE_COUNTING="2/minute")
def test_scheme_reports_are_throttled_like_counting(api, org):
    cache.clear()
    try:
        assert [api.get(SCHEME, params(org)).status_code for _ in range(3)] == [200, 200, 429]
    finally:
        cache.clear()
