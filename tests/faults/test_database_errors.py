"""A database error that means "unavailable" is a 503 problem with Retry-After, on every path."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import InterfaceError, OperationalError

from aggregations import services as aggregation_services
from record_counts import opening
from tests.conftest import postgres_only

RECORDED = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)


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

    monkeypatch.setattr(opening, "stream_reader", unavailable)
    response = api.get(
        "/api/v1/period-record-counts/stream", {"org_id": org.org_id, "start": "2026-01-01", "end": "2026-03-31"}
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/problem+json"


# The COPY paths (new activities, history events) go to psycopg's cursor under Django's:
# its errors must still arrive as Django's, or a cut connection is a 500 and a duplicate
# escapes the importer's IntegrityError handling. Found by test_database_outage's cut
# connections in CI (a 500 in one run of three).


def _cut_own_connection() -> None:
    import psycopg
    from django.db import connection

    pid = connection.cursor().connection.info.backend_pid
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, user=s["USER"], dbname=s["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@postgres_only
@pytest.mark.django_db(transaction=True)  # the cut connection cannot be inside the test's transaction
@pytest.mark.parametrize("path", ["activities", "history"])
def test_a_copy_on_a_cut_connection_raises_djangos_operational_error(org, path):
    from django.db import connection

    from activities.history import EventBatch
    from activities.services import ActivityData, _insert

    _cut_own_connection()
    try:
        with pytest.raises(OperationalError):
            if path == "activities":
                item = ActivityData(org=org, activity_type="peer_support", recorded_at=RECORDED, activity_id="a-cut")
                _insert([item])
            else:
                batch = EventBatch()
                batch.created("a-cut", org.pk, RECORDED)
                batch.write()
    finally:
        connection.close()  # the teardown's flush gets a fresh connection


@postgres_only
@pytest.mark.django_db
def test_a_duplicate_in_the_copy_raises_djangos_integrity_error(org):
    from django.db import IntegrityError, transaction

    from activities.services import ActivityData, _insert

    item = ActivityData(org=org, activity_type="peer_support", recorded_at=RECORDED, activity_id="a-dup")
    _insert([item])
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert([item])
