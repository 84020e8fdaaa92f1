from django.urls import path

from lib.api.views import api_router
from record_counts.stream import count_stream
from record_counts.views import CountSnapshotAliasViewSet, CountSnapshotViewSet

BASE = "api/v1/period-record-counts"

router = api_router()
router.register(BASE, CountSnapshotViewSet, basename="count-snapshot")
# The contract prints every path with its base twice; those answer like the canonical ones.
router.register(f"{BASE}/{BASE}", CountSnapshotAliasViewSet, basename="count-snapshot-alias")

urlpatterns = [
    # Before the router: "stream" must never be taken for a snapshot id.
    path(f"{BASE}/stream", count_stream, name="count-stream"),
    path(f"{BASE}/stream/", count_stream),
    path(f"{BASE}/{BASE}/stream", count_stream),
    path(f"{BASE}/{BASE}/stream/", count_stream),
    *router.urls,
]
