"""Log lines carry UTC times with a Z, like the API, though the process runs in Oslo time."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import subprocess
import sys

from lib.logs import UTCFormatter
from tests.project.test_settings import ROOT

STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ")


def test_the_formatter_stamps_utc_with_z_and_milliseconds():
    record = logging.LogRecord("bufdir.test", logging.WARNING, __file__, 1, "count %s", (318,), None)
    # 03:30:00.25 in Oslo on the autumn DST day happens twice; in UTC it is one instant.
    record.created = dt.datetime(2026, 10, 25, 1, 30, 0, 250_000, tzinfo=dt.UTC).timestamp()
    formatter = UTCFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    assert formatter.format(record) == "2026-10-25T01:30:00.250Z WARNING bufdir.test count 318"


def test_a_django_process_logs_in_utc_though_its_local_zone_is_oslo():
    code = (
        "import django, logging, time; django.setup();"
        "print(time.strftime('%Z'));"
        "logging.getLogger('bufdir.test').warning('hello')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bufdir_project.settings", "DEBUG": "1", "LOG_LEVEL": "INFO"}
    before = dt.datetime.now(dt.UTC)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    after = dt.datetime.now(dt.UTC)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {"CET", "CEST"}  # Django set the process's zone to TIME_ZONE
    line = result.stderr.strip().splitlines()[-1]
    match = STAMP.match(line)
    assert match, line
    assert line.endswith(" WARNING bufdir.test hello")
    stamp = dt.datetime.fromisoformat(match[1].replace("Z", "+00:00"))
    assert before - dt.timedelta(seconds=1) <= stamp <= after + dt.timedelta(seconds=1)
