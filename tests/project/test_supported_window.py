"""The supported window, 1900-01-01 to 2199-12-31 local, on every path that takes an
instant or a date: a 400 or form error naming it, nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from activities.importing import RowValidator
from aggregations.models import SubmittedPeriod
from aggregations.services import period_submit
from lib.timeranges import RangeError, parse_bound
from record_counts.models import CountSnapshot

WINDOW = "1900-01-01 to 2199-12-31"
WINDOW_NB = "01.01.1900 til 31.12.2199"  # as the admin writes it, in Norwegian


OUTSIDE = [
    ("1899-12-31", "start"),
    ("2200-01-01", "end"),
    ("2199-12-31T23:00:00Z", "end"),
    ("0001-01-01T00:00:00Z", "start"),
]


@pytest.mark.parametrize(("value", "bound"), OUTSIDE)
def test_range_bounds_outside_the_window_are_refused(value, bound):
    with pytest.raises(RangeError, match=WINDOW):
        parse_bound(value, bound=bound)


def test_the_window_edges_are_inside():
    assert parse_bound("1900-01-01", bound="start") == dt.datetime(1899, 12, 31, 23, tzinfo=dt.UTC)
    assert parse_bound("2199-12-31", bound="end") == dt.datetime(2199, 12, 31, 22, 59, 59, tzinfo=dt.UTC)


def test_a_count_outside_the_window_is_a_400_and_writes_nothing(api, org):
    body = {"org_id": org.org_id, "range": {"start": "2026-01-01", "end": "9999-12-30"}}
    response = api.post("/api/v1/period-record-counts", body, format="json")
    assert response.status_code == 400
    assert WINDOW in str(response.json()["errors"])
    assert not CountSnapshot.objects.exists()


def test_an_import_row_outside_the_window_is_a_bad_row(org):
    row = {"org_id": org.org_id, "activity_type": "x", "recorded_at": "1850-06-01T10:00:00Z"}
    problem = RowValidator().validate(2, row)
    assert isinstance(problem, str) and WINDOW in problem


def test_a_submitted_period_outside_the_window_is_refused(org):
    with pytest.raises(RangeError, match=WINDOW):
        period_submit(org=org, period_start=dt.date(2026, 1, 1), period_end=dt.date(9999, 12, 30), submitted_by="x")
    assert not SubmittedPeriod.objects.exists()


def test_the_admin_period_form_names_the_window(admin_client, org):
    url = reverse("admin:aggregations_submittedperiod_add")
    response = admin_client.post(url, {"org": org.pk, "period_start": "2026-01-01", "period_end": "9999-12-30"})
    assert response.status_code == 200  # the form again, with its error: no 500
    assert f"30.12.9999 er utenfor datoene som støttes, {WINDOW_NB}." in response.content.decode()
    assert not SubmittedPeriod.objects.exists()


def test_the_admin_activity_form_names_the_window(admin_client, org):
    url = reverse("admin:activities_activity_add")
    data = {"activity_id": "act-old", "org": org.pk, "activity_type": "x", "recorded_at_0": "1850-06-01",
            "recorded_at_1": "10:00:00", "participant_count": 0, "location": "", "status": "completed"}  # fmt: skip
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert f"01.06.1850 10:00:00 er utenfor datoene som støttes, {WINDOW_NB}." in response.content.decode()


def test_the_migration_reports_stored_rows_outside_the_window_and_keeps_them(org, capsys):
    import importlib

    from django.apps import apps

    from activities.models import Activity

    Activity.objects.create(
        activity_id="old", org=org, activity_type="x", recorded_at=dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    )
    Activity.objects.create(
        activity_id="ok", org=org, activity_type="x", recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    importlib.import_module("activities.migrations.0006_report_outside_supported_window").report(apps, None)
    out = capsys.readouterr().out
    assert f"1 activities lie outside the supported dates {WINDOW} (kept)" in out
    assert Activity.objects.count() == 2
