"""Helpers for tests of import jobs: run the queue through django-tasks-db's own worker."""

from __future__ import annotations

from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lib.task_runner import run_ready_tasks


def run_queued_jobs() -> None:
    """Run every ready task in this thread, as the in-process runner and ``manage.py
    db_worker --batch`` do.

    Inside a test's transaction the worker must not close "obsolete" connections (it
    would close the test's own, as Django's test client avoids for requests too).
    """
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        run_ready_tasks(worker_id="test-worker")


def upload(client, content: str | bytes, name: str = "activities.csv", **fields):  # type: ignore[no-untyped-def]
    """Post the file to the admin's import page; an accepted upload is a job: run it
    through the real worker and return its page (a refused one returns the form)."""
    data = content.encode() if isinstance(content, str) else content
    response = client.post(
        reverse("admin:activities_activity_import"), {"file": SimpleUploadedFile(name, data), **fields}
    )
    if response.status_code != 302:
        return response
    run_queued_jobs()
    return client.get(response["Location"])


def english_client_for(client_for):  # type: ignore[no-untyped-def]
    """``client_for`` for modules whose pages are asserted in English: a user who picked
    English in the admin header (Norwegian is the default)."""

    def make(user):  # type: ignore[no-untyped-def]
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make
