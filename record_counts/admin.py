from django.contrib import admin

from record_counts.models import CountSnapshot


@admin.register(CountSnapshot)
class CountSnapshotAdmin(admin.ModelAdmin):
    list_display = ["__str__", "org", "range_start", "range_end", "record_count", "snapshot_at"]
    list_select_related = ["org"]
    list_filter = ["org"]
    search_fields = ["org__org_id", "org__name"]
    raw_id_fields = ["org"]
    readonly_fields = ["record_count", "snapshot_at"]
