"""`manage.py import_activities`: validate everything first, upsert, keep live counts right."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from activities.models import Activity
from record_counts.models import CountSnapshot
from tests.conftest import live_count

HEADER = "activity_id,org_id,activity_type,recorded_at,participant_count,location,status\n"


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_activities", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def csv_file(tmp_path, org, other_org):
    path = tmp_path / "activities.csv"
    path.write_text(
        HEADER
        + "act-1,org-bufdir-42,family_guidance,2026-01-15T10:30:00Z,4,Oslo,completed\n"
        + "act-2,org-bufdir-42,peer_support,2026-03-31T23:59:59.5Z,1,Bergen,planned\n"
        + ",org-bufdir-7,peer_support,2026-02-01T12:00:00+01:00,,,\n"
    )
    return path


def test_imports_a_csv_file(csv_file):
    out, _ = run(csv_file)
    assert "3 created, 0 updated, 0 unchanged, 0 invalid" in out
    assert Activity.objects.count() == 3
    one = Activity.objects.get(activity_id="act-1")
    assert (one.participant_count, one.location, one.status) == (4, "Oslo", "completed")
    generated = Activity.objects.get(org__org_id="org-bufdir-7")
    assert generated.activity_id.startswith("act-imp-")
    assert generated.recorded_at == dt.datetime(2026, 2, 1, 11, tzinfo=dt.UTC)
    assert (generated.participant_count, generated.status) == (0, "completed")


def test_reimporting_the_same_file_changes_nothing(csv_file):
    run(csv_file)
    before = list(Activity.objects.order_by("activity_id").values())
    out, _ = run(csv_file)
    assert "0 created, 0 updated, 3 unchanged" in out
    assert list(Activity.objects.order_by("activity_id").values()) == before


def test_a_changed_row_updates_the_activity(csv_file, tmp_path):
    run(csv_file)
    changed = tmp_path / "changed.csv"
    changed.write_text(HEADER + "act-1,org-bufdir-42,family_guidance,2026-01-15T10:30:00Z,9,Oslo,cancelled\n")
    out, _ = run(changed)
    assert "0 created, 1 updated" in out
    assert Activity.objects.get(activity_id="act-1").participant_count == 9


def test_bad_rows_are_all_reported_by_line_and_nothing_is_imported(tmp_path, org):
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER
        + "act-1,org-bufdir-42,family_guidance,2026-01-15T10:30:00Z,4,Oslo,completed\n"
        + "act-2,org-nope,family_guidance,2026-01-15T10:30:00Z,4,Oslo,completed\n"
        + "act-3,org-bufdir-42,family_guidance,2026-01-15T10:30:00,4,Oslo,completed\n"
        + "act-4,org-bufdir-42,family_guidance,2026-01-15T10:30:00Z,-2,Oslo,done\n"
    )
    with pytest.raises(CommandError, match="3 bad rows"):
        run(path)
    assert not Activity.objects.exists()


def test_bad_rows_messages_name_line_and_reason(tmp_path, org, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "act-2,org-nope,family_guidance,2026-01-15T10:30:00Z,4,Oslo,completed\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_activities", str(path), stdout=StringIO(), stderr=err)
    assert "line 2: org_id: unknown organisation 'org-nope'" in err.getvalue()


def test_skip_invalid_imports_the_good_rows(tmp_path, org):
    path = tmp_path / "mixed.csv"
    path.write_text(
        HEADER
        + "act-1,org-bufdir-42,family_guidance,2026-01-15T10:30:00Z,4,Oslo,completed\n"
        + "act-2,org-bufdir-42,family_guidance,yesterday,4,Oslo,completed\n"
    )
    out, err = run(path, "--skip-invalid")
    assert "1 created" in out and "1 invalid" in out
    assert "line 3: recorded_at" in err
    assert list(Activity.objects.values_list("activity_id", flat=True)) == ["act-1"]


def test_json_lines_with_a_broken_line(tmp_path, org):
    path = tmp_path / "activities.jsonl"
    good = {"org_id": "org-bufdir-42", "activity_type": "peer_support", "recorded_at": "2026-01-01T00:00:00Z"}
    path.write_text(json.dumps(good) + "\n{not json\n[1]\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_activities", str(path), stdout=StringIO(), stderr=err)
    assert "line 2: not valid JSON" in err.getvalue()
    assert "line 3: each line must be a JSON object" in err.getvalue()
    assert not Activity.objects.exists()


def test_dry_run_writes_nothing(csv_file):
    out, _ = run(csv_file, "--dry-run")
    assert "Dry run" in out
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.txt", "whatever", "Cannot tell the format"),
        ("x.csv", "", "needs a header row"),
        ("x.csv", "org_id,colour\n", "Unknown CSV columns: colour"),
        ("x.csv", "org_id,activity_type\n", "Missing CSV columns: recorded_at"),
    ],
)
def test_unusable_files_are_clear_errors(tmp_path, db, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run(path)


def test_missing_file_is_a_clear_error(tmp_path, db):
    with pytest.raises(CommandError, match="Cannot open"):
        run(tmp_path / "nope.csv")


def test_count_snapshots_stay_exact_across_imports(csv_file, org, tmp_path):
    q1 = CountSnapshot.objects.create(
        org=org,
        range_start=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        range_end=dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=dt.UTC),
        snapshot_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    run(csv_file)
    assert live_count(q1) == 2
    moved = tmp_path / "moved.csv"
    moved.write_text(HEADER + "act-2,org-bufdir-42,peer_support,2026-04-01T00:00:00Z,1,Bergen,planned\n")
    run(moved)
    assert live_count(q1) == 1 == Activity.objects.for_org(org).in_range(q1.time_range).count()


def test_batches_smaller_than_the_file(tmp_path, org):
    path = tmp_path / "many.csv"
    rows = "".join(
        f"act-{n},org-bufdir-42,peer_support,2026-01-01T00:00:{n % 60:02d}Z,1,Oslo,completed\n" for n in range(25)
    )
    path.write_text(HEADER + rows)
    out, _ = run(path, "--batch-size", "10")
    assert "25 created" in out
    assert Activity.objects.count() == 25
