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
