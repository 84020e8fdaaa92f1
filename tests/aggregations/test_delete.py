"""DELETE /{id}: 200 with {"deleted": true, "id"}, then 404."""

from __future__ import annotations

from aggregations.models import AggregationSnapshot
from tests.aggregations.conftest import URL


def test_delete_answers_with_the_id_then_404(api, snapshot):
    response = api.delete(f"{URL}/{snapshot.public_id}")
    assert response.status_code == 200
    assert response.json() == {"deleted": True, "id": snapshot.public_id}
    assert not AggregationSnapshot.objects.exists()
    assert api.delete(f"{URL}/{snapshot.public_id}").status_code == 404
    assert api.get(f"{URL}/{snapshot.public_id}").status_code == 404


def test_delete_removes_only_that_snapshot(api, org, snapshot):
    other = api.post(URL, {"org_id": org.org_id, "range": {"start": "2026-01-01", "end": "2026-01-02"}}, format="json")
    api.delete(f"{URL}/{snapshot.public_id}")
    assert [s.public_id for s in AggregationSnapshot.objects.all()] == [other.json()["id"]]
