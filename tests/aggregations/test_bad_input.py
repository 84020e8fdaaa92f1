"""Every way a client can get it wrong: 4xx in the one error format, field named, nothing written."""

from __future__ import annotations

import pytest

from aggregations.models import AggregationSnapshot
from tests.aggregations.conftest import Q1, URL


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"range": Q1}, "org_id"),
        ({"org_id": "org-bufdir-42"}, "range"),
        ({"org_id": "org-nope", "range": Q1}, "org_id"),
        ({"org_id": 42, "range": Q1}, "org_id"),
        ({"org_id": "org-bufdir-42", "range": "2026"}, "range"),
        ({"org_id": "org-bufdir-42", "range": {"start": Q1["start"]}}, "range"),
        ({"org_id": "org-bufdir-42", "range": {**Q1, "tz": "Europe/Oslo"}}, "range"),
        ({"org_id": "org-bufdir-42", "range": {"start": "2026-01-01T00:00:00", "end": Q1["end"]}}, "range"),
        ({"org_id": "org-bufdir-42", "range": {"start": Q1["end"], "end": Q1["start"]}}, "range"),
        ({"org_id": "org-bufdir-42", "range": {"start": 20260101, "end": Q1["end"]}}, "range"),
        ({"org_id": "org-bufdir-42", "range": {"start": {"nested": 1}, "end": Q1["end"]}}, "range"),
        ({"org_id": "org-bufdir-42", "range": Q1, "range_start": "x"}, "range_start"),
        ({"org_id": "org-bufdir-42\x00", "range": Q1}, "org_id"),
    ],
)
def test_bad_create_bodies(api, org, body, field):
    errors = problem(api.post(URL, body, format="json"), 400)["errors"]
    assert field in errors
    assert not AggregationSnapshot.objects.exists()


def test_naive_datetime_message_says_to_add_an_offset(api, org):
    body = {"org_id": org.org_id, "range": {"start": "2026-01-01T00:00:00", "end": Q1["end"]}}
    errors = problem(api.post(URL, body, format="json"), 400)["errors"]
    assert "add one" in errors["range"]["start"][0]


def test_malformed_json_and_wrong_content_type(api, org):
    assert "JSON" in problem(api.generic("POST", URL, '{"org_id": ', content_type="application/json"), 400)["detail"]
    problem(api.generic("POST", URL, "org_id=x", content_type="application/x-www-form-urlencoded"), 415)
    assert not AggregationSnapshot.objects.exists()


def test_unknown_method_is_a_405(api, snapshot):
    problem(api.patch(f"{URL}/{snapshot.public_id}", {}, format="json"), 405)


@pytest.mark.parametrize(
    "bad_id",
    ["agg-snap-xyz", "agg-snap-" + "1" * 40, "count-snapshot-001", "agg-snap-1", "agg-snap-0001", "%00", "999"],
)
def test_ids_that_are_not_ours_are_404_everywhere(api, snapshot, bad_id):
    for method in ("get", "put", "delete"):
        problem(getattr(api, method)(f"{URL}/{bad_id}"), 404)
    assert AggregationSnapshot.objects.count() == 1


def test_put_with_bad_range_changes_nothing(api, snapshot):
    before = AggregationSnapshot.objects.values().get()
    body = {"range": {"start": Q1["end"], "end": Q1["start"]}}
    problem(api.put(f"{URL}/{snapshot.public_id}", body, format="json"), 400)
    problem(api.put(f"{URL}/{snapshot.public_id}", {"org_id": "org-bufdir-7"}, format="json"), 400)
    assert AggregationSnapshot.objects.values().get() == before


@pytest.mark.parametrize("params", [{"page": "0"}, {"limit": "101"}, {"page": "x"}, {"range_start": "tomorrow"}])
def test_bad_list_parameters(api, db, params):
    problem(api.get(URL, params), 400)
