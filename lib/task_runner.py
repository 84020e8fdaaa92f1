"""Runs queued django-tasks jobs in a thread of this process, for the embedded setup.

With ``IMPORT_JOBS_IN_PROCESS`` (``make run``: one daphne, no worker process), ``kick()``
after a job is enqueued starts one thread that runs django-tasks-db's own worker loop in
batch mode (every ready task, then it stops), so the job's state is kept exactly as under
``manage.py db_worker``. One thread at a time: on SQLite a second import would only wait
for the first one's write lock anyway.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid

from django.conf import settings
from django.db import connections
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None
_wanted = False


def enabled() -> bool:
    return bool(settings.IMPORT_JOBS_IN_PROCESS)


def kick() -> None:
    """Make sure a thread will look at the queue (again); no-op when not enabled."""
    global _thread, _wanted
    if not enabled():
        return
    with _lock:
        _wanted = True
        if _thread is None:
            _thread = threading.Thread(target=_drain, name="bufdir-task-runner", daemon=True)
            _thread.start()


def run_ready_tasks(*, worker_id: str) -> None:
    """Run every ready task in this thread with the worker ``manage.py db_worker`` uses
    (its batch mode: until the queue is empty)."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    ).run()


def _drain() -> None:
    global _thread, _wanted
    try:
        while True:
            with _lock:
                if not _wanted:
                    _thread = None  # under the lock: a kick() from now on starts a new thread
                    return
                _wanted = False
            try:
                run_ready_tasks(worker_id=f"in-process-{os.getpid()}-{uuid.uuid4().hex[:8]}")
            except Exception:
                logger.exception("in-process task runner failed; the next upload starts it again")
    finally:
        with _lock:
            _thread = None
        connections.close_all()


def wait_idle(timeout: float) -> bool:
    """For tests: wait until the runner thread has stopped; True if it did."""
    with _lock:
        thread = _thread
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()
