from django.contrib import admin

from activities.models import Activity, Organization


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["org_id", "name"]
    search_fields = ["org_id", "name"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["activity_id", "org", "activity_type", "recorded_at", "status", "participant_count", "location"]
    list_filter = ["status", "activity_type"]
    list_select_related = ["org"]
    search_fields = ["activity_id", "org__org_id", "location"]
    raw_id_fields = ["org"]
    date_hierarchy = "recorded_at"
    # No count(*) over the whole table on each page view.
    show_full_result_count = False
