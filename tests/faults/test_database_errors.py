"""A database error that means "unavailable" is a 503 problem with Retry-After, on every path."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError

from aggregations import services as aggregation_services
from record_counts import stream as stream_view


@pytest.mark.parametrize("error", [OperationalError("connection refused"), InterfaceError("connection already closed")])
def test_an_unavailable_database_is_a_503_problem_with_retry_after(api, org, monkeypatch, error):
    def unavailable(**kwargs):
        raise error

    monkeypatch.setattr(aggregation_services, "snapshot_create", unavailable)
    response = api.post(
        "/api/v1/bufdir-aggregations",
        {"org_id": org.org_id, "range": {"start": "2026-01-01", "end": "2026-03-31"}},
        format="json",
    )
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "type": "about:blank",
        "title": "Service Unavailable",
        "status": 503,
        "detail": "The database is unavailable; retry shortly.",
    }


@pytest.mark.django_db(transaction=True)  # the stream's own threads must see the organisation
def test_the_stream_answers_503_before_opening(api, org, monkeypatch):
    def unavailable(request):
        raise OperationalError("connection refused")

    monkeypatch.setattr(stream_view, "_stream_reader", unavailable)
    response = api.get(
        "/api/v1/period-record-counts/stream", {"org_id": org.org_id, "start": "2026-01-01", "end": "2026-03-31"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/problem+json"
