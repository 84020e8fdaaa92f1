"""Every write endpoint in both modes: public by default; in token mode a key writes only
its own organisation's data (401 without a valid key, 403 for another organisation's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from activities.models import Activity
from aggregations.models import AggregationSnapshot
from api_keys.models import ApiKey
from api_keys.services import api_keys_revoke
from record_counts.models import CountSnapshot
from tests.api_keys.conftest import RANGE, TOKEN_MODE, Owned, bearer

Write = tuple[str, str, Any]  # method, path, JSON body


def _activity(o: Owned) -> dict[str, Any]:
    return {"org_id": o.org.org_id, "activity_type": "peer_support", "recorded_at": "2026-02-02T10:00:00Z"}


# Each builds a request that writes data of the organisation ``o``.
WRITES: dict[str, Callable[[Owned], Write]] = {
    "create activity": lambda o: ("post", "/api/v1/activities", _activity(o)),
    "create activities (list)": lambda o: ("post", "/api/v1/activities", [_activity(o), _activity(o)]),
    "put activity": lambda o: (
        "put",
        f"/api/v1/activities/{o.activity.activity_id}",
        {**_activity(o), "activity_id": o.activity.activity_id},
    ),
    "patch activity": lambda o: ("patch", f"/api/v1/activities/{o.activity.activity_id}", {"participant_count": 3}),
    "delete activity": lambda o: ("delete", f"/api/v1/activities/{o.activity.activity_id}", None),
    "create aggregation": lambda o: ("post", "/api/v1/bufdir-aggregations", {"org_id": o.org.org_id, "range": RANGE}),
    "re-aggregate": lambda o: ("put", f"/api/v1/bufdir-aggregations/{o.aggregation.public_id}", {}),
    "delete aggregation": lambda o: ("delete", f"/api/v1/bufdir-aggregations/{o.aggregation.public_id}", None),
    "re-aggregate (contract alias path)": lambda o: (
        "put",
        f"/api/v1/bufdir-aggregations/api/v1/bufdir-aggregations/{o.aggregation.public_id}",
        {},
    ),
    "create count": lambda o: ("post", "/api/v1/period-record-counts", {"org_id": o.org.org_id, "range": RANGE}),
    "refresh count": lambda o: ("put", f"/api/v1/period-record-counts/{o.count.public_id}", {}),
    "delete count": lambda o: ("delete", f"/api/v1/period-record-counts/{o.count.public_id}", None),
}
writes = pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())


def send(api, write: Write, **headers: str):
    method, path, body = write
    return getattr(api, method)(path, body, format="json", **headers)


def state() -> tuple[Any, ...]:
    """Everything a write could change, to show that a refused write changed nothing."""
    return (
        sorted(Activity.objects.values_list("activity_id", "org_id", "participant_count", "activity_type")),
        sorted(AggregationSnapshot.objects.values_list("pk", "org_id", "snapshot_at")),
        sorted(CountSnapshot.objects.values_list("pk", "org_id", "snapshot_at", "record_count")),
    )


def assert_problem(response, status: int) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == status


@writes
def test_public_mode_writes_without_a_key(api, mine, theirs, write):
    response = send(api, write(mine))
    assert response.status_code in {200, 201}, response.content


@writes
def test_public_mode_ignores_credentials(api, mine, theirs, write):
    response = send(api, write(mine), HTTP_AUTHORIZATION="Bearer bfd_nothing_valid")
    assert response.status_code in {200, 201}, response.content


@writes
@override_settings(**TOKEN_MODE)
def test_token_mode_refuses_a_write_without_a_key(api, mine, theirs, write):
    before = state()
    response = send(api, write(mine))
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert state() == before


@writes
@override_settings(**TOKEN_MODE)
def test_token_mode_refuses_an_invalid_key(api, mine, key, write):
    before = state()
    response = send(api, write(mine), **bearer(key[:-2] + "xx"))
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert state() == before


@writes
@override_settings(**TOKEN_MODE)
def test_token_mode_refuses_a_revoked_key(api, mine, key, write):
    api_keys_revoke(keys=ApiKey.objects.all())
    before = state()
    assert_problem(send(api, write(mine), **bearer(key)), 401)
    assert state() == before


@writes
@override_settings(**TOKEN_MODE)
def test_a_key_writes_its_own_organisations_data(api, mine, theirs, key, write):
    response = send(api, write(mine), **bearer(key))
    assert response.status_code in {200, 201}, response.content


@writes
@override_settings(**TOKEN_MODE)
def test_the_api_key_scheme_works_too(api, mine, key, write):
    response = send(api, write(mine), HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.status_code in {200, 201}, response.content


@writes
@override_settings(**TOKEN_MODE)
def test_a_key_may_not_write_another_organisations_data(api, mine, theirs, key, write):
    before = state()
    response = send(api, write(theirs), **bearer(key))
    assert_problem(response, 403)
    assert "may not access this organisation" in response.json()["detail"]
    assert state() == before


@override_settings(**TOKEN_MODE)
def test_a_list_with_one_foreign_activity_writes_nothing(api, mine, theirs, key):
    body = [_activity(mine), _activity(theirs)]
    before = state()
    assert_problem(api.post("/api/v1/activities", body, format="json", **bearer(key)), 403)
    assert state() == before


@pytest.mark.parametrize("method", ["put", "patch"])
@override_settings(**TOKEN_MODE)
def test_a_key_may_not_move_an_activity_to_another_organisation(api, mine, theirs, key, method):
    body = {**_activity(mine), "activity_id": mine.activity.activity_id, "org_id": theirs.org.org_id}
    if method == "patch":
        body = {"org_id": theirs.org.org_id}
    before = state()
    path = f"/api/v1/activities/{mine.activity.activity_id}"
    response = getattr(api, method)(path, body, format="json", **bearer(key))
    assert_problem(response, 403)
    assert state() == before


@override_settings(**TOKEN_MODE)
def test_a_key_may_not_move_a_foreign_activity_into_its_organisation(api, mine, theirs, key):
    body = {"org_id": mine.org.org_id}
    response = api.patch(f"/api/v1/activities/{theirs.activity.activity_id}", body, format="json", **bearer(key))
    assert_problem(response, 403)
    assert Activity.objects.get(activity_id=theirs.activity.activity_id).org == theirs.org


@override_settings(**TOKEN_MODE)
def test_a_key_for_two_organisations_moves_between_them(api, mine, theirs):
    from api_keys.services import api_key_create

    _, raw = api_key_create(name="both", org_ids=[mine.org.org_id, theirs.org.org_id])
    body = {"org_id": theirs.org.org_id}
    response = api.patch(f"/api/v1/activities/{mine.activity.activity_id}", body, format="json", **bearer(raw))
    assert response.status_code == 200, response.content
    assert Activity.objects.get(activity_id=mine.activity.activity_id).org == theirs.org


@override_settings(**TOKEN_MODE)
def test_a_bad_body_is_still_a_400_for_a_key_holder(api, mine, key):
    response = api.post("/api/v1/bufdir-aggregations", {"org_id": "nope", "range": RANGE}, format="json", **bearer(key))
    assert_problem(response, 400)
