"""Rows stored before the supported window was enforced (issue 12, item 2): every admin
page that shows them, and the dashboard, answers 200 and says what is wrong, never 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from activities.models import Activity
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from record_counts.models import CountSnapshot

LAST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)  # an Oslo hour past datetime.max
FIRST = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def stored(org):
    """What the API accepted before the window: written with queryset.bulk_create, which
    runs no validation, as the old code paths effectively did."""
    recent = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    Activity.objects.bulk_create(
        [
            Activity(activity_id="act-last", org=org, activity_type="x", recorded_at=LAST),
            Activity(activity_id="act-first", org=org, activity_type="x", recorded_at=FIRST),
            Activity(activity_id="act-ok", org=org, activity_type="x", recorded_at=recent),
        ]
    )
    counts = CountSnapshot.objects.bulk_create(
        [
            CountSnapshot(org=org, range_start=recent, range_end=LAST - dt.timedelta(seconds=1), snapshot_at=recent),
            CountSnapshot(org=org, range_start=FIRST, range_end=LAST, snapshot_at=recent),  # no end + 1 s exists
        ]
    )
    aggs = AggregationSnapshot.objects.bulk_create(
        [AggregationSnapshot(org=org, range_start=FIRST, range_end=LAST, snapshot_at=recent)]
    )
    period = {"submitted_at": recent, "submitted_by": "kari", "activity_count": 1}
    periods = SubmittedPeriod.objects.bulk_create(
        [
            SubmittedPeriod(org=org, period_start=dt.date(2026, 1, 1), period_end=dt.date(9999, 12, 30), **period),
            SubmittedPeriod(org=org, period_start=dt.date(1, 1, 1), period_end=dt.date(1, 12, 31), **period),
        ]
    )
    return {
        "activities_activity": [a.pk for a in Activity.objects.all()],
        "record_counts_countsnapshot": [c.pk for c in counts],
        "aggregations_aggregationsnapshot": [aggs[0].pk],
        "aggregations_submittedperiod": [p.pk for p in periods],
    }


MODELS = ["activities_activity", "record_counts_countsnapshot", "aggregations_aggregationsnapshot",
          "aggregations_submittedperiod"]  # fmt: skip


@pytest.mark.parametrize("model", MODELS)
def test_the_list_shows_rows_outside_the_window(admin_client, stored, model):
    response = admin_client.get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200
    assert "utenfor datoene som støttes" in response.content.decode()  # "outside the supported dates"


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("page", ["change", "delete"])
def test_the_change_and_delete_pages_of_rows_outside_the_window(admin_client, stored, model, page):
    for pk in stored[model]:
        response = admin_client.get(reverse(f"admin:{model}_{page}", args=[pk]))
        assert response.status_code == 200, (model, pk)


@pytest.mark.parametrize("model", MODELS)
def test_rows_outside_the_window_can_be_deleted(admin_client, stored, model):
    from django.apps import apps

    for pk in stored[model]:
        response = admin_client.post(reverse(f"admin:{model}_delete", args=[pk]), {"post": "yes"})
        assert response.status_code == 302, (model, pk)
    app_label, name = model.rsplit("_", 1)
    assert not apps.get_model(app_label, name).objects.filter(pk__in=stored[model]).exists()


def test_the_dashboard_with_periods_outside_the_window(admin_client, stored):
    response = admin_client.get(reverse("dashboard"))
    assert response.status_code == 200
    assert "utenfor datoene som støttes" in response.content.decode()  # "outside the supported dates"


def test_the_date_filters_of_the_activity_list(admin_client, stored):
    url = reverse("admin:activities_activity_changelist")
    for query in ("?recorded_at__year=9999", "?recorded_at__year=1&recorded_at__month=1", "?recorded_at__year=x"):
        response = admin_client.get(url + query)
        assert response.status_code == 302, query  # Django's answer to a bad filter: the list, unfiltered
        assert response["Location"].endswith("?e=1")
    assert admin_client.get(url + "?recorded_at__year=2199&recorded_at__month=12").status_code == 200
    assert admin_client.get(url + "?o=4").status_code == 200  # sorted by recorded_at


def test_the_api_reads_rows_outside_the_window(api, org, stored):
    """The API lists what is stored, whatever it is, in UTC: never a 500."""
    for path in ("/api/v1/period-record-counts", "/api/v1/bufdir-aggregations", "/api/v1/submitted-periods"):
        response = api.get(path, {"org_id": org.org_id})
        assert response.status_code in (200, 404), path
    for snapshot in CountSnapshot.objects.all():
        response = api.get(f"/api/v1/period-record-counts/{snapshot.public_id}")
        assert response.status_code == 200
        assert response.json()["range_end"] in ("9999-12-31T23:59:58Z", "9999-12-31T23:59:59Z")
    for period in SubmittedPeriod.objects.all():  # no range to find changes in: none listed
        response = api.get(f"/api/v1/submitted-periods/{period.public_id}")
        assert response.status_code == 200
        assert (response.json()["changes_since_submission"], response.json()["evidence"]) == ([], None)
    response = api.get("/api/v1/activities", {"org_id": org.org_id, "start": "1900-01-01", "end": "2199-12-31"})
    assert response.status_code == 200
    assert [a["activity_id"] for a in response.json()["data"]] == ["act-ok"]
