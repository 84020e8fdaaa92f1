"""Admin actions call the same services as the API; coordinators act on their own data only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from aggregations.models import AggregationSnapshot
from record_counts.models import CountSnapshot

UTC = dt.UTC
T = dt.datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def data(org, other_org, make_activity):
    make_activity(org, "2026-01-10T00:00:00Z")
    make_activity(other_org, "2026-01-10T00:00:00Z")
    end = T + dt.timedelta(days=30)
    return {
        "mine": AggregationSnapshot.objects.create(org=org, range_start=T, range_end=end, snapshot_at=T),
        "theirs": AggregationSnapshot.objects.create(org=other_org, range_start=T, range_end=end, snapshot_at=T),
        "my_count": CountSnapshot.objects.create(org=org, range_start=T, range_end=end, snapshot_at=T, record_count=9),
    }


def test_reaggregate_action_recounts_and_says_how_many_changed(coordinator_client, data):
    url = reverse("admin:aggregations_aggregationsnapshot_changelist")
    response = coordinator_client.post(
        url, {"action": "reaggregate_selected", "_selected_action": [data["mine"].pk]}, follow=True
    )
    # "Re-aggregated 1 snapshot: 1 changed, 0 failed."
    assert "Talte 1 øyeblikksbilde på nytt: 1 endret, 0 feilet." in response.content.decode()
    data["mine"].refresh_from_db()
    assert data["mine"].activity_count == 1


def test_coordinator_cannot_reaggregate_another_organisations_snapshot(coordinator_client, data):
    url = reverse("admin:aggregations_aggregationsnapshot_changelist")
    coordinator_client.post(url, {"action": "reaggregate_selected", "_selected_action": [data["theirs"].pk]})
    data["theirs"].refresh_from_db()
    assert data["theirs"].activity_count == 0  # outside their queryset: untouched


def test_refresh_action_repairs_a_count_snapshot(coordinator_client, data):
    url = reverse("admin:record_counts_countsnapshot_changelist")
    response = coordinator_client.post(
        url, {"action": "refresh_selected", "_selected_action": [data["my_count"].pk]}, follow=True
    )
    # "Refreshed 1 count snapshot: 1 changed, 0 failed."
    assert "Oppdaterte 1 telling: 1 endret, 0 feilet." in response.content.decode()
    assert CountSnapshot.objects.get(pk=data["my_count"].pk).record_count == 1  # the stored figure, repaired


def test_coordinators_cannot_delete_snapshots(coordinator_client, data):
    url = reverse("admin:aggregations_aggregationsnapshot_delete", args=[data["mine"].pk])
    assert coordinator_client.post(url, {"post": "yes"}).status_code == 403
    assert AggregationSnapshot.objects.filter(pk=data["mine"].pk).exists()
