"""`manage.py import_activities` draws a progress bar on a terminal, and only there."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from activities.models import Activity
from tests.record_counts.server import ROOT, server_env

HEADER = "activity_id,org_id,activity_type,recorded_at,participant_count,location,status\n"


def write_rows(path: Path, count: int) -> Path:
    rows = "".join(
        f"act-{n},org-bufdir-42,peer_support,2026-01-01T{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z,"
        "1,Oslo,completed\n"
        for n in range(count)
    )
    path.write_text(HEADER + rows)
    return path


def command(path: Path) -> list[str]:
    return [sys.executable, "manage.py", "import_activities", str(path), "--batch-size", "500"]


@pytest.mark.django_db(transaction=True)
def test_a_terminal_gets_a_progress_bar(org, tmp_path):
    path = write_rows(tmp_path / "rows.csv", 3000)
    main, secondary = pty.openpty()
    proc = subprocess.Popen(command(path), cwd=ROOT, env=server_env(), stdout=secondary, stderr=subprocess.PIPE)
    os.close(secondary)
    output = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed: the command has ended
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    assert proc.wait(60) == 0, proc.stderr.read() if proc.stderr else ""
    text = output.decode()
    assert "\r[" in text and "%" in text and "checked" in text and "written" in text
    assert "3,000 checked  3,000 written" in text  # the last redraw is the final figure
    assert "Imported. 3,000 rows: 3,000 created" in text
    assert Activity.objects.count() == 3000


@pytest.mark.django_db(transaction=True)
def test_piped_output_has_no_progress_bar(org, tmp_path):
    path = write_rows(tmp_path / "rows.csv", 3000)
    proc = subprocess.run(command(path), cwd=ROOT, env=server_env(), capture_output=True, timeout=120, check=True)
    out = proc.stdout.decode()
    assert "\r" not in out and "\x1b" not in out and "checked" not in out
    assert out.strip() == "Imported. 3,000 rows: 3,000 created, 0 updated, 0 unchanged, 0 invalid"


def test_call_command_output_has_no_progress_bar(org, tmp_path):
    out = StringIO()
    call_command("import_activities", str(write_rows(tmp_path / "rows.csv", 1500)), stdout=out)
    assert out.getvalue().splitlines() == ["Imported. 1,500 rows: 1,500 created, 0 updated, 0 unchanged, 0 invalid"]
