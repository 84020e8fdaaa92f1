"""Settings come from the environment; production refuses to start without a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    clean.update(env)
    code = (
        "import bufdir_project.settings as s; print(s.DEBUG, s.REPORTING_TIME_ZONE, s.DATABASES['default']['ENGINE'])"
    )
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_secret_key_is_required_when_debug_is_off():
    result = load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_runs_without_a_secret_on_sqlite_by_default():
    result = load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "Europe/Oslo", "django.db.backends.sqlite3"]


def test_bad_values_are_clear_errors():
    assert "DEBUG must be a boolean" in load_settings(DEBUG="maybe").stderr
    assert "not a known time zone" in load_settings(DEBUG="1", REPORTING_TIME_ZONE="Mars/Olympus").stderr


def prefix_of(**env: str) -> str:
    code = "import bufdir_project.settings as s; print(repr(s.EVENTS_CHANNEL_PREFIX))"
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "EVENTS_CHANNEL_PREFIX"}}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean | env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return eval(done.stdout)  # noqa: S307 (our own repr)


def test_each_database_gets_its_own_events_channel_by_default():
    staging = prefix_of(SECRET_KEY="x", DATABASE_URL="postgres://u@db.example:5432/bufdir_staging")
    production = prefix_of(SECRET_KEY="x", DATABASE_URL="postgres://u@db.example:5432/bufdir")
    assert staging != production and staging.startswith("db-") and production.startswith("db-")
    assert prefix_of(SECRET_KEY="x", DATABASE_URL="postgres://u@db.example:5432/bufdir") == production  # stable


def test_an_explicit_events_prefix_wins():
    assert prefix_of(SECRET_KEY="x", EVENTS_CHANNEL_PREFIX="prod:") == "prod:"
    assert prefix_of(SECRET_KEY="x", EVENTS_CHANNEL_PREFIX="") == ""
