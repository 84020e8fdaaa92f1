"""Idempotency-Key in token mode: each API key has its own key namespace."""

from __future__ import annotations

from django.test import override_settings

from aggregations.models import AggregationSnapshot
from tests.api_keys.conftest import RANGE, TOKEN_MODE, bearer

AGG = "/api/v1/bufdir-aggregations"


@override_settings(**TOKEN_MODE)
def test_a_retried_post_with_a_key_replays_and_keys_of_two_owners_do_not_collide(api, org, other_org, key, other_key):
    mine = {"org_id": org.org_id, "range": RANGE}
    theirs = {"org_id": other_org.org_id, "range": RANGE}

    first = api.post(AGG, mine, format="json", HTTP_IDEMPOTENCY_KEY="retry-1", **bearer(key))
    again = api.post(AGG, mine, format="json", HTTP_IDEMPOTENCY_KEY="retry-1", **bearer(key))
    # The same Idempotency-Key from another API key (another owner) is a new request.
    other = api.post(AGG, theirs, format="json", HTTP_IDEMPOTENCY_KEY="retry-1", **bearer(other_key))

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 201)
    assert again.json() == first.json()
    assert other.json()["id"] != first.json()["id"]
    assert AggregationSnapshot.objects.filter(org=org).count() == 1
    assert AggregationSnapshot.objects.filter(org=other_org).count() == 1
