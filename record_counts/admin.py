from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from activities.admin_scope import OrgScopedAdminMixin
from lib.admin_lists import EstimatedCountPaginator
from record_counts.models import CountSnapshot
from record_counts.services import count_snapshots_refresh


@admin.register(CountSnapshot)
class CountSnapshotAdmin(OrgScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "org", "range_start", "range_end", "record_count", "snapshot_at"]
    list_select_related = ["org"]
    list_filter = ["org"]
    search_fields = ["=org__org_id", "org__name"]
    autocomplete_fields = ["org"]
    date_hierarchy = "snapshot_at"
    readonly_fields = ["record_count", "snapshot_at"]
    actions = ["refresh_selected"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("record_counts.refresh_countsnapshot")

    @admin.action(description="Refresh selected (exact recount)", permissions=["refresh"])
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[CountSnapshot]) -> None:
        checked, changed, failed = count_snapshots_refresh(snapshots=queryset)
        level = messages.ERROR if failed else messages.SUCCESS
        self.message_user(request, f"Refreshed {checked} count snapshot(s): {changed} changed, {failed} failed.", level)
