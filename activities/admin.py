from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activities import fields, services
from activities.admin_import import import_view
from activities.admin_jobs import ImportJobAdmin  # noqa: F401 (registers the import jobs' admin)
from activities.admin_scope import OrgScopedAdminMixin, ScopedOrganizationAdminMixin
from activities.history import TRACKED, acting_as, events_of, user_label
from activities.models import Activity, ActivityEvent, Organization
from lib.admin_lists import CachedValuesFilter, EstimatedCountPaginator
from lib.admin_window import WindowSafeAdminMixin, outside_note

EDITABLE = (
    "org",
    "activity_type",
    "recorded_at",
    "participant_count",
    "location",
    "status",
    "duration_minutes",
    "in_person",
)


class OrganizationForm(ModelForm):
    """The organisation number checked by its check digit (activities.fields), stored as nine digits."""

    # Wider than the column: "974 760 673" (with spaces) is stored as its nine digits.
    org_number = forms.CharField(
        label=_("organisation number"),
        max_length=20,
        required=False,
        help_text=_("Organisasjonsnummer, nine digits."),
    )

    class Meta:
        model = Organization
        fields = ["org_id", "name", "org_number", "coordinators"]

    def clean_org_number(self) -> str:
        try:
            return fields.clean_org_number(self.cleaned_data.get("org_number"))
        except fields.FieldProblem:
            raise forms.ValidationError(
                gettext("Not a valid organisation number: nine digits with a correct check digit, e.g. 974 760 673.")
            ) from None


@admin.register(Organization)
class OrganizationAdmin(ScopedOrganizationAdminMixin, admin.ModelAdmin):
    form = OrganizationForm
    list_display = ["org_id", "name", "org_number", "report_link"]
    search_fields = ["org_id", "name", "=org_number"]
    filter_horizontal = ["coordinators"]

    @admin.display(description=_("Report"))
    def report_link(self, obj: Organization) -> str:
        # By URL name: the report page lives in the reports app, above this one.
        return format_html('<a href="{}">{}</a>', reverse("org-report", args=[obj.org_id]), gettext("Open report"))


class ActivityForm(ModelForm):
    """Admin's activity form: the rules of activities.fields, as in the API and importer."""

    class Meta:
        model = Activity
        fields = ["activity_id", *EDITABLE]

    def _checked(self, name: str) -> Any:
        value = self.cleaned_data.get(name)
        try:
            return fields.CLEANERS[name](value)
        except fields.FieldProblem:
            # The rule's own message is the API's (English); admin says it in its language.
            raise forms.ValidationError(self._problem(name, value)) from None

    @staticmethod
    def _problem(name: str, value: Any) -> str:
        if name == "recorded_at":
            shown = formats.localize(value) if value is not None else ""
            return outside_note(str(shown))
        if name == "activity_type":
            return gettext("Letters, digits, _ and - only, at most %(max)s characters.") % {"max": fields.ID_MAX_LENGTH}
        if name == "participant_count":
            return gettext("A whole number from 0 to %(max)s.") % {
                "max": formats.number_format(fields.MAX_PARTICIPANTS)
            }
        if name == "location":
            return gettext("At most %(max)s characters.") % {"max": fields.LOCATION_MAX_LENGTH}
        if name == "duration_minutes":
            return gettext("Whole minutes from 0 to %(max)s (24 hours), or empty for unknown.") % {
                "max": formats.number_format(fields.MAX_DURATION_MINUTES)
            }
        if name == "in_person":
            return gettext("Choose yes, no or unknown.")
        return gettext("Choose planned, completed or cancelled.")

    def clean_activity_type(self) -> Any:
        return self._checked("activity_type")

    def clean_recorded_at(self) -> Any:
        return self._checked("recorded_at")

    def clean_participant_count(self) -> Any:
        return self._checked("participant_count")

    def clean_location(self) -> Any:
        return self._checked("location")

    def clean_status(self) -> Any:
        return self._checked("status")

    def clean_duration_minutes(self) -> Any:
        return self._checked("duration_minutes")

    def clean_in_person(self) -> Any:
        return self._checked("in_person")


HISTORY_ROWS = 100


def _changes(event: ActivityEvent) -> str:
    """``field: old → new`` per line, in the field names admin shows."""
    names = {f.name: str(f.verbose_name) for f in Activity._meta.fields}
    return format_html_join(
        mark_safe("<br>"),
        "{}: {} → {}",
        (
            (names.get(name, name), _shown(old), _shown(new))
            for name, (old, new) in sorted(event.changes.items(), key=lambda item: TRACKED.index(item[0]))
        ),
    )


def _shown(value: Any) -> str:
    if value is None:
        return gettext("unknown")
    if value is True:
        return gettext("yes")
    if value is False:
        return gettext("no")
    if isinstance(value, str) and len(value) >= 20 and value.endswith("Z") and value[4] == "-":
        try:  # an instant: shown in Norwegian time, as the form shows it
            return str(formats.localize(timezone.localtime(dt.datetime.fromisoformat(value))))
        except ValueError:
            return value
    return str(value)


@admin.register(Activity)
class ActivityAdmin(WindowSafeAdminMixin, OrgScopedAdminMixin, admin.ModelAdmin):
    form = ActivityForm
    list_display = [
        "activity_id",
        "org",
        "activity_type",
        "recorded_at",
        "status",
        "participant_count",
        "duration_minutes",
        "in_person",
        "location",
    ]
    list_filter = [
        "org",
        "status",
        "in_person",
        ("activity_type", CachedValuesFilter),
        ("location", CachedValuesFilter),
    ]
    list_select_related = ["org"]
    search_fields = ["=activity_id", "=org__org_id", "location"]
    autocomplete_fields = ["org"]
    date_hierarchy = "recorded_at"
    ordering = ["-recorded_at", "-activity_id"]
    # No count(*) over the whole table on each page view (lib/admin_lists.py).
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_ordering(self, request: HttpRequest) -> Any:
        # Across all organisations, newest entries first: the primary key's index serves
        # that. Sorting by recorded_at there would sort the whole table (~300 ms with 1M
        # rows), and an index on recorded_at alone would lure the API's range counts off
        # their covering index (tests/aggregations/test_query_plan.py). Within one
        # organisation the covering index serves recorded_at order.
        if request.user.is_superuser and not any(key.startswith("org") for key in request.GET):
            return ["-pk"]
        return self.ordering

    def get_urls(self) -> list[URLPattern]:
        return [
            path("import/", self.admin_site.admin_view(self.import_activities), name="activities_activity_import"),
            *super().get_urls(),
        ]

    def import_activities(self, request: HttpRequest) -> HttpResponse:
        return import_view(self, request)

    def get_readonly_fields(self, request: HttpRequest, obj: Activity | None = None) -> Any:
        readonly = super().get_readonly_fields(request, obj)
        return ["activity_id", *readonly, "history"] if obj is not None else readonly

    @admin.display(description=_("History"))
    def history(self, obj: Activity) -> str:
        """Every change of this activity (activities.history), newest first: when, who, what."""
        events = list(events_of(obj.activity_id).select_related("org")[:HISTORY_ROWS])
        if not events:
            return gettext("No recorded changes.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (formats.localize(timezone.localtime(e.at)), e.actor_label, e.get_action_display(), _changes(e))
                for e in events
            ),
        )
        return format_html(
            '<table class="activity-history"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            gettext("When"),
            gettext("Who"),
            gettext("What"),
            gettext("What changed"),
            rows,
        )

    # Writes go through the activities services so live counts and streams stay right.
    def save_model(self, request: HttpRequest, obj: Activity, form: ModelForm, change: bool) -> None:
        with acting_as(user_label(request.user), user=request.user):
            self._save(obj, form, change)

    def _save(self, obj: Activity, form: ModelForm, change: bool) -> None:
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
        with acting_as(user_label(request.user), user=request.user):
            services.activity_delete(activity=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Activity]) -> None:
        with acting_as(user_label(request.user), user=request.user):
            services.activities_delete(activities=queryset)
