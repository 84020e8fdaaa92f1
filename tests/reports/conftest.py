"""Helpers for the report tests: GET a series and read its JSON."""

from __future__ import annotations

from typing import Any

import pytest

SERIES = "/api/v1/reports/series"


@pytest.fixture
def series(api):  # type: ignore[no-untyped-def]
    """``series(org_id=..., start=..., ...)`` -> the 200 JSON body (asserted)."""

    def get(**params: Any) -> dict[str, Any]:
        response = api.get(SERIES, params)
        assert response.status_code == 200, response.content
        return response.json()

    return get
