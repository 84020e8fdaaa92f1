"""GET /: snapshots newest first, filtered, paginated, in a fixed number of queries."""

from __future__ import annotations

import time_machine

from tests.aggregations.conftest import URL


def post(api, org, start, end):
    response = api.post(URL, {"org_id": org.org_id, "range": {"start": start, "end": end}}, format="json")
    assert response.status_code == 201
    return response.json()["id"]


def ids(response):
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["data"]]


def test_list_newest_snapshot_at_first(api, org, other_org, snapshot):
    with time_machine.travel("2030-01-01T00:00:00Z", tick=False):
        newer = post(api, other_org, "2026-01-01", "2026-01-31")
    with time_machine.travel("2020-01-01T00:00:00Z", tick=False):
        older = post(api, org, "2026-01-01", "2026-01-31")
    assert ids(api.get(URL)) == [newer, snapshot.public_id, older]


def test_same_snapshot_at_newest_id_first(api, org):
    with time_machine.travel("2026-05-01T00:00:00Z", tick=False):
        first = post(api, org, "2026-01-01", "2026-01-31")
        second = post(api, org, "2026-01-01", "2026-01-31")
    assert ids(api.get(URL)) == [second, first]


def test_filter_by_org_id(api, org, other_org, snapshot):
    theirs = post(api, other_org, "2026-01-01", "2026-01-31")
    assert ids(api.get(URL, {"org_id": org.org_id})) == [snapshot.public_id]
    assert ids(api.get(URL, {"org_id": other_org.org_id})) == [theirs]
    assert ids(api.get(URL, {"org_id": "org-nobody"})) == []


def test_filter_by_range_bounds_written_like_any_range(api, org, snapshot):
    january = post(api, org, "2026-01-01", "2026-01-31")
    # Bare dates are Oslo days, as on input.
    assert ids(api.get(URL, {"range_start": "2026-01-01", "range_end": "2026-01-31"})) == [january]
    # An end with a fraction matches the stored second.
    exact = {"range_start": "2026-01-01T00:00:00Z", "range_end": "2026-03-31T23:59:59.4Z"}
    assert ids(api.get(URL, exact)) == [snapshot.public_id]


def test_pagination_and_a_page_past_the_end(api, org):
    for day in range(1, 4):
        post(api, org, f"2026-01-0{day}", f"2026-01-0{day}")
    body = api.get(URL, {"limit": 2, "page": 2}).json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3}
    assert len(body["data"]) == 1
    past = api.get(URL, {"limit": 2, "page": 9}).json()
    assert past == {"data": [], "pagination": {"page": 9, "limit": 2, "total": 3}}


def test_list_queries_do_not_grow_with_the_page(api, org, other_org, snapshot, django_assert_num_queries):
    for i in range(60):
        post(api, org if i % 2 else other_org, "2026-01-01", "2026-01-02")
    # A count and a page (organisations joined in): 2 queries at any page size.
    with django_assert_num_queries(2):
        assert len(ids(api.get(URL, {"limit": 1}))) == 1
    with django_assert_num_queries(2):
        assert len(ids(api.get(URL, {"limit": 100}))) == 61
