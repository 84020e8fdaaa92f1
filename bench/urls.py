"""The project's URLs plus bare views: the same rows with ``.values()`` and no DRF.

They are the floor the API's read throughput is measured against (figure 2).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from activities.models import Activity
from aggregations.models import AggregationSnapshot
from bufdir_project.urls import urlpatterns as project_urlpatterns
from lib.timeranges import parse_range

SNAPSHOT_FIELDS = ("id", "org__org_id", "range_start", "range_end", "activity_count", "snapshot_at")
ACTIVITY_FIELDS = (
    "activity_id",
    "org__org_id",
    "activity_type",
    "recorded_at",
    "participant_count",
    "location",
    "status",
)


def bare_snapshot(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(AggregationSnapshot.objects.values(*SNAPSHOT_FIELDS).get(pk=pk))


def bare_snapshots(request: HttpRequest) -> JsonResponse:
    limit = int(request.GET.get("limit", 20))
    rows = list(AggregationSnapshot.objects.order_by("-snapshot_at", "-id").values(*SNAPSHOT_FIELDS)[:limit])
    return JsonResponse({"data": rows, "total": AggregationSnapshot.objects.count()})


def bare_activities(request: HttpRequest) -> JsonResponse:
    time_range = parse_range(request.GET["start"], request.GET["end"])
    qs = Activity.objects.filter(org__org_id=request.GET["org_id"]).in_range(time_range)
    rows = list(
        qs.order_by("recorded_at", "activity_id").values(*ACTIVITY_FIELDS)[: int(request.GET.get("limit", 100))]
    )
    return JsonResponse({"data": rows, "total": qs.count()})


urlpatterns = [
    path("bare/snapshots/<int:pk>", bare_snapshot),
    path("bare/snapshots", bare_snapshots),
    path("bare/activities", bare_activities),
    *project_urlpatterns,
]
