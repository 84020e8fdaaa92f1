"""The contract's doubled paths answer exactly like the canonical ones, outside the schema."""

from __future__ import annotations

from tests.aggregations.conftest import Q1, URL

ALIAS = URL + URL


def test_alias_paths_answer_like_canonical_ones(api, org, q1_activities, snapshot):
    sid = snapshot.public_id
    assert api.get(f"{ALIAS}/{sid}").json() == api.get(f"{URL}/{sid}").json()
    assert api.get(ALIAS).json() == api.get(URL).json()
    q = {"org_id": org.org_id, "start": Q1["start"], "end": Q1["end"]}
    assert api.get(f"{ALIAS}/activities", q).json() == api.get(f"{URL}/activities", q).json()
    assert api.get(f"{ALIAS}/last-submitted-period", {"org_id": org.org_id}).status_code == 404
    created = api.post(ALIAS, {"org_id": org.org_id, "range": Q1}, format="json")
    assert created.status_code == 201
    assert api.put(f"{ALIAS}/{created.json()['id']}").status_code == 200
    assert api.delete(f"{ALIAS}/{created.json()['id']}").json()["deleted"] is True


def test_alias_paths_are_not_in_the_schema(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = list(schema["paths"])
    assert any(p.startswith("/api/v1/bufdir-aggregations") for p in paths)
    assert not any("bufdir-aggregations/api/v1" in p for p in paths)
