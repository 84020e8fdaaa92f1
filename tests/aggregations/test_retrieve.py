"""GET /{id}: one snapshot by its public id."""

from __future__ import annotations

from lib.api.ids import AGG_SNAPSHOT_ID
from tests.aggregations.conftest import URL


def test_retrieve_returns_the_stored_snapshot(api, snapshot):
    response = api.get(f"{URL}/{snapshot.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == snapshot.public_id
    assert (body["org_id"], body["activity_count"], body["participant_total"]) == ("org-bufdir-42", 3, 7)
    assert body["by_status"] == {"cancelled": 1, "completed": 1, "planned": 1}


def test_retrieve_does_not_recount(api, org, snapshot, make_activity):
    make_activity(org, "2026-02-15T00:00:00Z")
    assert api.get(f"{URL}/{snapshot.public_id}").json()["activity_count"] == 3


def test_retrieve_an_absent_snapshot_is_a_404(api, snapshot):
    missing = AGG_SNAPSHOT_ID.format(snapshot.pk + 1)  # well-formed, not there
    response = api.get(f"{URL}/{missing}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_activities_is_never_taken_for_an_id(api, org, snapshot):
    # The custom routes come before /{id}: these answer as their own endpoints.
    assert api.get(f"{URL}/activities").json()["errors"].keys() >= {"org_id", "start", "end"}
    assert "org_id" in api.get(f"{URL}/last-submitted-period").json()["errors"]
    assert api.delete(f"{URL}/activities").status_code == 405
