from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import formats
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from activities.admin_scope import OrgScopedAdminMixin
from aggregations import services
from aggregations.models import PERIOD_ORDER_MESSAGE, AggregationSnapshot, SubmittedPeriod
from aggregations.selectors import overlapping_period, periods_current_counts
from lib.admin_lists import EstimatedCountPaginator
from lib.admin_window import WindowSafeAdminMixin, outside_note
from lib.timeranges import RangeError, check_date, in_window


@admin.register(AggregationSnapshot)
class AggregationSnapshotAdmin(WindowSafeAdminMixin, OrgScopedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "org", "range_start", "range_end", "activity_count", "participant_total", "snapshot_at"]
    list_select_related = ["org"]
    list_filter = ["org"]
    search_fields = ["=org__org_id", "org__name"]
    autocomplete_fields = ["org"]
    date_hierarchy = "snapshot_at"
    readonly_fields = ["activity_count", "participant_total", "by_activity_type", "by_status", "snapshot_at"]
    actions = ["reaggregate_selected"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_reaggregate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("aggregations.reaggregate_aggregationsnapshot")

    @admin.action(description=_("Re-aggregate selected snapshots"), permissions=["reaggregate"])
    def reaggregate_selected(self, request: HttpRequest, queryset: QuerySet[AggregationSnapshot]) -> None:
        result = services.snapshots_reaggregate(snapshots=queryset.select_related("org"))
        level = messages.ERROR if result.failed else messages.SUCCESS
        message = ngettext(
            "Re-aggregated %(checked)s snapshot: %(changed)s changed, %(failed)s failed.",
            "Re-aggregated %(checked)s snapshots: %(changed)s changed, %(failed)s failed.",
            result.checked,
        ) % {
            "checked": formats.number_format(result.checked),
            "changed": formats.number_format(result.changed),
            "failed": formats.number_format(result.failed),
        }
        self.message_user(request, message, level)


class SubmitPeriodForm(forms.ModelForm):
    """What a coordinator enters; the count, time and submitter are set by the service."""

    class Meta:
        model = SubmittedPeriod
        fields = ["org", "period_start", "period_end"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end, org = data.get("period_start"), data.get("period_end"), data.get("org")
        for name, day in (("period_start", start), ("period_end", end)):
            try:
                if day:
                    check_date(day)
            except RangeError:
                self.add_error(name, outside_note(str(formats.localize(day))))
                return data
        if start and end and start > end:
            # On the field, so that the model's constraint (the same rule, same message)
            # is not checked again and the message is not shown twice.
            self.add_error("period_end", PERIOD_ORDER_MESSAGE)
            return data
        if org and start and end:
            clash = overlapping_period(org=org, first_day=start, last_day=end)
            if clash is not None:
                raise forms.ValidationError(
                    gettext("Overlaps %(period)s (%(start)s to %(end)s), already submitted.")
                    % {
                        "period": clash,
                        "start": formats.localize(clash.period_start),
                        "end": formats.localize(clash.period_end),
                    }
                )
        return data


@admin.register(SubmittedPeriod)
class SubmittedPeriodAdmin(WindowSafeAdminMixin, OrgScopedAdminMixin, admin.ModelAdmin):
    form = SubmitPeriodForm
    list_display = [
        "__str__",
        "org",
        "period_start",
        "period_end",
        "activity_count",
        "drift",
        "submitted_at",
        "submitted_by",
    ]
    list_select_related = ["org"]
    list_filter = ["org"]
    list_per_page = 50
    search_fields = ["=org__org_id", "org__name", "submitted_by"]
    autocomplete_fields = ["org"]
    date_hierarchy = "period_end"
    readonly_fields = ["activity_count", "drift", "submitted_at", "submitted_by"]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # a submitted period is a record of what was sent to Bufdir

    def get_fields(self, request: HttpRequest, obj: SubmittedPeriod | None = None) -> Any:
        if obj is None:
            return ["org", "period_start", "period_end"]
        return ["org", "period_start", "period_end", "activity_count", "drift", "submitted_at", "submitted_by"]

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        # The drift column needs today's count of every listed period: fetch them for the
        # whole page at once (one query per organisation), not one count per row.
        changelist = super().get_changelist_instance(request)
        counts = periods_current_counts(periods=changelist.result_list)
        for period in changelist.result_list:
            period.current_count = counts.get(period.pk)
        return changelist

    @admin.display(description=_("Now (drift)"))
    def drift(self, obj: SubmittedPeriod) -> str:
        if not (in_window(obj.period_start) and in_window(obj.period_end)):
            return gettext("none: the period lies %(outside)s") % {"outside": outside_note()}
        current, difference = services.period_drift(period=obj, current=getattr(obj, "current_count", None))
        if difference == 0:
            return gettext("%(current)s (no drift)") % {"current": formats.number_format(current)}
        return gettext("%(current)s (DRIFTED %(difference)s since submission)") % {
            "current": formats.number_format(current),
            "difference": f"{difference:+d}",
        }

    def save_model(self, request: HttpRequest, obj: SubmittedPeriod, form: forms.ModelForm, change: bool) -> None:
        try:
            saved = services.period_submit(
                org=obj.org,
                period_start=obj.period_start,
                period_end=obj.period_end,
                submitted_by=request.user.get_username(),
            )
        except services.PeriodOverlap as exc:  # lost a race with another submission
            raise ValidationError(str(exc)) from None
        obj.pk = saved.pk
        obj.activity_count = saved.activity_count
        obj.submitted_at = saved.submitted_at
        obj.submitted_by = saved.submitted_by
