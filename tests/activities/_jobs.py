"""Helpers for tests of import jobs: run the queue through django-tasks-db's own worker."""

from __future__ import annotations

from unittest import mock

from django_tasks_db.management.commands.db_worker import Worker


def run_queued_jobs() -> None:
    """Run every ready task in this thread with the worker ``manage.py db_worker`` uses.

    Inside a test's transaction the worker must not close "obsolete" connections (it
    would close the test's own, as Django's test client avoids for requests too).
    """
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        worker.run()
