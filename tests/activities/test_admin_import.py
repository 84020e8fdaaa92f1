"""Admin "Import activities": an upload becomes a job, run through the same import as the command.

``upload`` posts the file, runs the queued job through the real worker and returns the
job's page (or the form, when the form refused the upload).
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from activities.coordinators import ensure_coordinators_group
from activities.models import Activity, ImportJob
from tests.activities._jobs import english_client_for, upload

URL = reverse("admin:activities_activity_import")
HEADER = "activity_id,org_id,activity_type,recorded_at,participant_count,location,status\n"
GOOD = (
    HEADER
    + "act-1,org-bufdir-42,family_guidance,2026-01-15T10:30:00Z,4,Oslo,completed\n"
    + "act-2,org-bufdir-7,peer_support,2026-03-31T23:59:59Z,1,Bergen,planned\n"
)


@pytest.fixture
def client_for(client_for):  # type: ignore[no-untyped-def]
    return english_client_for(client_for)  # this module's pages are asserted in English


@pytest.fixture
def admin_(admin_user, client_for, org, other_org):
    return client_for(admin_user)


def test_changelist_links_the_import_page(admin_):
    html = admin_.get(reverse("admin:activities_activity_changelist")).content.decode()
    assert f'href="{URL}"' in html
    assert "Import activities" in html


def test_import_page_opens(admin_):
    response = admin_.get(URL)
    assert response.status_code == 200
    assert b'enctype="multipart/form-data"' in response.content
    assert b"Skip invalid rows" in response.content


def test_upload_becomes_a_job_and_redirects_to_its_page(admin_):
    response = admin_.post(URL, {"file": SimpleUploadedFile("activities.csv", GOOD.encode())})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:activities_importjob_change", args=[job.pk])
    assert job.status == "queued"
    assert job.file_name == "activities.csv"
    assert job.file_size == len(GOOD)
    assert job.file.storage.exists(job.file.name)  # stored, not in memory, until the job reads it
    assert not Activity.objects.exists()


def test_upload_imports_and_says_how_many(admin_):
    response = upload(admin_, GOOD)
    html = response.content.decode()
    assert "<strong>Imported.</strong> 2 rows: 2 created, 0 updated, 0 unchanged, 0 invalid." in html
    assert set(Activity.objects.values_list("activity_id", flat=True)) == {"act-1", "act-2"}


def test_reimport_changes_nothing(admin_):
    upload(admin_, GOOD)
    before = list(Activity.objects.order_by("activity_id").values())
    response = upload(admin_, GOOD)
    assert "0 created, 0 updated, 2 unchanged" in response.content.decode()
    assert list(Activity.objects.order_by("activity_id").values()) == before


def test_json_lines_upload(admin_):
    rows = [
        {"org_id": "org-bufdir-42", "activity_type": "peer_support", "recorded_at": "2026-01-01T00:00:00Z"},
        {"org_id": "org-bufdir-7", "activity_type": "peer_support", "recorded_at": "2026-01-02T00:00:00Z"},
    ]
    response = upload(admin_, "".join(json.dumps(r) + "\n" for r in rows), name="rows.jsonl")
    assert "2 created" in response.content.decode()
    assert Activity.objects.count() == 2


def test_bad_rows_are_listed_by_line_and_nothing_is_written(admin_):
    content = (
        GOOD
        + "act-3,org-nope,family_guidance,2026-01-15T10:30:00Z,4,Oslo,completed\n"
        + "act-4,org-bufdir-42,family_guidance,yesterday,4,Oslo,done\n"
    )
    response = upload(admin_, content)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing imported: bad rows." in html
    assert "Bad rows (2)" in html
    assert "<td>4</td><td>org_id: unknown organisation &#x27;org-nope&#x27;</td>" in html
    assert "<td>5</td><td>recorded_at:" in html
    assert "status: must be one of" in html
    assert not Activity.objects.exists()


def test_skip_invalid_imports_the_good_rows(admin_):
    content = GOOD + "act-3,org-bufdir-42,family_guidance,yesterday,4,Oslo,completed\n"
    response = upload(admin_, content, skip_invalid="on")
    html = response.content.decode()
    assert "<strong>Imported.</strong> 3 rows: 2 created, 0 updated, 0 unchanged, 1 invalid (skipped)." in html
    assert "<td>4</td><td>recorded_at:" in html  # the skipped row is still listed
    assert set(Activity.objects.values_list("activity_id", flat=True)) == {"act-1", "act-2"}


def test_dry_run_writes_nothing(admin_):
    response = upload(admin_, GOOD, dry_run="on")
    assert "<strong>Checked, nothing written.</strong> 2 rows" in response.content.decode()
    assert not Activity.objects.exists()


@pytest.fixture
def coordinator(org, other_org, client_for):
    user = get_user_model().objects.create_user("kari", password="pw-unused", is_staff=True)
    user.groups.add(ensure_coordinators_group())  # also after a transactional test flushed it
    org.coordinators.add(user)
    return client_for(user)


def test_coordinator_imports_only_into_their_organisations(coordinator):
    response = upload(coordinator, GOOD)
    html = response.content.decode()
    assert "Nothing imported: bad rows." in html
    assert "Bad row (1)" in html
    assert "<td>3</td><td>org_id: &#x27;org-bufdir-7&#x27; is not one of your organisations</td>" in html
    assert not Activity.objects.exists()
    response = upload(coordinator, GOOD, skip_invalid="on")
    assert list(Activity.objects.values_list("activity_id", flat=True)) == ["act-1"]


def test_coordinator_cannot_take_over_another_organisations_activity(coordinator, other_org, make_activity):
    theirs = make_activity(other_org, "2026-01-10T10:00:00Z", activity_id="act-theirs")
    content = HEADER + "act-theirs,org-bufdir-42,family_guidance,2026-01-15T10:30:00Z,4,Oslo,completed\n"
    html = upload(coordinator, content).content.decode()
    assert "<td>2</td><td>activity_id: &#x27;act-theirs&#x27; belongs to another organisation</td>" in html
    theirs.refresh_from_db()
    assert theirs.org_id == other_org.pk
    assert theirs.participant_count == 0


def test_coordinator_scope_in_the_page(coordinator):
    html = coordinator.get(URL).content.decode()
    assert "<code>org-bufdir-42</code>" in html
    assert "org-bufdir-7" not in html


def test_no_add_permission_is_refused(client_for, org):
    user = get_user_model().objects.create_user("viewer", password="pw-unused", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_activity"))
    client = client_for(user)
    assert client.get(URL).status_code == 403
    assert upload(client, GOOD).status_code == 403
    assert not Activity.objects.exists()
    assert not ImportJob.objects.exists()
    changelist = client.get(reverse("admin:activities_activity_changelist")).content.decode()
    assert "Import activities" not in changelist


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_no_file_is_a_form_error(admin_):
    response = admin_.post(URL, {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("activities.txt", b"org_id", "Cannot tell the format of activities.txt"),
        ("activities.xlsx", b"PK\x03\x04", "The file is not a readable Excel workbook (.xlsx)"),
        ("activities.csv", b"\xff\xfe\x00b\x00a\x00d", "The file is UTF-16 text"),
        ("activities.csv", b"", "The submitted file is empty."),
        ("activities.csv", b"org_id,colour\n", "Unknown CSV columns: colour"),
        ("activities.csv", HEADER.encode() + b'"' + b"x" * 200_000 + b'"\n', "Unreadable CSV at data row 1"),
    ],
)
def test_unusable_files_are_clear_errors(admin_, name, content, message):
    response = upload(admin_, content, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Activity.objects.exists()
    for job in ImportJob.objects.all():  # the form refuses an empty file before any job
        assert (job.status, job.outcome) == ("failed", "failed")
        assert message in job.message
        assert not job.file  # the stored upload is gone once read


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_big_upload_is_read_from_its_temporary_file(admin_):
    rows = "".join(
        f"act-{n},org-bufdir-42,peer_support,2026-01-01T00:{n // 60:02d}:{n % 60:02d}Z,1,Oslo,completed\n"
        for n in range(300)
    )
    content = (HEADER + rows).encode()
    assert len(content) > 1024  # spooled to disk by Django's TemporaryFileUploadHandler
    response = upload(admin_, content)
    assert "300 created" in response.content.decode()
    assert Activity.objects.count() == 300
