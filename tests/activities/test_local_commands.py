"""The commands behind `make run`: seed_demo (idempotent) and ensure_local_admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings

from activities.models import Activity, Organization
from aggregations.models import SubmittedPeriod


def run(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_seed_demo_loads_once_and_changes_nothing_the_second_time(db):
    run("seed_demo")
    first = (Organization.objects.count(), Activity.objects.count(), SubmittedPeriod.objects.count())
    assert first == (3, 3500, 3)
    out = run("seed_demo")
    assert "already present" in out
    assert (Organization.objects.count(), Activity.objects.count(), SubmittedPeriod.objects.count()) == first


@override_settings(DEBUG=True)
def test_ensure_local_admin_creates_then_resets_with_a_printed_password(db):
    out = run("ensure_local_admin")
    password = out.strip().rsplit(" ", 1)[-1]
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)
    again = run("ensure_local_admin").strip().rsplit(" ", 1)[-1]
    user.refresh_from_db()
    assert again != password and user.check_password(again)


def test_ensure_local_admin_refuses_outside_debug(db):
    with pytest.raises(CommandError, match="local development only"):
        run("ensure_local_admin")
    assert not get_user_model().objects.exists()
