from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from activities import services
from activities.models import Activity, Organization
from bufdir_project.admin_scope import OrgScopedAdminMixin, ScopedOrganizationAdminMixin

EDITABLE = ("org", "activity_type", "recorded_at", "participant_count", "location", "status")


@admin.register(Organization)
class OrganizationAdmin(ScopedOrganizationAdminMixin, admin.ModelAdmin):
    list_display = ["org_id", "name"]
    search_fields = ["org_id", "name"]
    filter_horizontal = ["coordinators"]


@admin.register(Activity)
class ActivityAdmin(OrgScopedAdminMixin, admin.ModelAdmin):
    list_display = ["activity_id", "org", "activity_type", "recorded_at", "status", "participant_count", "location"]
    list_filter = ["org", "status", "activity_type", "location"]
    list_select_related = ["org"]
    search_fields = ["=activity_id", "=org__org_id", "location"]
    autocomplete_fields = ["org"]
    date_hierarchy = "recorded_at"
    ordering = ["-recorded_at", "-activity_id"]
    # No count(*) over the whole table on each page view.
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Activity | None = None) -> Any:
        return ["activity_id"] if obj is not None else []

    # Writes go through the activities services so live counts and streams stay right.
    def save_model(self, request: HttpRequest, obj: Activity, form: ModelForm, change: bool) -> None:
        if change:
            changes = {name: getattr(obj, name) for name in form.changed_data if name in EDITABLE}
            saved = services.activity_update(activity=obj, changes=changes)
        else:
            saved = services.activity_create(
                data=services.ActivityData(
                    activity_id=obj.activity_id,
                    **{name: getattr(obj, name) for name in EDITABLE},
                )
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: Activity) -> None:
        services.activity_delete(activity=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Activity]) -> None:
        services.activities_delete(activities=queryset)
