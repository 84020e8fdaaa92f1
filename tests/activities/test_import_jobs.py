"""Import jobs: run by a worker (in-process thread or `manage.py db_worker`), progress
observable while they run, a dead worker's job ends failed with nothing written, and a
coordinator sees only their own organisations' jobs."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from activities import jobs
from activities.coordinators import ensure_coordinators_group
from activities.models import Activity, ImportJob
from lib import task_runner
from tests.activities._jobs import english_client_for, run_queued_jobs
from tests.conftest import postgres_only
from tests.record_counts.server import ROOT, server_env

URL = reverse("admin:activities_activity_import")
HEADER = "activity_id,org_id,activity_type,recorded_at,participant_count,location,status\n"


def rows_csv(count: int, org_id: str = "org-bufdir-42", prefix: str = "act") -> bytes:
    lines = (
        f"{prefix}-{n},{org_id},peer_support,2026-01-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z,"
        "1,Oslo,completed\n"
        for n in range(count)
    )
    return (HEADER + "".join(lines)).encode()


def post(client, content: bytes, name: str = "activities.csv", **fields) -> ImportJob:
    response = client.post(URL, {"file": SimpleUploadedFile(name, content), **fields})
    assert response.status_code == 302, response.content[:500]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-2]))


def progress(client, job: ImportJob) -> dict:
    response = client.get(reverse("admin:activities_importjob_progress", args=[job.pk]))
    assert response.status_code == 200
    return response.json()


@pytest.fixture
def client_for(client_for):  # type: ignore[no-untyped-def]
    return english_client_for(client_for)  # this module's pages are asserted in English


@pytest.fixture
def admin_(admin_user, client_for, org, other_org):
    return client_for(admin_user)


def pause_midway(monkeypatch, after_written: int) -> tuple[threading.Event, threading.Event]:
    """Make a running job stop, mid-way, inside its transaction, until ``proceed`` is set."""
    monkeypatch.setattr("activities.importing.BATCH_SIZE", 200)
    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL", 0)
    reached, proceed = threading.Event(), threading.Event()
    publish = jobs._Publisher.__call__

    def paused(self, figures):  # type: ignore[no-untyped-def]
        publish(self, figures)
        if figures.written >= after_written and not reached.is_set():
            reached.set()
            proceed.wait(30)

    monkeypatch.setattr(jobs._Publisher, "__call__", paused)
    return reached, proceed


@pytest.mark.django_db(transaction=True)
@override_settings(IMPORT_JOBS_IN_PROCESS=True)
def test_an_upload_runs_in_process_and_its_progress_shows_midway(admin_user, client_for, org, monkeypatch):
    reached, proceed = pause_midway(monkeypatch, after_written=1000)
    client = client_for(admin_user)
    job = post(client, rows_csv(3000))
    try:
        assert reached.wait(30), "the in-process runner never started the job"
        midway = progress(client, job)
        assert midway["status"] == "running"
        assert 1000 <= midway["written"] < 3000
        assert midway["checked"] >= midway["written"]
        assert 0 < midway["bytes_read"] < midway["file_size"] == len(rows_csv(3000))
        assert midway["seconds_left"] is not None
        assert not Activity.objects.exists()  # one transaction: nothing visible until the end
        page = client.get(reverse("admin:activities_importjob_change", args=[job.pk])).content.decode()
        assert "activities/import-progress.js" in page
        assert 'data-progress-url="' + reverse("admin:activities_importjob_progress", args=[job.pk]) in page
    finally:
        proceed.set()
        assert task_runner.wait_idle(60)
    final = progress(client, job)
    assert final["done"] and final["status"] == "succeeded"
    assert (final["checked"], final["written"]) == (3000, 3000)
    assert Activity.objects.count() == 3000
    job.refresh_from_db()
    assert (job.outcome, job.created, job.finished_at is not None) == ("imported", 3000, True)
    assert not job.file  # read, then deleted
    assert list(job.orgs.values_list("org_id", flat=True)) == ["org-bufdir-42"]


@postgres_only
@pytest.mark.django_db(transaction=True)
@override_settings(IMPORT_JOBS_IN_PROCESS=True)
def test_a_second_upload_while_one_runs_waits_its_turn(admin_user, client_for, org, monkeypatch):
    reached, proceed = pause_midway(monkeypatch, after_written=200)
    client = client_for(admin_user)
    first = post(client, rows_csv(1000))
    try:
        assert reached.wait(30)
        second = post(client, rows_csv(500, prefix="other"))
        assert progress(client, second)["status"] == "queued"
        assert progress(client, first)["status"] == "running"
    finally:
        proceed.set()
        assert task_runner.wait_idle(60)
    assert progress(client, first)["status"] == progress(client, second)["status"] == "succeeded"
    assert Activity.objects.count() == 1500


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_dies_ends_failed_and_writes_nothing(admin_user, client_for, org):
    client = client_for(admin_user)
    job = post(client, rows_csv(60_000))
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"],
        cwd=ROOT,
        env=server_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while ImportJob.objects.get(pk=job.pk).status == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ImportJob.objects.get(pk=job.pk).status == "running"
        time.sleep(0.5)  # well inside the import's transaction
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    deadline = time.monotonic() + 15  # PostgreSQL notices the closed connection
    while (state := progress(client, job))["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state["status"] == "failed" and state["done"]
    job.refresh_from_db()
    assert "stopped before it finished" in job.message
    assert not job.file
    assert not Activity.objects.exists()
    page = client.get(reverse("admin:activities_importjob_change", args=[job.pk])).content.decode()
    assert "stopped before it finished" in page


@pytest.mark.django_db(transaction=True)
def test_the_procfile_worker_command_runs_queued_jobs(admin_user, client_for, org):
    client = client_for(admin_user)
    first, second = post(client, rows_csv(300)), post(client, rows_csv(200, prefix="b"), dry_run="on")
    subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-reload", "--no-startup-delay"],
        cwd=ROOT,
        env=server_env(),
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert (progress(client, first)["status"], progress(client, second)["status"]) == ("succeeded", "succeeded")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.outcome, first.created, second.outcome, second.created) == ("imported", 300, "checked", 0)
    assert Activity.objects.count() == 300


def test_the_worker_runs_a_queued_job_in_this_thread(admin_):
    """The same Worker ``manage.py db_worker`` runs, in this thread (see _jobs.py)."""
    job = post(admin_, rows_csv(10))
    assert progress(admin_, job)["status"] == "queued"
    run_queued_jobs()
    assert progress(admin_, job)["status"] == "succeeded"
    assert Activity.objects.count() == 10


def test_a_stale_running_job_is_failed_when_looked_at(admin_):
    job = post(admin_, rows_csv(10))
    ImportJob.objects.filter(pk=job.pk).update(status="running")  # as if its worker had died
    assert progress(admin_, job)["status"] == "failed"
    html = admin_.get(reverse("admin:activities_importjob_changelist")).content.decode()
    assert "stopped before it finished" in html


def test_a_job_whose_task_ended_without_running_it_is_failed(admin_):
    from django_tasks_db.models import DBTaskResult

    job = post(admin_, rows_csv(10))
    DBTaskResult.objects.filter(id=job.task_id).update(status="FAILED")  # e.g. the worker could not import it
    state = progress(admin_, job)
    assert (state["status"], state["done"]) == ("failed", True)
    job.refresh_from_db()
    assert "could not run this import" in job.message
    assert not job.file


# --- scoping --------------------------------------------------------------------------


def make_coordinator(client_for, username: str, *orgs):  # type: ignore[no-untyped-def]
    user = get_user_model().objects.create_user(username, password="pw-unused", is_staff=True)
    user.groups.add(ensure_coordinators_group())
    for o in orgs:
        o.coordinators.add(user)
    return client_for(user)


def test_coordinators_see_only_their_organisations_jobs(admin_, client_for, org, other_org):
    kari = make_coordinator(client_for, "kari", org)
    ola = make_coordinator(client_for, "ola", other_org)
    karis = post(kari, rows_csv(3, "org-bufdir-42", prefix="k"), name="karis.csv")
    admins = post(admin_, rows_csv(3, "org-bufdir-7", prefix="a"), name="admins-for-7.csv")
    run_queued_jobs()
    assert ImportJob.objects.filter(status="succeeded").count() == 2

    changelist = reverse("admin:activities_importjob_changelist")
    kari_list = kari.get(changelist).content.decode()
    assert "karis.csv" in kari_list and "admins-for-7.csv" not in kari_list
    ola_list = ola.get(changelist).content.decode()
    assert "admins-for-7.csv" in ola_list and "karis.csv" not in ola_list  # touched Ola's organisation
    assert "kari" in kari_list and "3 created" in kari_list  # who and the outcome

    for client, visible, hidden in ((kari, karis, admins), (ola, admins, karis)):
        assert client.get(reverse("admin:activities_importjob_change", args=[visible.pk])).status_code == 200
        assert client.get(reverse("admin:activities_importjob_progress", args=[visible.pk])).status_code == 200
        assert client.get(reverse("admin:activities_importjob_change", args=[hidden.pk])).status_code == 404
        assert client.get(reverse("admin:activities_importjob_progress", args=[hidden.pk])).status_code == 404
    admin_list = admin_.get(changelist).content.decode()
    assert "karis.csv" in admin_list and "admins-for-7.csv" in admin_list


def test_the_uploader_sees_a_job_that_touched_no_organisation(client_for, org):
    kari = make_coordinator(client_for, "kari", org)
    job = post(kari, HEADER.encode() + b"x,org-nope,t,2026-01-01T00:00:00Z,1,Oslo,completed\n")
    run_queued_jobs()
    page = kari.get(reverse("admin:activities_importjob_change", args=[job.pk])).content.decode()
    assert "Nothing imported: bad rows." in page
    assert "is not one of your organisations" in page


def test_jobs_are_read_only_in_admin(admin_):
    job = post(admin_, rows_csv(2))
    assert admin_.get(reverse("admin:activities_importjob_add")).status_code == 403
    response = admin_.post(reverse("admin:activities_importjob_change", args=[job.pk]), {"status": "succeeded"})
    assert response.status_code in {200, 403, 405}
    job.refresh_from_db()
    assert job.status == "queued"
