"""The admin's "Import activities" page: an upload run through ``import_activities``.

Same checks and upsert as ``manage.py import_activities``; a coordinator's upload is
limited to their own organisations. Django's upload handlers spool a big upload to a
temporary file, and the import reads it as a stream.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from activities.admin_scope import coordinated_orgs
from activities.importing import ImportFileError, ImportResult, import_activities
from activities.models import Activity


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=_(
            "CSV with a header row (separated by ; or , in UTF-8 or Windows-1252), an Excel "
            "workbook (.xlsx, its first sheet), or JSON Lines (one object per line, UTF-8). "
            "Fields: activity_id (optional), org_id, activity_type, recorded_at, "
            "participant_count, location, status."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.jsonl,.ndjson,.json"}),
    )
    format = forms.ChoiceField(
        choices=[
            ("", _("From the file name (.csv, .xlsx, .jsonl)")),
            ("csv", "CSV"),
            ("xlsx", _("Excel (.xlsx)")),
            ("jsonl", "JSON Lines"),
        ],
        required=False,
    )
    skip_invalid = forms.BooleanField(
        required=False, label="Skip invalid rows", help_text="Import the good rows and list the bad ones."
    )
    dry_run = forms.BooleanField(required=False, label="Only check the file", help_text="Write nothing.")


def summary(result: ImportResult, skip_invalid: bool) -> str:
    invalid = f"{result.invalid:,} invalid" + (" (skipped)" if skip_invalid and result.invalid else "")
    return (
        f"{result.rows:,} rows: {result.created:,} created, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged, {invalid}"
    )


def import_view(model_admin: admin.ModelAdmin[Activity], request: HttpRequest) -> HttpResponse:
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    result: ImportResult | None = None
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        data = form.cleaned_data
        try:
            result = import_activities(
                file=upload,
                file_name=upload.name or "",
                fmt=data["format"] or None,
                orgs=None if request.user.is_superuser else coordinated_orgs(request),
                skip_invalid=data["skip_invalid"],
                dry_run=data["dry_run"],
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        except ValidationError as exc:  # lost a race with another writer; nothing written
            form.add_error(None, "; ".join(exc.messages))
        finally:
            upload.close()
    if result is not None:
        figures = summary(result, data["skip_invalid"])
        if result.dry_run:
            level = messages.WARNING if result.invalid else messages.SUCCESS
            model_admin.message_user(request, f"Checked, nothing written. {figures}.", level)
        elif result.invalid and not data["skip_invalid"]:
            model_admin.message_user(
                request,
                f"Nothing imported: {result.invalid:,} bad row(s). Fix them, or tick “Skip invalid rows”. {figures}.",
                messages.ERROR,
            )
        else:
            model_admin.message_user(request, f"Imported. {figures}.", messages.SUCCESS)
            if not result.invalid:
                return HttpResponseRedirect(reverse("admin:activities_activity_changelist"))
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": "Import activities",
        "opts": model_admin.model._meta,
        "form": form,
        "result": result,
        "more_errors": result.invalid - len(result.errors) if result else 0,
        "scoped_orgs": None if request.user.is_superuser else coordinated_orgs(request).order_by("org_id"),
    }
    return TemplateResponse(request, "admin/activities/activity/import.html", context)
