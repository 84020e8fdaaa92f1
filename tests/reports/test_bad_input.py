"""Every parameter error of GET /api/v1/reports/series is a 400 problem naming the parameter."""

from __future__ import annotations

import pytest

from tests.reports.conftest import SERIES

GOOD = {"org_id": "org-bufdir-42", "start": "2026-01-01", "end": "2026-12-31"}


def problem(api, **params):  # type: ignore[no-untyped-def]
    response = api.get(SERIES, {k: v for k, v in {**GOOD, **params}.items() if v is not None})
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"org_id": None}, "org_id"),
        ({"org_id": "org-unknown"}, "org_id"),
        ({"start": None}, "start"),
        ({"end": None}, "end"),
        ({"start": "2026-01-01T00:00:00"}, "start"),
        ({"end": "yesterday"}, "end"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "end"),
        ({"start": "1899-12-31"}, "start"),
        ({"interval": "hour"}, "interval"),
        ({"interval": ""}, "interval"),
        ({"group_by": "colour"}, "group_by"),
        ({"group_by": "status,status"}, "group_by"),
        ({"group_by": "activity_type,status,location"}, "group_by"),
        ({"compare": "last_week"}, "compare"),
        ({"format": "pdf"}, "format"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, org, params, name):
    body = problem(api, **params)
    assert name in body["errors"], body


def test_more_than_1000_buckets_says_how_many_were_asked_for(api, org):
    body = problem(api, start="2024-01-01", end="2026-12-31", interval="day")
    assert "1096 day buckets" in body["errors"]["interval"][0]
    assert "1000" in body["errors"]["interval"][0]


def test_1000_buckets_are_allowed(api, org):
    response = api.get(SERIES, {**GOOD, "start": "2024-01-01", "end": "2026-09-26", "interval": "day"})
    assert response.status_code == 200
    assert len(response.json()["buckets"]) == 1000


def test_a_comparison_over_the_limit_is_refused_too(api, org):
    # 1000 whole ISO weeks from Monday 5 January 2026; a year earlier starts on a Sunday: 1001.
    response = api.get(SERIES, {**GOOD, "start": "2026-01-05", "end": "2045-03-05", "interval": "week"})
    assert len(response.json()["buckets"]) == 1000
    body = problem(api, start="2026-01-05", end="2045-03-05", interval="week", compare="previous_year")
    assert "1001 week buckets" in body["errors"]["interval"][0]


def test_a_comparison_outside_the_supported_dates_is_a_400_naming_compare(api, org):
    body = problem(api, start="1900-06-01", end="1900-06-30", compare="previous_year")
    assert "supported dates" in body["errors"]["compare"][0]


def test_unknown_format_is_a_400_even_with_an_accept_header(api, org):
    response = api.get(SERIES, {**GOOD, "format": "pdf"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 400
    assert "format" in response.json()["errors"]
