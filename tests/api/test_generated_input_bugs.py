"""Regression tests for the bugs generated input (schemathesis, hypothesis) found."""

from __future__ import annotations

import pytest

from tests.api.test_errors import assert_problem


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/activities/?end=x%25%3Dy",
        "/api/v1/activities/?start=100%25",
        "/api/v1/bufdir-aggregations/?range_end=x%25s",
        "/api/v1/bufdir-aggregations/?range_start=%25",
    ],
)
def test_percent_sign_in_a_range_filter_is_a_400_not_a_500(api, db, url):
    body = assert_problem(api.get(url), 400)
    assert "%" in str(body["errors"])


@pytest.mark.parametrize("url", ["/api/v1/activities/", "/api/v1/bufdir-aggregations/"])
def test_filter_end_in_year_9999_is_a_400_not_an_overflow(api, db, url):
    # The filter's exclusive end (end + 1 s) does not exist for the last second of 9999.
    param = "end" if "activities" in url else "range_end"
    body = assert_problem(api.get(url, {param: "9999-12-31T23:59:59Z"}), 400)
    assert "out of the supported range" in str(body["errors"][param])


@pytest.mark.parametrize(
    "url", ["/api/v1/activities/", "/api/v1/bufdir-aggregations/", "/api/v1/period-record-counts/"]
)
def test_deeply_nested_json_is_a_400_not_a_recursion_error(api, db, url):
    deep = "[" * 10_000 + "]" * 10_000
    body = assert_problem(api.generic("POST", url, deep, content_type="application/json"), 400)
    assert "nested too deeply" in body["detail"]


def test_body_over_the_upload_limit_is_a_413_not_a_plain_400(api, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"location": "' + "x" * 2000 + '"}'
    assert_problem(api.generic("POST", "/api/v1/activities/", body, content_type="application/json"), 413)


@pytest.mark.parametrize("value", ["yes", "1", "True", "a\x00"])
def test_is_complete_filter_rejects_values_it_cannot_read_instead_of_ignoring_them(api, db, value):
    body = assert_problem(api.get("/api/v1/period-record-counts/", {"is_complete": value}), 400)
    assert "is_complete" in body["errors"]


def test_empty_is_complete_filter_is_no_filter(api, db):
    assert api.get("/api/v1/period-record-counts/", {"is_complete": ""}).status_code == 200
