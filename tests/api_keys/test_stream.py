"""The stream follows the read rule: with API_READ_ACCESS=token it needs a key (or an admin
session) for that organisation, and answers 401/403 before any stream opens."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client, override_settings

from record_counts.models import CountSnapshot
from tests.api_keys.conftest import READ_TOKEN_MODE, TOKEN_MODE, bearer
from tests.api_keys.test_writes import assert_problem

STREAM = "/api/v1/period-record-counts/stream"
# The view does its database work in its own threads: the test's rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


def params(org_id: str) -> dict[str, str]:
    return {"org_id": org_id, "start": "2026-05-01T00:00:00Z", "end": "2026-05-31T23:59:59Z"}


def assert_opens(response) -> None:
    # The body is an async generator; the status and type show the stream was handed out.
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    response.close()


@pytest.fixture
def client(db) -> Client:
    return Client(SERVER_NAME="localhost")


@pytest.fixture(autouse=True)
def coordinators_group(db) -> None:
    """A data migration creates the group; a transactional test's flush removes it."""
    Group.objects.get_or_create(name="Coordinators")


@pytest.mark.parametrize("mode", [{}, TOKEN_MODE], ids=["public", "token, public reads"])
def test_stream_is_public_while_reads_are(client, org, mode):
    with override_settings(**mode):
        assert_opens(client.get(STREAM, params(org.org_id)))


@override_settings(**READ_TOKEN_MODE)
def test_stream_without_a_key_is_a_401_and_opens_nothing(client, org):
    response = client.get(STREAM, params(org.org_id))
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert not CountSnapshot.objects.exists()


@override_settings(**READ_TOKEN_MODE)
def test_stream_with_an_invalid_key_is_a_401(client, org, key):
    assert_problem(client.get(STREAM, params(org.org_id), **bearer(key + "x")), 401)


@override_settings(**READ_TOKEN_MODE)
def test_stream_of_another_organisation_is_a_403_and_opens_nothing(client, org, other_org, key):
    assert_problem(client.get(STREAM, params(other_org.org_id), **bearer(key)), 403)
    assert not CountSnapshot.objects.exists()


@override_settings(**READ_TOKEN_MODE)
def test_stream_of_the_keys_organisation_opens(client, org, key):
    assert_opens(client.get(STREAM, params(org.org_id), **bearer(key)))


@override_settings(**READ_TOKEN_MODE)
def test_bad_parameters_with_a_key_are_still_a_400(client, org, key):
    assert_problem(client.get(STREAM, {"org_id": org.org_id}, **bearer(key)), 400)


@override_settings(**READ_TOKEN_MODE)
def test_the_dashboards_admin_session_reads_its_coordinators_organisations(org, other_org, coordinator_client):
    # EventSource cannot send headers: the admin dashboard's stream relies on the session.
    assert_problem(coordinator_client.get(STREAM, params(other_org.org_id)), 403)
    assert_opens(coordinator_client.get(STREAM, params(org.org_id)))


@override_settings(**READ_TOKEN_MODE)
def test_a_non_staff_session_is_not_enough(client, org):
    user = get_user_model().objects.create_user("visitor", password="pw-unused")
    client.force_login(user)
    assert_problem(client.get(STREAM, params(org.org_id)), 401)
