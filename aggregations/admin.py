from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from activities.admin import _changes as changes_html
from activities.admin_scope import OrgScopedAdminMixin
from aggregations import evidence, services
from aggregations.models import PERIOD_ORDER_MESSAGE, AggregationSnapshot, SubmittedPeriod
from aggregations.selectors import overlapping_period, periods_current_counts
from lib.admin_lists import EstimatedCountPaginator
from lib.admin_window import WindowSafeAdminMixin, outside_note
from lib.timeranges import RangeError, check_date, in_window
from schemes.models import GrantScheme


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
    """What a coordinator enters; the count, time and submitter are set by the service.
    With a grant scheme, its current rule version is frozen with the period."""

    scheme = forms.ModelChoiceField(
        label=_("Grant scheme"),
        queryset=GrantScheme.objects.order_by("code"),
        required=False,
        help_text=_(
            "Optional. The scheme's current rules are frozen with the period, and the evidence "
            "(every counted activity, CSV and XLSX with their SHA-256) is kept."
        ),
    )

    class Meta:
        model = SubmittedPeriod
        fields = ["org", "period_start", "period_end"]

    def clean_scheme(self) -> GrantScheme | None:
        scheme: GrantScheme | None = self.cleaned_data.get("scheme")
        self.cleaned_data["scheme_version"] = None
        if scheme is not None:
            version = scheme.current_version()
            if version is None:
                raise forms.ValidationError(gettext("This grant scheme has no rules yet."))
            self.cleaned_data["scheme_version"] = version
        return scheme

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
        "scheme_version",
        "submitted_at",
        "submitted_by",
    ]
    list_select_related = ["org", "scheme_version__scheme"]
    list_filter = ["org"]
    list_per_page = 50
    search_fields = ["=org__org_id", "org__name", "submitted_by"]
    autocomplete_fields = ["org"]
    date_hierarchy = "period_end"
    readonly_fields = [
        "activity_count",
        "drift",
        "submitted_at",
        "submitted_by",
        "rule_version",
        "counted",
        "counted_now",
        "evidence_files",
        "changes_since_submission",
    ]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # a submitted period is a record of what was sent to Bufdir

    def get_fields(self, request: HttpRequest, obj: SubmittedPeriod | None = None) -> Any:
        if obj is None:
            return ["org", "period_start", "period_end", "scheme"]
        fields = ["org", "period_start", "period_end", "activity_count", "drift", "submitted_at", "submitted_by"]
        if obj.scheme_version_id is not None:
            fields += ["rule_version", "counted", "counted_now", "evidence_files"]
        return [*fields, "changes_since_submission"]

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/evidence/<str:fmt>/",
                self.admin_site.admin_view(self.evidence_download),
                name="aggregations_submittedperiod_evidence",
            ),
            *super().get_urls(),
        ]

    def evidence_download(self, request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
        """The stored evidence file: the very bytes digested (own organisations only)."""
        period = self.get_queryset(request).select_related("org", "scheme_version__scheme").filter(pk=pk).first()
        if period is None or fmt not in evidence.FORMATS or not self.has_view_permission(request, period):
            raise Http404
        found = evidence.evidence_of(period)
        if found is None:
            raise Http404
        return evidence.evidence_response(period, found, fmt)

    @admin.display(description=_("Grant scheme and rule version"))
    def rule_version(self, obj: SubmittedPeriod) -> str:
        version = obj.scheme_version
        if version is None:
            return gettext("none (the contract count)")
        return gettext("%(scheme)s, rules version %(number)s") % {"scheme": version.scheme, "number": version.number}

    @admin.display(description=_("Counted under the scheme"))
    def counted(self, obj: SubmittedPeriod) -> str:
        found = evidence.evidence_of(obj)
        if found is None:
            return "-"
        by_type = ", ".join(f"{t}: {formats.number_format(n)}" for t, n in found.by_activity_type.items())
        return gettext("%(count)s activities, %(participants)s participants") % {
            "count": formats.number_format(found.activity_count),
            "participants": formats.number_format(found.participant_total),
        } + (f" ({by_type})" if by_type else "")

    @admin.display(description=_("Counted today under the same rules"))
    def counted_now(self, obj: SubmittedPeriod) -> str:
        found, now = evidence.evidence_of(obj), evidence.counted_now(obj)
        if found is None or now is None:
            return "-"
        difference = now - found.activity_count
        return gettext("%(now)s activities (submitted: %(then)s, %(difference)s)") % {
            "now": formats.number_format(now),
            "then": formats.number_format(found.activity_count),
            "difference": f"{difference:+d}",
        }

    @admin.display(description=_("Evidence files"))
    def evidence_files(self, obj: SubmittedPeriod) -> str:
        found = evidence.evidence_of(obj)
        if found is None:
            return "-"
        rows = format_html_join(
            "",
            '<tr><td><a href="{}" download>{}</a></td><td><code data-sha256="{}">{}</code></td></tr>',
            (
                (
                    reverse("admin:aggregations_submittedperiod_evidence", args=[obj.pk, fmt]),
                    evidence.evidence_file_name(obj, fmt),
                    fmt,
                    digest,
                )
                for fmt, digest in (("csv", found.csv_sha256), ("xlsx", found.xlsx_sha256))
            ),
        )
        return format_html(
            '<table class="evidence-files"><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>',
            gettext("File"),
            gettext("SHA-256 (check with sha256sum)"),
            rows,
        )

    @admin.display(description=_("Changes since submission"))
    def changes_since_submission(self, obj: SubmittedPeriod) -> str:
        """The activities created, changed, moved or deleted in the period since it was
        submitted (activities.history), newest first: when, who, what."""
        changes = evidence.recent_changes(obj)
        if not changes.total:
            return gettext("No changes since submission.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    formats.localize(timezone.localtime(e.at)),
                    e.actor_label,
                    e.activity_id,
                    e.get_action_display(),
                    changes_html(e),
                )
                for e in changes.newest
            ),
        )
        note = ""
        if changes.total > len(changes.newest):
            note = gettext("The newest %(shown)s of %(total)s changes.") % {
                "shown": formats.number_format(len(changes.newest)),
                "total": formats.number_format(changes.total),
            }
        return format_html(
            '<table class="submission-changes"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "</tr></thead><tbody>{}</tbody></table>{}",
            gettext("When"),
            gettext("Who"),
            gettext("Activity"),
            gettext("What"),
            gettext("What changed"),
            rows,
            note,
        )

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
                scheme_version=form.cleaned_data.get("scheme_version"),
            )
        except services.PeriodOverlap as exc:  # lost a race with another submission
            raise ValidationError(str(exc)) from None
        obj.pk = saved.pk
        obj.activity_count = saved.activity_count
        obj.submitted_at = saved.submitted_at
        obj.submitted_by = saved.submitted_by
        obj.scheme_version = saved.scheme_version
