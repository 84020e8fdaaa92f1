"""Grant schemes in admin: administrators (superusers) manage them, coordinators read them.

The scheme's form carries its current rules; saving changed rules makes a new version
(``schemes.services.scheme_rules_set``). Every version stays listed, read-only, below.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Max, Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from activities.fields import MAX_DURATION_MINUTES, SLUG_RE
from activities.models import Activity
from schemes.models import GrantScheme, SchemeVersion
from schemes.rules import DEFAULT_STATUSES, rule_problems
from schemes.services import RULE_FIELDS, scheme_rules_set


class GrantSchemeForm(forms.ModelForm):
    """The scheme and its current rules, in one form."""

    statuses = forms.MultipleChoiceField(
        label=_("Statuses counted"),
        choices=Activity.Status.choices,
        initial=list(DEFAULT_STATUSES),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    activity_types = forms.CharField(
        label=_("Activity types counted"),
        required=False,
        help_text=_("Comma-separated, e.g. peer_support, group_session. Empty: every type counts."),
    )
    min_participants = forms.IntegerField(label=_("Minimum participants"), initial=0, required=False)
    min_duration_minutes = forms.IntegerField(
        label=_("Minimum duration (minutes)"),
        initial=0,
        required=False,
        help_text=_("0: no minimum. An activity whose duration is unknown does not count when there is one."),
    )
    in_person_required = forms.BooleanField(
        label=_("Held in person required"),
        required=False,
        help_text=_("An activity not known to be in person does not count."),
    )
    one_per_type_per_day = forms.BooleanField(
        label=_("At most one counted activity per type per day"),
        required=False,
        help_text=_("Per local day (Norwegian time): the earliest one that passes the other rules counts."),
    )

    class Meta:
        model = GrantScheme
        fields = ["name", "code", "year_start_month", "deadline_month", "deadline_day"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.current_version() if self.instance.pk else None
        if current is not None:
            for name in RULE_FIELDS:
                value = getattr(current, name)
                self.initial[name] = ", ".join(value) if name == "activity_types" else value

    def clean_activity_types(self) -> list[str]:
        text = self.cleaned_data.get("activity_types") or ""
        names = [part.strip() for part in text.split(",") if part.strip()]
        bad = [name for name in names if not SLUG_RE.match(name)]
        if bad:
            raise forms.ValidationError(
                gettext("Not an activity type: %(names)s. Use slugs such as peer_support.") % {"names": ", ".join(bad)}
            )
        return sorted(set(names))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("min_participants", "min_duration_minutes"):
            if data.get(name) is None and name not in self.errors:
                data[name] = 0
        if (data.get("min_duration_minutes") or 0) > MAX_DURATION_MINUTES:
            self.add_error(
                "min_duration_minutes",
                gettext("At most %(max)s minutes: an activity lasts at most a day.") % {"max": MAX_DURATION_MINUTES},
            )
            return data
        if any(name in self.errors for name in RULE_FIELDS):
            return data
        problems = rule_problems(
            statuses=data.get("statuses") or [],
            activity_types=data.get("activity_types") or [],
            min_participants=data.get("min_participants"),
            min_duration_minutes=data.get("min_duration_minutes"),
        )
        for name, message in problems.items():
            self.add_error(name, message)
        return data

    def rules(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in RULE_FIELDS}


class SchemeVersionInline(admin.TabularInline):
    """Every version of the rules, newest first, read-only: old reports name them."""

    model = SchemeVersion
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-number"]
    fields = (
        "number",
        "statuses",
        "activity_types",
        "min_participants",
        "min_duration_minutes",
        "in_person_required",
        "one_per_type_per_day",
        "created_at",
        "created_by",
    )
    readonly_fields = fields
    verbose_name = _("rule version")
    verbose_name_plural = _("rule versions (newest first; a change of rules adds one)")

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)


@admin.register(GrantScheme)
class GrantSchemeAdmin(admin.ModelAdmin):
    form = GrantSchemeForm
    list_display = ["code", "name", "year_start_month", "deadline", "current_rules"]
    search_fields = ["code", "name"]
    inlines = [SchemeVersionInline]
    fieldsets = [
        (None, {"fields": ["name", "code"]}),
        (_("Reporting year and deadline"), {"fields": ["year_start_month", "deadline_month", "deadline_day"]}),
        (
            _("Counting rules (saving changed rules makes a new version)"),
            {"fields": list(RULE_FIELDS)},
        ),
    ]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if not self.has_change_permission(request, obj):
            return self.fieldsets[:2]  # read-only: the rules are in the versions below
        return self.fieldsets

    @admin.display(description=_("Report deadline"))
    def deadline(self, obj: GrantScheme) -> str:
        months = dict(GrantScheme._meta.get_field("deadline_month").choices or [])
        return f"{obj.deadline_day}. {months.get(obj.deadline_month, obj.deadline_month)}"

    @admin.display(description=_("Current rules"), ordering="newest_version")
    def current_rules(self, obj: GrantScheme) -> str:
        newest = getattr(obj, "newest_version", None)
        return _("version %(number)s") % {"number": newest} if newest else "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[GrantScheme]:
        return super().get_queryset(request).annotate(newest_version=Max("versions__number"))  # one query per page

    # Administrators manage schemes; coordinators (staff) may read them.
    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: GrantScheme, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        scheme_rules_set(scheme=obj, rules=form.rules(), user=request.user)
