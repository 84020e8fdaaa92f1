"""Submitting a period: count frozen, submitter and time automatic, no edits, no overlaps, drift shown."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from aggregations.models import SubmittedPeriod
from aggregations.services import PeriodOverlap, period_drift, period_submit
from tests.conftest import postgres_only

UTC = dt.UTC


def submit(client, org, start, end):
    return client.post(
        reverse("admin:aggregations_submittedperiod_add"),
        {"org": org.pk, "period_start": start, "period_end": end},
    )


@time_machine.travel("2026-03-01T16:00:00.4Z", tick=False)
def test_coordinator_submits_a_period_and_the_count_is_frozen(coordinator_client, org, make_activity):
    make_activity(org, "2026-01-31T23:30:00Z")  # 1 February in Oslo: inside
    make_activity(org, "2026-02-28T22:59:59Z")  # last second of 28 February in Oslo: inside
    make_activity(org, "2026-02-28T23:00:00Z")  # 1 March in Oslo: outside
    response = submit(coordinator_client, org, "2026-02-01", "2026-02-28")
    assert response.status_code == 302, response.content[:1500]
    period = SubmittedPeriod.objects.get()
    assert (period.activity_count, period.submitted_by) == (2, "kari")
    assert period.submitted_at == dt.datetime(2026, 3, 1, 16, tzinfo=UTC)


def test_later_changes_show_as_drift_not_as_a_new_count(coordinator_client, org, make_activity):
    make_activity(org, "2026-02-10T10:00:00Z")
    submit(coordinator_client, org, "2026-02-01", "2026-02-28")
    period = SubmittedPeriod.objects.get()
    make_activity(org, "2026-02-11T10:00:00Z")
    assert period_drift(period=period) == (2, 1)
    period.refresh_from_db()
    assert period.activity_count == 1
    listing = coordinator_client.get(reverse("admin:aggregations_submittedperiod_changelist")).content.decode()
    assert "(AVVIK +1 siden levering)" in listing  # "DRIFTED +1 since submission"


def test_a_submitted_period_cannot_be_edited_or_deleted_by_a_coordinator(coordinator_client, org):
    submit(coordinator_client, org, "2026-02-01", "2026-02-28")
    period = SubmittedPeriod.objects.get()
    url = reverse("admin:aggregations_submittedperiod_change", args=[period.pk])
    coordinator_client.post(url, {"org": org.pk, "period_start": "2026-01-01", "period_end": "2026-02-28"})
    period.refresh_from_db()
    assert period.period_start == dt.date(2026, 2, 1)
    delete = reverse("admin:aggregations_submittedperiod_delete", args=[period.pk])
    assert coordinator_client.post(delete, {"post": "yes"}).status_code == 403
    assert SubmittedPeriod.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"), [("2026-02-28", "2026-03-31"), ("2026-01-01", "2026-12-31"), ("2026-02-10", "2026-02-11")]
)
def test_overlapping_periods_are_refused(coordinator_client, org, start, end):
    submit(coordinator_client, org, "2026-02-01", "2026-02-28")
    response = submit(coordinator_client, org, start, end)
    assert response.status_code == 200
    assert "Overlapper" in response.content.decode()  # "Overlaps"
    assert SubmittedPeriod.objects.count() == 1
    with pytest.raises(PeriodOverlap):
        period_submit(
            org=org, period_start=dt.date.fromisoformat(start), period_end=dt.date.fromisoformat(end), submitted_by="x"
        )


def test_adjacent_periods_and_other_organisations_are_fine(coordinator_client, org, other_org):
    submit(coordinator_client, org, "2026-02-01", "2026-02-28")
    assert submit(coordinator_client, org, "2026-03-01", "2026-03-31").status_code == 302
    period_submit(org=other_org, period_start=dt.date(2026, 2, 1), period_end=dt.date(2026, 2, 28), submitted_by="y")
    assert SubmittedPeriod.objects.count() == 3


def raw_period(org, start, end):
    return SubmittedPeriod.objects.create(
        org=org,
        period_start=dt.date.fromisoformat(start),
        period_end=dt.date.fromisoformat(end),
        submitted_at=dt.datetime(2026, 3, 1, tzinfo=UTC),
        submitted_by="a",
        activity_count=0,
    )


@postgres_only
def test_the_database_refuses_overlaps_too(org):
    raw_period(org, "2026-02-01", "2026-02-28")
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_period(org, "2026-02-28", "2026-03-31")


def test_drift_column_costs_one_count_per_organisation_not_per_row(
    client_for, admin_user, org, other_org, make_activity
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for month in range(1, 9):
        period_submit(
            org=org, period_start=dt.date(2025, month, 1), period_end=dt.date(2025, month, 28), submitted_by="a"
        )
    period_submit(org=other_org, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 1, 31), submitted_by="b")
    make_activity(org, "2025-03-10T12:00:00Z")  # after submission: drift in March only
    with CaptureQueriesContext(connection) as queries:
        html = client_for(admin_user).get(reverse("admin:aggregations_submittedperiod_changelist")).content.decode()
    assert html.count("AVVIK +1") == 1  # "DRIFTED +1"
    assert html.count("(uten avvik)") == 8  # "(no drift)"
    # A count reads the activities, or for whole local days the rollup, and never both
    # in separate statements.
    counts = [q["sql"] for q in queries.captured_queries if 'FROM "activities_activity' in q["sql"]]
    assert len(counts) == 2  # one per organisation on the page, not nine


def test_period_drift_agrees_with_the_batched_counts(org, make_activity):
    from aggregations.selectors import periods_current_counts

    period = period_submit(org=org, period_start=dt.date(2025, 3, 1), period_end=dt.date(2025, 3, 31), submitted_by="a")
    make_activity(org, "2025-03-31T21:59:59.9Z")  # last second of 31 March in Oslo (summer time)
    make_activity(org, "2025-03-31T22:00:00Z")  # 1 April in Oslo
    assert period_drift(period=period) == (1, 1)
    assert periods_current_counts(periods=[period]) == {period.pk: 1}
