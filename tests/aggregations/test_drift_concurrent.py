"""PostgreSQL: a write that was running when a period was submitted, and committed after,
is a change since submission, whatever time its history event carries."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.db import connections, transaction

from activities import services
from activities.models import Organization
from aggregations.evidence import recent_changes
from aggregations.models import SubmittedPeriod
from aggregations.services import period_submit
from tests.conftest import postgres_only

UTC = dt.UTC


def _activity(org: Organization, activity_id: str) -> services.ActivityData:
    return services.ActivityData(
        org=org,
        activity_type="peer_support",
        recorded_at=dt.datetime(2026, 1, 15, 10, tzinfo=UTC),
        activity_id=activity_id,
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_write_committed_after_the_submission_read_is_a_change_since_submission() -> None:
    org = Organization.objects.create(org_id="org-drift-race", name="Race")
    services.activity_create(data=_activity(org, "act-before"))
    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:  # like a long import: writes, then commits later
        try:
            with transaction.atomic():
                services.activity_create(data=_activity(org, "act-during"))
                written.set()
                assert release.wait(10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(10)
    time.sleep(1.1)  # the write's history time is now a whole second before the submission
    period = period_submit(
        org=org, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 1, 31), submitted_by="kari"
    )
    release.set()
    thread.join(10)
    assert not errors, errors
    assert period.activity_count == 1  # the running write was not in the read
    period = SubmittedPeriod.objects.get(pk=period.pk)
    changes = recent_changes(period)
    assert [(e.activity_id, e.action) for e in changes.newest] == [("act-during", "create")]
    assert changes.newest[0].at < period.submitted_at  # its time says "before"
    by_time = SubmittedPeriod.objects.get(pk=period.pk)
    by_time.read_snapshot = ""  # what time alone would say: it misses the write
    assert recent_changes(by_time).total == 0
    # A later write is a change too; the one before the submission is not.
    services.activity_update(activity=org.activities.get(activity_id="act-before"), changes={"participant_count": 4})
    period = SubmittedPeriod.objects.get(pk=period.pk)
    assert sorted(e.activity_id for e in recent_changes(period).newest) == ["act-before", "act-during"]


def test_the_snapshot_is_taken_only_on_postgresql(org: Any, db: Any) -> None:
    from django.db import connection

    period = period_submit(
        org=org, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 1, 31), submitted_by="kari"
    )
    assert bool(period.read_snapshot) == (connection.vendor == "postgresql")
