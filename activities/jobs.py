"""Admin imports as background jobs: store the upload, queue it, run it, watch it.

``import_job_create`` stores the upload in ``IMPORT_FILES_DIR`` and queues
``run_import_job`` on django-tasks (database backend) in the same transaction; a worker
(``manage.py db_worker``, or a thread of the web process with ``IMPORT_JOBS_IN_PROCESS``)
runs it through the same ``import_activities`` as the command, in one transaction.

While it runs, its figures go to the cache, not to the ``ImportJob`` row: inside the
import's transaction a write would not be visible (and on SQLite another connection could
not write at all). The outcome is written to the row when the import's transaction has
ended, committed or rolled back. A running job holds a lock named after it
(``lib.locks``), which dies with its process: a job marked running whose lock is free has
lost its worker, and ``import_jobs_fail_dead`` marks it failed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from activities import importing
from activities.history import acting_as, user_label
from activities.importing import ImportFileError, ImportProgress, ImportResult, import_activities
from activities.models import ImportJob, Organization
from lib import task_runner
from lib.db import long_running
from lib.locks import is_held, single_run

logger = logging.getLogger(__name__)

PROGRESS_TIMEOUT = 24 * 60 * 60  # a cache entry outlives any import
PROGRESS_INTERVAL = 0.5  # seconds between two cache writes of one job's figures


def import_job_create(
    *,
    upload: IO[bytes],
    file_name: str,
    user: AbstractBaseUser | AnonymousUser,
    scope: QuerySet[Organization] | None,
    fmt: str | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportJob:
    """Store the upload and queue its import; ``scope`` None means any organisation."""
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=user if isinstance(user, User) else None,
            file_name=file_name[:255],
            format=fmt or "",
            skip_invalid=skip_invalid,
            dry_run=dry_run,
            scoped=scope is not None,
        )
        if scope is not None:
            job.scope_orgs.set(scope)
        job.file.save(file_name or "upload", File(upload), save=False)
        job.file_size = job.file.size
        result = run_import_job.enqueue(job_id=job.pk)
        job.task_id = str(result.id)
        job.save(update_fields=["file", "file_size", "task_id"])
        transaction.on_commit(task_runner.kick)
    return job


@task()
def run_import_job(*, job_id: int) -> None:
    """The worker's side: import the stored file and record the outcome."""
    with single_run(_lock_name(job_id)) as got:
        if not got:  # another worker already runs it
            return
        claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.RUNNING, started_at=timezone.now()
        )
        if not claimed:  # already done, or failed meanwhile
            return
        job = ImportJob.objects.get(pk=job_id)
        try:
            _run(job)
        finally:
            _delete_file(job)
            cache.delete(_progress_key(job.pk))


def _run(job: ImportJob) -> None:
    orgs = Organization.objects.filter(pk__in=job.scope_orgs.values("pk")) if job.scoped else None
    publisher = _Publisher(job.pk)
    uploader = job.created_by
    actor = acting_as(f"import #{job.pk} by {user_label(uploader) if uploader else 'a deleted user'}", user=uploader)
    try:
        with actor, long_running(), job.file.open("rb") as file:
            result = import_activities(
                file=file,
                file_name=job.file_name,
                fmt=job.format or None,
                orgs=orgs,
                skip_invalid=job.skip_invalid,
                dry_run=job.dry_run,
                batch_size=importing.BATCH_SIZE,  # read at run time: tests make it small
                progress=publisher,
            )
    except ImportFileError as exc:
        _finish_failed(job, str(exc))
    except ValidationError as exc:  # lost a race with another writer; nothing written
        _finish_failed(job, "; ".join(exc.messages))
    except Exception:
        logger.exception("import job %s failed", job.pk)
        _finish_failed(job, _("The import stopped with an unexpected error (logged); nothing was imported."))
    else:
        _finish(job, result)


def _finish(job: ImportJob, result: ImportResult) -> None:
    if result.dry_run:
        outcome = ImportJob.Outcome.CHECKED
    elif result.invalid and not job.skip_invalid:
        outcome = ImportJob.Outcome.REFUSED
    else:
        outcome = ImportJob.Outcome.IMPORTED
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.SUCCEEDED,
            outcome=outcome,
            finished_at=timezone.now(),
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            invalid=result.invalid,
            errors=[[e.line, e.message] for e in result.errors],
        )
        job.orgs.set(result.org_pks)


def _finish_failed(job: ImportJob, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.FAILED,
        outcome=ImportJob.Outcome.FAILED,
        message=message,
        finished_at=timezone.now(),
    )


def _delete_file(job: ImportJob) -> None:
    if job.file:
        try:
            job.file.delete(save=False)
        except OSError:
            logger.warning("could not delete the upload of import job %s", job.pk)
        ImportJob.objects.filter(pk=job.pk).update(file="")


class _Publisher:
    """The progress callback: at most one cache write per PROGRESS_INTERVAL."""

    def __init__(self, job_pk: int) -> None:
        self.key = _progress_key(job_pk)
        self.last = 0.0

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        figures = {"checked": progress.checked, "written": progress.written, "bytes_read": progress.bytes_read}
        cache.set(self.key, figures, PROGRESS_TIMEOUT)


def _progress_key(job_pk: int) -> str:
    return f"import-job-progress:{job_pk}"


def _lock_name(job_pk: int) -> str:
    # The file lock elsewhere than PostgreSQL lives in the temp dir: name the database too,
    # so two environments' job 1 never share one.
    db = hashlib.sha256(str(settings.DATABASES["default"]["NAME"]).encode()).hexdigest()[:8]
    return f"import-job-{db}-{job_pk}"


def import_jobs_fail_dead(jobs: QuerySet[ImportJob]) -> int:
    """Mark failed every job of ``jobs`` whose worker is gone; how many were.

    Running: its lock is free. Queued: its task has ended without starting the import
    (the worker could not run it at all).
    """
    failed = 0
    queued = {str(j.task_id): j.pk for j in jobs.filter(status=ImportJob.Status.QUEUED).only("pk", "task_id")}
    ended = DBTaskResult.objects.filter(
        id__in=[task_id for task_id in queued if task_id],
        status__in=[TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL],
    ).values_list("id", flat=True)
    for task_id in ended:
        pk = queued[str(task_id)]
        failed += ImportJob.objects.filter(pk=pk, status=ImportJob.Status.QUEUED).update(
            status=ImportJob.Status.FAILED,
            outcome=ImportJob.Outcome.FAILED,
            finished_at=timezone.now(),
            message=_("The worker could not run this import (see its log); nothing was imported."),
        )
        _delete_file(ImportJob.objects.get(pk=pk))
    for job in jobs.filter(status=ImportJob.Status.RUNNING).only("pk", "task_id", "file"):
        if is_held(_lock_name(job.pk)):
            continue
        # The finished job writes its outcome before it lets the lock go: if it is
        # finished, the status is no longer "running" and this updates nothing.
        failed += ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.FAILED,
            outcome=ImportJob.Outcome.FAILED,
            finished_at=timezone.now(),
            message=_(
                "The worker running this import stopped before it finished (restarted or killed); "
                "nothing was imported. Upload the file again."
            ),
        )
        _delete_file(job)
        cache.delete(_progress_key(job.pk))
    return failed


def import_job_progress(job: ImportJob) -> dict[str, Any]:
    """What the job page shows, as JSON: state, figures, and seconds left (an estimate)."""
    if not job.done and import_jobs_fail_dead(ImportJob.objects.filter(pk=job.pk)):
        job.refresh_from_db()
    if job.status == ImportJob.Status.QUEUED:
        task_runner.kick()  # in-process: a restart may have left it queued
    figures: dict[str, Any] = {}
    if job.status == ImportJob.Status.RUNNING:
        figures = cache.get(_progress_key(job.pk)) or {}
    checked = figures.get("checked", job.rows)
    written = figures.get("written", job.created + job.updated + job.unchanged)
    bytes_read = figures.get("bytes_read")
    seconds_left = None
    if job.status == ImportJob.Status.RUNNING and job.started_at and bytes_read and job.file_size:
        elapsed = (timezone.now() - job.started_at).total_seconds()
        fraction = min(bytes_read / job.file_size, 1.0)
        seconds_left = max(0, round(elapsed / fraction - elapsed))
    return {
        "id": job.pk,
        "status": job.status,
        "status_display": job.get_status_display(),
        "done": job.done,
        "checked": checked,
        "written": written,
        "bytes_read": bytes_read,
        "file_size": job.file_size,
        "seconds_left": seconds_left,
        "outcome": job.outcome,
    }
