"""Activities admin: scoped to the coordinator's organisations; writes keep live counts right."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from activities.models import Activity, Organization
from record_counts.models import CountSnapshot
from tests.conftest import live_count

UTC = dt.UTC


@pytest.fixture
def coordinator(org):
    user = get_user_model().objects.create_user("kari", password="pw-unused", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_activity", "add_activity", "change_activity", "view_organization"]
        )
    )
    org.coordinators.add(user)
    return user


@pytest.fixture
def both(org, other_org, make_activity):
    mine = make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-mine")
    theirs = make_activity(other_org, "2026-01-10T10:00:00Z", activity_id="act-theirs")
    return mine, theirs


def test_coordinator_lists_only_their_organisations_activities(coordinator, client_for, both):
    response = client_for(coordinator).get(reverse("admin:activities_activity_changelist"))
    assert response.status_code == 200
    assert b"act-mine" in response.content
    assert b"act-theirs" not in response.content


def test_coordinator_cannot_open_another_organisations_activity(coordinator, client_for, both):
    _, theirs = both
    response = client_for(coordinator).get(reverse("admin:activities_activity_change", args=[theirs.pk]))
    # Outside their queryset the object "does not exist": admin redirects to its index.
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert b"act-theirs" not in response.content


def test_coordinator_cannot_add_an_activity_to_another_organisation(coordinator, client_for, other_org):
    response = client_for(coordinator).post(
        reverse("admin:activities_activity_add"),
        {
            "activity_id": "act-sneaky",
            "org": other_org.pk,
            "activity_type": "peer_support",
            "recorded_at_0": "2026-01-10",
            "recorded_at_1": "11:00:00",
            "participant_count": 1,
            "location": "",
            "status": "completed",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    assert not Activity.objects.filter(activity_id="act-sneaky").exists()


def test_coordinator_only_sees_their_organisations(coordinator, client_for, org, other_org):
    response = client_for(coordinator).get(reverse("admin:activities_organization_changelist"))
    assert org.org_id.encode() in response.content
    assert other_org.org_id.encode() not in response.content


def test_admin_add_is_in_oslo_time_and_updates_live_counts(admin_user, client_for, org):
    snapshot = CountSnapshot.objects.create(
        org=org,
        range_start=dt.datetime(2026, 1, 1, tzinfo=UTC),
        range_end=dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC),
        snapshot_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
    )
    response = client_for(admin_user).post(
        reverse("admin:activities_activity_add"),
        {
            "activity_id": "act-admin",
            "org": org.pk,
            "activity_type": "peer_support",
            "recorded_at_0": "2026-01-10",
            "recorded_at_1": "11:00:00",
            "participant_count": 2,
            "location": "Oslo",
            "status": "completed",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    created = Activity.objects.get(activity_id="act-admin")
    assert created.recorded_at == dt.datetime(2026, 1, 10, 10, tzinfo=UTC)  # 11:00 Oslo = 10:00 UTC
    assert live_count(snapshot) == 1


def test_admin_bulk_delete_updates_live_counts(admin_user, client_for, org, both):
    snapshot = CountSnapshot.objects.create(
        org=org,
        range_start=dt.datetime(2026, 1, 1, tzinfo=UTC),
        range_end=dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC),
        snapshot_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
        record_count=1,
    )
    mine, _ = both
    response = client_for(admin_user).post(
        reverse("admin:activities_activity_changelist"),
        {"action": "delete_selected", "_selected_action": [mine.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Activity.objects.filter(pk=mine.pk).exists()
    assert live_count(snapshot) == 0


@pytest.mark.parametrize(
    "list_name",
    [
        "admin:activities_activity_changelist",
        "admin:aggregations_aggregationsnapshot_changelist",
        "admin:aggregations_submittedperiod_changelist",
        "admin:record_counts_countsnapshot_changelist",
    ],
)
def test_organisation_filter_lists_only_the_coordinators_organisations(coordinator_client, org, other_org, list_name):
    # With one organisation Django hides the filter; a second one shows it.
    second = Organization.objects.create(org_id="org-bufdir-8", name="Second Of Theirs")
    second.coordinators.add(*org.coordinators.all())
    html = coordinator_client.get(reverse(list_name)).content.decode()
    assert f"?org__id__exact={org.pk}" in html
    assert f"?org__id__exact={second.pk}" in html
    assert f"?org__id__exact={other_org.pk}" not in html
    assert other_org.name not in html


def test_superuser_filter_lists_every_organisation(admin_user, client_for, org, other_org):
    html = client_for(admin_user).get(reverse("admin:activities_activity_changelist")).content.decode()
    assert f"?org__id__exact={org.pk}" in html
    assert f"?org__id__exact={other_org.pk}" in html
