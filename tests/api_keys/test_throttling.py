"""The counting endpoints are throttled when API_THROTTLE_COUNTING is set (off by default)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.api_keys.conftest import RANGE, TOKEN_MODE, bearer
from tests.api_keys.test_writes import assert_problem


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


COUNTING = {
    "create aggregation": lambda o: ("post", "/api/v1/bufdir-aggregations", {"org_id": o.org.org_id, "range": RANGE}),
    "re-aggregate": lambda o: ("put", f"/api/v1/bufdir-aggregations/{o.aggregation.public_id}", {}),
    "create count": lambda o: ("post", "/api/v1/period-record-counts", {"org_id": o.org.org_id, "range": RANGE}),
    "refresh count": lambda o: ("put", f"/api/v1/period-record-counts/{o.count.public_id}", {}),
}


def send(api, request, **headers):
    method, path, body = request
    return getattr(api, method)(path, body, format="json", **headers)


@pytest.mark.parametrize("make", COUNTING.values(), ids=COUNTING.keys())
@override_settings(API_THROTTLE_COUNTING="2/minute")
def test_over_the_rate_is_a_429_problem_with_retry_after(api, mine, make):
    assert send(api, make(mine)).status_code in {200, 201}
    assert send(api, make(mine)).status_code in {200, 201}
    response = send(api, make(mine))
    assert_problem(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"]


@override_settings(API_THROTTLE_COUNTING="1/minute")
def test_the_counting_endpoints_share_one_budget_and_reads_are_not_counted(api, mine):
    assert send(api, COUNTING["create count"](mine)).status_code == 200
    for _ in range(3):
        assert api.get("/api/v1/period-record-counts").status_code == 200
        assert api.get(f"/api/v1/bufdir-aggregations/{mine.aggregation.public_id}").status_code == 200
    assert send(api, COUNTING["create aggregation"](mine)).status_code == 429


@override_settings(API_THROTTLE_COUNTING="1/minute")
def test_activity_writes_are_not_throttled(api, mine):
    body = {"org_id": mine.org.org_id, "activity_type": "peer_support", "recorded_at": "2026-02-02T10:00:00Z"}
    for _ in range(3):
        assert api.post("/api/v1/activities", body, format="json").status_code == 201


@override_settings(API_THROTTLE_COUNTING="1/minute", **TOKEN_MODE)
def test_each_key_has_its_own_budget(api, mine, theirs, key, other_key):
    assert send(api, COUNTING["create count"](mine), **bearer(key)).status_code == 200
    assert send(api, COUNTING["create count"](mine), **bearer(key)).status_code == 429
    assert send(api, COUNTING["create count"](theirs), **bearer(other_key)).status_code == 200


def test_no_throttling_unless_configured(api, mine):
    for _ in range(30):
        assert send(api, COUNTING["create count"](mine)).status_code == 200


@override_settings(API_THROTTLE_COUNTING="3/minute", TRUSTED_PROXIES=0)
def test_a_forged_forwarded_for_is_not_a_new_identity_without_trusted_proxies(api, mine):
    make = COUNTING["create count"]
    statuses = [
        send(api, make(mine), HTTP_X_FORWARDED_FOR=f"203.0.113.{i}", REMOTE_ADDR="10.0.0.5").status_code
        for i in range(8)
    ]
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}


@override_settings(API_THROTTLE_COUNTING="3/minute", TRUSTED_PROXIES=1)
def test_behind_one_trusted_proxy_the_address_it_saw_is_the_client(api, mine):
    make = COUNTING["create count"]
    # The client forges the left part; the proxy appends the address it really saw.
    forged = [
        send(api, make(mine), HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 192.0.2.7", REMOTE_ADDR="10.0.0.1").status_code
        for i in range(5)
    ]
    assert forged[:3] == [200, 200, 200] and set(forged[3:]) == {429}
    other = send(api, make(mine), HTTP_X_FORWARDED_FOR="192.0.2.8", REMOTE_ADDR="10.0.0.1")
    assert other.status_code == 200  # another real client behind the same proxy
