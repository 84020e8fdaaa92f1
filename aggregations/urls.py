from django.urls import re_path

from aggregations.views import (
    AggregationSnapshotAliasViewSet,
    AggregationSnapshotViewSet,
    SubmittedPeriodEvidenceView,
    SubmittedPeriodViewSet,
)
from lib.api.views import api_router

BASE = "api/v1/bufdir-aggregations"

router = api_router()
router.register(BASE, AggregationSnapshotViewSet, basename="aggregation-snapshot")
# The contract prints every path with its base twice; a client generated from it calls
# those literally, so they answer exactly like the canonical paths (kept out of the schema).
router.register(f"{BASE}/{BASE}", AggregationSnapshotAliasViewSet, basename="aggregation-snapshot-alias")
router.register("api/v1/submitted-periods", SubmittedPeriodViewSet, basename="submitted-period")

urlpatterns = [
    # With and without a trailing slash, like every API route (lib.api.views.api_router).
    re_path(
        r"^api/v1/submitted-periods/(?P<id>[^/]+)/evidence/?$",
        SubmittedPeriodEvidenceView.as_view(),
        name="submitted-period-evidence",
    ),
    *router.urls,
]
