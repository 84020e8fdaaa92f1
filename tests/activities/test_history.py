"""The history of every change: written on every path (API, admin, import job, command,
bulk delete, a move), put down to the right actor, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from activities import importing, services
from activities.history import acting_as
from activities.models import Activity, ActivityEvent, ImportJob
from api_keys.services import api_key_create
from tests.activities._jobs import upload

UTC = dt.UTC
URL = "/api/v1/activities"
TOKEN_MODE = {"API_ACCESS": "token", "API_READ_ACCESS": "public"}


def events(activity_id: str | None = None) -> list[tuple[str, str, dict]]:
    qs = ActivityEvent.objects.order_by("at", "pk")
    if activity_id is not None:
        qs = qs.filter(activity_id=activity_id)
    return [(e.action, e.actor_label, e.changes) for e in qs]


def payload(org, **overrides):
    data = {
        "org_id": org.org_id,
        "activity_type": "peer_support",
        "recorded_at": "2026-01-15T10:30:00Z",
        "participant_count": 4,
    }
    data.update(overrides)
    return data


CREATED: dict = {}  # a create records no values: the activity, and every later change, hold them


# --- the API ---------------------------------------------------------------------------


@override_settings(**TOKEN_MODE)
def test_api_key_changes_are_put_down_to_the_key_by_name(api, org, other_org):
    _, raw = api_key_create(name="Oslo office sync", org_ids=[org.org_id, other_org.org_id])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.post(URL, payload(org, activity_id="act-1"), format="json").status_code == 201
    assert api.patch(f"{URL}/act-1", {"participant_count": 6, "in_person": True}, format="json").status_code == 200
    assert api.put(f"{URL}/act-1", payload(other_org, participant_count=6), format="json").status_code == 200
    assert api.delete(f"{URL}/act-1").status_code == 200
    label = "API key Oslo office sync"
    assert events("act-1") == [
        ("create", label, CREATED),
        ("change", label, {"participant_count": [4, 6], "in_person": [None, True]}),
        ("move", label, {"org": ["org-bufdir-42", "org-bufdir-7"], "in_person": [True, None]}),
        (
            "delete",
            label,
            {
                "org": ["org-bufdir-7", None],
                "activity_type": ["peer_support", None],
                "recorded_at": ["2026-01-15T10:30:00Z", None],
                "participant_count": [6, None],
                "location": ["", None],
                "status": ["completed", None],
            },
        ),
    ]
    assert ActivityEvent.objects.filter(actor__isnull=False).count() == 0  # a key is no user


def test_a_signed_in_users_api_changes_are_put_down_to_the_user(api, org, admin_user):
    api.force_login(admin_user)  # a session cookie: request.user of the site, not a key
    api.post(URL, payload(org, activity_id="act-1"), format="json")
    api.patch(f"{URL}/act-1", {"location": "Bergen"}, format="json")
    api.put(f"{URL}/act-1", payload(org, location="Bergen", status="planned"), format="json")
    api.delete(f"{URL}/act-1")
    assert [(a, who) for a, who, _ in events("act-1")] == [
        ("create", "admin (API)"),
        ("change", "admin (API)"),
        ("change", "admin (API)"),
        ("delete", "admin (API)"),
    ]
    assert set(ActivityEvent.objects.values_list("actor", flat=True)) == {admin_user.pk}


def test_public_mode_without_a_user_says_so(api, org):
    api.post(URL, payload(org, activity_id="act-1"), format="json")
    assert events("act-1")[0][:2] == ("create", "API, no key")


def test_a_bulk_create_records_one_event_per_activity(api, org):
    body = [payload(org, activity_id=f"act-{n}") for n in range(3)]
    assert api.post(URL, body, format="json").status_code == 201
    assert sorted(e.activity_id for e in ActivityEvent.objects.all()) == ["act-0", "act-1", "act-2"]


def test_a_change_to_the_same_values_records_nothing(api, org, make_activity):
    make_activity(org, "2026-01-15T10:30:00Z", activity_id="act-1", participant_count=4)
    assert api.patch(f"{URL}/act-1", {"participant_count": 4}, format="json").status_code == 200
    assert [a for a, _, _ in events("act-1")] == ["create"]


def test_a_failed_write_records_nothing(api, org, make_activity):
    make_activity(org, "2026-01-15T10:30:00Z", activity_id="act-1")
    assert api.post(URL, payload(org, activity_id="act-1"), format="json").status_code == 400
    assert api.patch(f"{URL}/act-1", {"duration_minutes": 2000}, format="json").status_code == 400
    assert [a for a, _, _ in events("act-1")] == ["create"]


# --- admin -----------------------------------------------------------------------------


@pytest.fixture
def admin_en(admin_user, client_for):
    client = client_for(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def admin_form(org, **overrides):
    data = {
        "activity_id": "act-admin",
        "org": org.pk,
        "activity_type": "peer_support",
        "recorded_at_0": "2026-01-10",
        "recorded_at_1": "11:00:00",
        "participant_count": 2,
        "location": "Oslo",
        "status": "completed",
        "duration_minutes": "",
        "in_person": "unknown",
    }
    data.update(overrides)
    return data


def test_admin_add_change_and_delete_are_put_down_to_the_user(admin_en, admin_user, org, other_org):
    assert admin_en.post(reverse("admin:activities_activity_add"), admin_form(org)).status_code == 302
    activity = Activity.objects.get(activity_id="act-admin")
    change_url = reverse("admin:activities_activity_change", args=[activity.pk])
    changed = admin_form(other_org, participant_count=3, duration_minutes="60")
    assert admin_en.post(change_url, changed).status_code == 302
    delete_url = reverse("admin:activities_activity_delete", args=[activity.pk])
    assert admin_en.post(delete_url, {"post": "yes"}).status_code == 302
    assert [(a, who) for a, who, _ in events("act-admin")] == [
        ("create", "admin"),
        ("move", "admin"),
        ("delete", "admin"),
    ]
    move = ActivityEvent.objects.get(action="move")
    assert move.changes == {
        "org": ["org-bufdir-42", "org-bufdir-7"],
        "participant_count": [2, 3],
        "duration_minutes": [None, 60],
    }
    assert (move.org_id, move.old_org_id, move.actor_id) == (other_org.pk, org.pk, admin_user.pk)


def test_admin_bulk_delete_records_each_activity(admin_en, org, make_activity):
    made = [make_activity(org, "2026-01-10T10:00:00Z", activity_id=f"act-{n}") for n in range(3)]
    response = admin_en.post(
        reverse("admin:activities_activity_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in made], "post": "yes"},
    )
    assert response.status_code == 302
    deleted = ActivityEvent.objects.filter(action="delete").order_by("activity_id")
    assert [(e.activity_id, e.actor_label, e.old_org_id) for e in deleted] == [
        ("act-0", "admin", org.pk),
        ("act-1", "admin", org.pk),
        ("act-2", "admin", org.pk),
    ]


def test_the_change_page_shows_the_history(admin_en, org, make_activity):
    activity = make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-1", participant_count=1)
    with acting_as("API key Oslo office sync"):
        services.activity_update(activity=activity, changes={"participant_count": 5, "in_person": True})
    html = admin_en.get(reverse("admin:activities_activity_change", args=[activity.pk])).content.decode()
    assert 'class="activity-history"' in html
    assert "API key Oslo office sync" in html
    assert "participants: 1 → 5" in html
    assert "held in person: unknown → yes" in html
    assert "created" in html


def test_the_change_page_history_is_in_norwegian(admin_user, client_for, org, make_activity):
    activity = make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-1", participant_count=1)
    services.activity_update(activity=activity, changes={"in_person": False})
    html = client_for(admin_user).get(reverse("admin:activities_activity_change", args=[activity.pk])).content
    text = html.decode()
    assert "Historikk" in text
    assert "Hva ble endret" in text
    assert "ukjent → nei" in text


# --- the importer ----------------------------------------------------------------------

HEADER = "activity_id,org_id,activity_type,recorded_at,participant_count,location,status,in_person\n"
ROWS = (
    "act-1,org-bufdir-42,peer_support,2026-01-15T10:30:00Z,4,Oslo,completed,ja\n"
    "act-2,org-bufdir-42,peer_support,2026-01-16T10:30:00Z,2,Oslo,completed,\n"
)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(importing, "BATCH_SIZE", 1)  # several batches: every one records


def test_import_job_records_creates_and_updates_as_the_uploader(admin_en, admin_user, org, other_org, small_batches):
    upload(admin_en, HEADER + ROWS)
    first = ImportJob.objects.get()
    changed = ROWS.replace("4,Oslo,completed,ja", "5,Oslo,completed,ja").replace(
        "act-2,org-bufdir-42", "act-2,org-bufdir-7"
    )
    upload(admin_en, HEADER + changed)
    second = ImportJob.objects.exclude(pk=first.pk).get()
    assert events() == [
        ("create", f"import #{first.pk} by admin", CREATED),
        ("create", f"import #{first.pk} by admin", CREATED),
        ("change", f"import #{second.pk} by admin", {"participant_count": [4, 5]}),
        ("move", f"import #{second.pk} by admin", {"org": ["org-bufdir-42", "org-bufdir-7"]}),
    ]  # fmt: skip
    assert set(ActivityEvent.objects.values_list("actor", flat=True)) == {admin_user.pk}


def test_an_unchanged_or_refused_import_records_nothing(admin_en, org):
    upload(admin_en, HEADER + ROWS)
    before = ActivityEvent.objects.count()
    upload(admin_en, HEADER + ROWS)  # unchanged
    upload(admin_en, HEADER + ROWS.replace("4,Oslo", "5,Oslo") + "act-3,nobody,x,bad,,,,\n")  # refused
    upload(admin_en, HEADER + ROWS.replace("4,Oslo", "6,Oslo"), dry_run="on")
    assert ActivityEvent.objects.count() == before == 2


def test_the_import_command_records_itself(tmp_path, org):
    path = tmp_path / "activities.csv"
    path.write_text(HEADER + ROWS)
    call_command("import_activities", str(path), stdout=StringIO(), stderr=StringIO())
    assert {who for _, who, _ in events()} == {"command import_activities activities.csv"}


def test_a_write_without_an_actor_is_put_down_to_the_system(org, make_activity):
    make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-1")
    assert events("act-1")[0][:2] == ("create", "system")


def test_acting_as_names_the_user_and_is_undone_after_the_block(org, make_activity):
    user = get_user_model().objects.create_user("kari")
    with acting_as("command reaggregate", user=user):
        make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-1")
    make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-2")
    assert [(e.actor_label, e.actor_id) for e in ActivityEvent.objects.order_by("pk")] == [
        ("command reaggregate", user.pk),
        ("system", None),
    ]


def test_a_deleted_activity_keeps_its_history(org, make_activity):
    activity = make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-1")
    services.activity_delete(activity=activity)
    assert [a for a, _, _ in events("act-1")] == ["create", "delete"]


def test_values_with_copy_control_characters_round_trip(org, make_activity):
    activity = make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-1")
    tricky = 'a\tb\\c"d\ne\rf \\N æøå'
    with acting_as("kari\\ \t ola"):
        services.activity_update(activity=activity, changes={"location": tricky})
    event = ActivityEvent.objects.get(action="change")
    assert (event.changes, event.actor_label) == ({"location": ["", tricky]}, "kari\\ \t ola")


def test_the_values_at_creation_can_be_rebuilt_from_the_later_changes(org, other_org, make_activity):
    activity = make_activity(org, "2026-01-10T10:00:00Z", activity_id="act-1", participant_count=3, location="Oslo")
    services.activity_update(activity=activity, changes={"participant_count": 5, "in_person": True})
    services.activity_update(activity=activity, changes={"org": other_org, "location": "Bergen"})
    services.activity_delete(activity=activity)
    # Walk back from the delete (which holds the last values) through every change.
    history = list(ActivityEvent.objects.filter(activity_id="act-1").order_by("-at", "-pk"))
    state = {name: old for name, (old, _) in history[0].changes.items()}
    for event in history[1:]:
        state.update({name: old for name, (old, _) in event.changes.items()})
    assert {k: v for k, v in state.items() if v is not None} == {
        "org": "org-bufdir-42",
        "activity_type": "family_guidance",
        "recorded_at": "2026-01-10T10:00:00Z",
        "participant_count": 3,
        "location": "Oslo",
        "status": "completed",
    }
