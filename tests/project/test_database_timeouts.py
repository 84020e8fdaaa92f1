"""Database time limits: the settings that set them, and how commands lift them (docs/operations.md)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from activities.importing import ImportResult
from activities.management.commands import import_activities as import_command
from lib.db import CLIENT_MARGIN, current_deadline, long_running
from tests.conftest import postgres_only

ROOT = Path(__file__).resolve().parents[2]


def database_options(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DB_") and k != "DATABASE_URL"}
    clean.update(SECRET_KEY="x", **env)
    code = (
        "import json, bufdir_project.settings as s; o = dict(s.DATABASES['default']['OPTIONS']);"
        "o.get('pool', {}).pop('connection_class', None); print(json.dumps(o))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_postgres_connections_carry_the_time_limits_and_keepalives():
    options = database_options(DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert options["options"] == (
        "-c statement_timeout=10000 -c lock_timeout=5000 -c idle_in_transaction_session_timeout=60000"
    )
    assert (options["keepalives"], options["keepalives_idle"], options["keepalives_interval"]) == (1, 10, 5)
    assert (options["keepalives_count"], options["tcp_user_timeout"]) == (3, 25000)


def test_the_limits_come_from_the_environment_and_keep_options_of_the_url():
    options = database_options(
        DATABASE_URL="postgres://u@127.0.0.1:5432/x?options=-c%20search_path%3Dreporting&keepalives_idle=60",
        DB_STATEMENT_TIMEOUT="20",
        DB_LOCK_TIMEOUT="0",
        DB_IDLE_IN_TRANSACTION_TIMEOUT="300",
        DB_TCP_USER_TIMEOUT="40",
    )
    assert options["options"] == (
        "-c search_path=reporting -c statement_timeout=20000 -c lock_timeout=0"
        " -c idle_in_transaction_session_timeout=300000"
    )
    assert options["keepalives_idle"] == 60  # the URL's own value wins
    assert options["tcp_user_timeout"] == 40000


def test_sqlite_gets_none_of_it():
    options = database_options()
    assert "options" not in options and "keepalives" not in options


def test_the_client_deadline_follows_the_statement_timeout(settings):
    settings.DB_STATEMENT_TIMEOUT = 7
    assert current_deadline() == 7 + CLIENT_MARGIN
    settings.DB_STATEMENT_TIMEOUT = 0
    assert current_deadline() == 0  # no server limit, no client one


def test_long_running_is_harmless_on_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path")
    with long_running():
        assert current_deadline() == 0
    assert current_deadline() == settings.DB_STATEMENT_TIMEOUT + CLIENT_MARGIN


def show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@postgres_only
def test_long_running_lifts_the_web_limits_for_the_session_and_restores_them(db):
    web = (show("statement_timeout"), show("lock_timeout"))
    assert web == (f"{settings.DB_STATEMENT_TIMEOUT}s", f"{settings.DB_LOCK_TIMEOUT}s")
    with long_running():  # DB_COMMAND_STATEMENT_TIMEOUT: 0, no limit
        assert (show("statement_timeout"), show("lock_timeout")) == ("0", "0")
        assert current_deadline() == 0
        assert show("idle_in_transaction_session_timeout") == "1min"  # stays: a stuck command must not hold locks
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.1)")
    with long_running(30):
        assert (show("statement_timeout"), show("lock_timeout")) == ("30s", "30s")
        assert current_deadline() == 30 + CLIENT_MARGIN
    assert (show("statement_timeout"), show("lock_timeout")) == web  # a pooled connection keeps no lifted limit
    assert current_deadline() == settings.DB_STATEMENT_TIMEOUT + CLIENT_MARGIN


@pytest.mark.postgres
@postgres_only
def test_the_import_command_runs_without_the_web_statement_timeout(db, tmp_path, monkeypatch):
    seen: list[str] = []

    def fake_import(**kwargs):
        seen.append(show("statement_timeout"))
        return ImportResult(dry_run=True)

    monkeypatch.setattr(import_command, "import_activities", fake_import)
    path = tmp_path / "rows.csv"
    path.write_text("activity_id\n")
    call_command("import_activities", str(path), "--dry-run")
    assert seen == ["0"]
    assert show("statement_timeout") == f"{settings.DB_STATEMENT_TIMEOUT}s"


@pytest.mark.postgres
@postgres_only
def test_reaggregate_runs_without_the_web_statement_timeout(db, monkeypatch):
    from aggregations.management.commands import reaggregate

    seen: list[str] = []

    @contextlib.contextmanager
    def busy(name):
        seen.append(show("statement_timeout"))
        yield False  # "another run is working": the command stops here

    monkeypatch.setattr(reaggregate, "single_run", busy)
    call_command("reaggregate", "--all", stdout=io.StringIO())
    assert seen == ["0"]
    assert show("statement_timeout") == f"{settings.DB_STATEMENT_TIMEOUT}s"
