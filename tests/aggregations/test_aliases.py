"""The contract's doubled paths answer exactly like the canonical ones, outside the schema."""

from __future__ import annotations

import pytest
import time_machine

from aggregations.models import AggregationSnapshot, SubmittedPeriod
from tests.aggregations.conftest import Q1, URL

ALIAS = URL + URL
NOW = "2026-04-02T09:30:00Z"


def same(canonical, alias):
    assert alias.status_code == canonical.status_code
    assert alias["Content-Type"] == canonical["Content-Type"]
    assert alias.json() == canonical.json()


@pytest.mark.parametrize("suffix", ["", "/"])
def test_reads_answer_identically(api, org, snapshot, suffix):
    sid = snapshot.public_id
    q = {"org_id": org.org_id, "start": Q1["start"], "end": Q1["end"], "limit": 2}
    same(api.get(URL + suffix), api.get(ALIAS + suffix))
    same(api.get(URL, {"org_id": org.org_id}), api.get(ALIAS, {"org_id": org.org_id}))
    same(api.get(f"{URL}/{sid}{suffix}"), api.get(f"{ALIAS}/{sid}{suffix}"))
    same(api.get(f"{URL}/activities{suffix}", q), api.get(f"{ALIAS}/activities{suffix}", q))
    lsp = {"org_id": org.org_id}
    same(api.get(f"{URL}/last-submitted-period", lsp), api.get(f"{ALIAS}/last-submitted-period", lsp))  # 404
    SubmittedPeriod.objects.create(
        org=org,
        period_start="2026-01-01",
        period_end="2026-01-31",
        submitted_at="2026-02-01T00:00:00Z",
        submitted_by="u",
        activity_count=1,
    )
    same(api.get(f"{URL}/last-submitted-period", lsp), api.get(f"{ALIAS}/last-submitted-period", lsp))


@time_machine.travel(NOW, tick=False)
def test_writes_answer_identically(api, org, q1_activities):
    body = {"org_id": org.org_id, "range": Q1}
    canonical, alias = api.post(URL, body, format="json"), api.post(ALIAS, body, format="json")
    assert (canonical.status_code, alias.status_code) == (201, 201)
    c, a = canonical.json(), alias.json()
    assert {**a, "id": c["id"]} == c  # only the new id differs
    # Location names the canonical resource whichever path created it.
    assert alias["Location"] == f"{URL}/{a['id']}"

    same(api.put(f"{URL}/{c['id']}"), api.put(f"{ALIAS}/{c['id']}"))
    same(
        api.put(f"{URL}/{c['id']}", {"range": Q1}, format="json"),
        api.put(f"{ALIAS}/{c['id']}", {"range": Q1}, format="json"),
    )

    deleted_alias = api.delete(f"{ALIAS}/{a['id']}")
    assert deleted_alias.json() == {"deleted": True, "id": a["id"]}
    deleted = api.delete(f"{URL}/{c['id']}")
    assert deleted.json() == {"deleted": True, "id": c["id"]}
    assert not AggregationSnapshot.objects.exists()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "", {"org_id": "org-nope", "range": Q1}),
        ("post", "", {"org_id": "org-bufdir-42", "range": {"start": Q1["end"], "end": Q1["start"]}}),
        ("get", "/agg-snap-xyz", None),
        ("put", "/agg-snap-999", None),
        ("delete", "/count-snapshot-001", None),
        ("patch", "", {}),
        ("get", "/activities", None),
        ("get", "?page=0", None),
    ],
)
def test_errors_answer_identically(api, org, method, path, data):
    kwargs = {"format": "json"} if data is not None else {}
    args = (data,) if data is not None else ()
    canonical = getattr(api, method)(URL + path, *args, **kwargs)
    alias = getattr(api, method)(ALIAS + path, *args, **kwargs)
    assert canonical.status_code >= 400
    same(canonical, alias)
    assert not AggregationSnapshot.objects.exists()


def test_alias_paths_are_not_in_the_schema(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    # The router serves both spellings; the schema renders its optional slash as "/".
    paths = {p.rstrip("/") for p in schema["paths"]}
    assert {
        "/api/v1/bufdir-aggregations",
        "/api/v1/bufdir-aggregations/{id}",
        "/api/v1/bufdir-aggregations/activities",
        "/api/v1/bufdir-aggregations/last-submitted-period",
    } <= paths
    assert not any(p.count("bufdir-aggregations") > 1 for p in paths)
