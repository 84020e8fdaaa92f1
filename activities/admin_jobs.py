"""Admin pages of import jobs: recent imports per organisation, and one job's page.

The job page polls a small JSON view (``<pk>/progress/``) while the job is queued or
running, and shows the outcome with every reported bad row once it is done. Scoping
like the rest of admin: a coordinator sees the jobs they uploaded and the jobs that
touched one of their organisations.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from activities.admin_import import summary
from activities.admin_scope import OwnOrganizationsFilter, coordinated_orgs
from activities.jobs import import_job_progress, import_jobs_fail_dead
from activities.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin[ImportJob]):
    list_display = ["created_at", "file_name", "created_by", "organisations", "status", "result"]
    list_filter = ["status", "outcome", ("orgs", OwnOrganizationsFilter)]
    list_select_related = ["created_by"]
    search_fields = ["file_name", "=created_by__username"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ImportJob]:
        qs = super().get_queryset(request).prefetch_related("orgs")
        if request.user.is_superuser:
            return qs
        mine = Q(created_by=request.user) | Q(orgs__in=coordinated_orgs(request))
        return qs.filter(pk__in=ImportJob.objects.filter(mine).values("pk"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs come from the upload page

    def has_change_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportJob | None = None) -> bool:
        return request.user.is_superuser and (obj is None or obj.done)

    @admin.display(description=gettext_lazy("organisations"))
    def organisations(self, job: ImportJob) -> str:
        return ", ".join(o.org_id for o in job.orgs.all()) or "—"

    @admin.display(description=gettext_lazy("outcome"))
    def result(self, job: ImportJob) -> str:
        if job.status == ImportJob.Status.FAILED:
            return f"{job.get_outcome_display()}: {job.message}"
        if job.status != ImportJob.Status.SUCCEEDED:
            return "—"
        return f"{job.get_outcome_display()}. {summary(job)}"

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        import_jobs_fail_dead(self.get_queryset(request))  # a dead worker's jobs show as failed
        return super().changelist_view(request, extra_context)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:pk>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="activities_importjob_progress",
            ),
            *super().get_urls(),
        ]

    def _visible(self, request: HttpRequest, pk: int) -> ImportJob:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def progress_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = self._visible(request, pk)
        return JsonResponse(import_job_progress(job))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not object_id.isdigit():
            return super().change_view(request, object_id, form_url, extra_context)  # Django's "not found"
        job = self._visible(request, int(object_id))
        progress = import_job_progress(job)
        job.refresh_from_db()
        errors = [{"line": line, "message": message} for line, message in job.errors]
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": _("Import of %(file)s") % {"file": job.file_name},
            "opts": self.model._meta,
            "job": job,
            "progress": progress,
            "progress_url": reverse("admin:activities_importjob_progress", args=[job.pk]),
            "summary": summary(job) if job.status == ImportJob.Status.SUCCEEDED else "",
            "errors": errors,
            "more_errors": job.invalid - len(errors),
            "orgs": list(job.orgs.all()),
        }
        return TemplateResponse(request, "admin/activities/importjob/job.html", context)
