"""Optional: the stream through Pushpin (a GRIP proxy) used as a streaming reverse proxy."""

from __future__ import annotations

import shutil

import httpx
import pytest

from activities.models import Activity, Organization
from tests.record_counts.server import PushpinProxy, SSEReader

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("pushpin") and shutil.which("zurl")), reason="needs pushpin and zurl (apt install pushpin)"
    ),
]


@pytest.fixture
def pushpin(daphne_server, tmp_path):
    proxy = PushpinProxy(daphne_server.port, tmp_path)
    yield proxy
    proxy.stop()


def test_counts_stream_through_pushpin_unbuffered(pushpin):
    org = Organization.objects.create(org_id="org-pp", name="Pushpin")
    Activity.objects.create(org=org, activity_type="t", recorded_at="2026-02-02T00:00:00Z")
    params = {"org_id": "org-pp", "start": "2026-01-01", "end": "2026-12-31"}
    reader = SSEReader(pushpin.url + "/api/v1/period-record-counts/stream", params)
    try:
        assert reader.opened.wait(10) and reader.status == 200
        assert reader.next(timeout=5)["record_count"] == 1
        body = {"org_id": "org-pp", "activity_type": "t", "recorded_at": "2026-03-03T00:00:00Z"}
        assert httpx.post(pushpin.url + "/api/v1/activities", json=body, timeout=10).status_code == 201
        assert reader.next(timeout=2)["record_count"] == 2
    finally:
        reader.close()
