"""Pagination rules of SPEC.md, through the activities list."""

from __future__ import annotations

import datetime as dt

import pytest

URL = "/api/v1/activities/"


@pytest.fixture
def five(org, make_activity):
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return [make_activity(org, base + dt.timedelta(hours=i), activity_id=f"act-{i}") for i in range(5)]


def test_defaults_are_page_1_limit_20(api, five):
    body = api.get(URL).json()
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 5}
    assert [a["activity_id"] for a in body["data"]] == [f"act-{i}" for i in range(5)]


def test_pages_split_the_ordered_list(api, five):
    second = api.get(URL, {"page": 2, "limit": 2}).json()
    assert second["pagination"] == {"page": 2, "limit": 2, "total": 5}
    assert [a["activity_id"] for a in second["data"]] == ["act-2", "act-3"]


def test_page_past_the_end_is_empty_not_an_error(api, five):
    response = api.get(URL, {"page": 99, "limit": 2})
    assert response.status_code == 200
    assert response.json() == {"data": [], "pagination": {"page": 99, "limit": 2, "total": 5}}


def test_limit_100_is_allowed(api, five):
    assert api.get(URL, {"limit": 100}).status_code == 200


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("page", "0"),
        ("page", "-1"),
        ("page", "abc"),
        ("page", "1.5"),
        ("page", "99999999999999999999999"),
        ("page", ""),
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "ten"),
        ("limit", "²"),
    ],
)
def test_bad_page_or_limit_is_a_400_naming_it(api, db, param, value):
    response = api.get(URL, {param: value})
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert param in body["errors"]


def test_list_runs_the_same_queries_whatever_the_page_size(api, five, django_assert_num_queries):
    # One count, one page of rows with their organisation joined in.
    with django_assert_num_queries(2):
        api.get(URL, {"limit": 1})
    with django_assert_num_queries(2):
        api.get(URL, {"limit": 100})
