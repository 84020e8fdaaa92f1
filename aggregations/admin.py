from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from aggregations import services
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from bufdir_project.admin_scope import OrgScopedAdminMixin


@admin.register(AggregationSnapshot)
class AggregationSnapshotAdmin(OrgScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "org", "range_start", "range_end", "activity_count", "participant_total", "snapshot_at"]
    list_select_related = ["org"]
    list_filter = ["org"]
    search_fields = ["=org__org_id", "org__name"]
    autocomplete_fields = ["org"]
    date_hierarchy = "snapshot_at"
    readonly_fields = ["activity_count", "participant_total", "by_activity_type", "by_status", "snapshot_at"]
    actions = ["reaggregate_selected"]
    show_full_result_count = False

    def has_reaggregate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("aggregations.reaggregate_aggregationsnapshot")

    @admin.action(description="Re-aggregate selected snapshots", permissions=["reaggregate"])
    def reaggregate_selected(self, request: HttpRequest, queryset: QuerySet[AggregationSnapshot]) -> None:
        result = services.snapshots_reaggregate(snapshots=queryset.select_related("org"))
        level = messages.ERROR if result.failed else messages.SUCCESS
        self.message_user(
            request,
            f"Re-aggregated {result.checked} snapshot(s): {result.changed} changed, {result.failed} failed.",
            level,
        )


@admin.register(SubmittedPeriod)
class SubmittedPeriodAdmin(OrgScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "org", "period_start", "period_end", "activity_count", "submitted_at", "submitted_by"]
    list_select_related = ["org"]
    list_filter = ["org"]
    search_fields = ["=org__org_id", "org__name", "submitted_by"]
    autocomplete_fields = ["org"]
    date_hierarchy = "period_end"
