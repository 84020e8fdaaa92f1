from django.contrib import admin

from aggregations.models import AggregationSnapshot, SubmittedPeriod


@admin.register(AggregationSnapshot)
class AggregationSnapshotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "org", "range_start", "range_end", "activity_count", "snapshot_at"]
    list_select_related = ["org"]
    list_filter = ["org"]
    search_fields = ["org__org_id", "org__name"]
    raw_id_fields = ["org"]
    readonly_fields = ["activity_count", "participant_total", "by_activity_type", "by_status", "snapshot_at"]


@admin.register(SubmittedPeriod)
class SubmittedPeriodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "org", "period_start", "period_end", "activity_count", "submitted_at", "submitted_by"]
    list_select_related = ["org"]
    list_filter = ["org"]
    search_fields = ["org__org_id", "org__name", "submitted_by"]
    raw_id_fields = ["org"]
