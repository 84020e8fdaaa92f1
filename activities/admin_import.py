"""The admin's "Import activities" page: an upload becomes a background job.

Same checks and upsert as ``manage.py import_activities`` (``activities.jobs`` runs it);
a coordinator's upload is limited to their own organisations. Django's upload handlers
spool a big upload to a temporary file, and the job's copy is a file too, never memory.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.admin_scope import coordinated_orgs
from activities.jobs import import_job_create
from activities.models import Activity, ImportJob


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=gettext_lazy(
            "CSV with a header row (separated by ; or , in UTF-8 or Windows-1252), an Excel "
            "workbook (.xlsx, its first sheet), or JSON Lines (one object per line, UTF-8). "
            "Fields: activity_id (optional), org_id, activity_type, recorded_at, "
            "participant_count, location, status, duration_minutes and in_person (optional)."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.jsonl,.ndjson,.json"}),
    )
    format = forms.ChoiceField(
        choices=[
            ("", gettext_lazy("From the file name (.csv, .xlsx, .jsonl)")),
            ("csv", "CSV"),
            ("xlsx", gettext_lazy("Excel (.xlsx)")),
            ("jsonl", "JSON Lines"),
        ],
        required=False,
    )
    skip_invalid = forms.BooleanField(
        required=False, label="Skip invalid rows", help_text="Import the good rows and list the bad ones."
    )
    dry_run = forms.BooleanField(required=False, label="Only check the file", help_text="Write nothing.")


def summary(job: ImportJob) -> str:
    """One line of figures for a finished job, e.g. for the list of recent imports."""
    figures = _(
        "%(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(invalid)s invalid"
    ) % {
        "rows": f"{job.rows:,}",
        "created": f"{job.created:,}",
        "updated": f"{job.updated:,}",
        "unchanged": f"{job.unchanged:,}",
        "invalid": f"{job.invalid:,}",
    }
    if job.skip_invalid and job.invalid:
        figures += " " + _("(skipped)")
    return figures


def import_view(model_admin: admin.ModelAdmin[Activity], request: HttpRequest) -> HttpResponse:
    """The upload form; a valid upload becomes a job, and the browser goes to its page."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        data = form.cleaned_data
        try:
            job: ImportJob | None = import_job_create(
                upload=upload,
                file_name=upload.name or "",
                user=request.user,
                scope=None if request.user.is_superuser else coordinated_orgs(request),
                fmt=data["format"] or None,
                skip_invalid=data["skip_invalid"],
                dry_run=data["dry_run"],
            )
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            # SQLite (make run): a running import holds the database's only write lock.
            job = None
            form.add_error(None, _("Another import is still running: upload this file again when it is done."))
        finally:
            upload.close()
        if job is not None:
            return HttpResponseRedirect(reverse("admin:activities_importjob_change", args=[job.pk]))
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": _("Import activities"),
        "opts": model_admin.model._meta,
        "form": form,
        "scoped_orgs": None if request.user.is_superuser else coordinated_orgs(request).order_by("org_id"),
    }
    return TemplateResponse(request, "admin/activities/activity/import.html", context)
