"""Creating keys (command and admin), storing only their hash, revoking them."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from api_keys.models import ApiKey
from api_keys.services import api_key_check, api_key_create, api_keys_revoke


def test_command_prints_the_key_once_and_stores_only_its_hash(org):
    out = StringIO()
    call_command("create_api_key", "--org", org.org_id, "--name", "Import job", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get()
    assert raw.startswith(f"bfd_{key.prefix}_")
    assert key.name == "Import job"
    assert list(key.organizations.all()) == [org]
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiKey.objects.values().get())
    assert api_key_check(raw_key=raw) == key


def test_command_refuses_an_unknown_organisation(org):
    with pytest.raises(CommandError, match="unknown organisation"):
        call_command("create_api_key", "--org", "org-nope", stdout=StringIO())
    assert not ApiKey.objects.exists()


def test_command_takes_several_organisations(org, other_org):
    call_command("create_api_key", "--org", org.org_id, "--org", other_org.org_id, stdout=StringIO())
    assert set(ApiKey.objects.get().organizations.all()) == {org, other_org}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),  # wrong secret
        lambda raw: raw.replace("bfd_", "xyz_", 1),  # wrong kind
        lambda raw: "bfd_000000000000_" + raw.split("_", 2)[2],  # unknown prefix
        lambda raw: "bfd_" + "\x00" * 5 + "_x",  # garbage
        lambda raw: "",
    ],
)
def test_a_wrong_key_is_refused(org, mangle):
    _, raw = api_key_create(name="k", org_ids=[org.org_id])
    assert api_key_check(raw_key=mangle(raw)) is None


def test_a_revoked_key_is_refused(org):
    key, raw = api_key_create(name="k", org_ids=[org.org_id])
    assert api_keys_revoke(keys=[key]) == 1
    assert api_key_check(raw_key=raw) is None


def test_last_used_is_written_at_most_every_five_minutes(org, django_assert_num_queries):
    key, raw = api_key_create(name="k", org_ids=[org.org_id])
    start = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False), django_assert_num_queries(2):  # read + write last_used_at
        api_key_check(raw_key=raw)
    later = start + dt.timedelta(minutes=4)
    with time_machine.travel(later, tick=False), django_assert_num_queries(1):  # read only
        api_key_check(raw_key=raw)
    key.refresh_from_db()
    assert key.last_used_at == start


@pytest.fixture
def superuser_client(db) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-unused")
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def test_admin_add_shows_the_key_once(superuser_client, org):
    response = superuser_client.post(
        "/admin/api_keys/apikey/add/", {"name": "Oslo import", "organizations": [org.pk]}, follow=True
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    # "The new API key is ...", in Norwegian
    shown = [str(m) for m in response.context["messages"] if "Den nye API-nøkkelen er" in str(m)]
    assert len(shown) == 1
    raw = shown[0].split("Den nye API-nøkkelen er ")[1].split(" ")[0]
    assert api_key_check(raw_key=raw) == key
    change_page = superuser_client.get(f"/admin/api_keys/apikey/{key.pk}/change/")
    assert raw not in change_page.content.decode()


def test_admin_revoke_action(superuser_client, org):
    key, raw = api_key_create(name="k", org_ids=[org.org_id])
    superuser_client.post(
        "/admin/api_keys/apikey/", {"action": "revoke_selected", "_selected_action": [key.pk]}, follow=True
    )
    assert api_key_check(raw_key=raw) is None


def test_coordinators_cannot_see_api_keys(coordinator_client):
    assert coordinator_client.get("/admin/api_keys/apikey/").status_code == 403
