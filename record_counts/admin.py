from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from activities.admin_scope import OrgScopedAdminMixin
from lib.admin_lists import EstimatedCountPaginator
from lib.admin_window import WindowSafeAdminMixin
from record_counts.models import CountSnapshot
from record_counts.selectors import with_live_counts
from record_counts.services import count_snapshots_refresh


class LiveCountChangeList(ChangeList):
    """The page's snapshots carry live counts: one counting query per organisation shown."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = with_live_counts(list(self.result_list))


@admin.register(CountSnapshot)
class CountSnapshotAdmin(WindowSafeAdminMixin, OrgScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "org", "range_start", "range_end", "record_count", "snapshot_at"]
    list_select_related = ["org"]
    list_filter = ["org"]
    search_fields = ["=org__org_id", "org__name"]
    autocomplete_fields = ["org"]
    date_hierarchy = "snapshot_at"
    readonly_fields = ["record_count", "snapshot_at"]  # live: counted when the page is shown
    actions = ["refresh_selected"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return LiveCountChangeList

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        return None if obj is None else with_live_counts([obj])[0]

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("record_counts.refresh_countsnapshot")

    @admin.action(description=_("Refresh selected (exact recount)"), permissions=["refresh"])
    def refresh_selected(self, request: HttpRequest, queryset: QuerySet[CountSnapshot]) -> None:
        checked, changed, failed = count_snapshots_refresh(snapshots=queryset)
        level = messages.ERROR if failed else messages.SUCCESS
        message = ngettext(
            "Refreshed %(checked)s count snapshot: %(changed)s changed, %(failed)s failed.",
            "Refreshed %(checked)s count snapshots: %(changed)s changed, %(failed)s failed.",
            checked,
        ) % {
            "checked": formats.number_format(checked),
            "changed": formats.number_format(changed),
            "failed": formats.number_format(failed),
        }
        self.message_user(request, message, level)
