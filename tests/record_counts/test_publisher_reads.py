"""The GRIP publisher's re-reads (record_counts.stream.read_changed_counts): exact counts
from the counting core, one statement on a connection the publisher's thread keeps, and
a fresh connection after a failed read."""

from __future__ import annotations

import datetime as dt

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, connections

from activities.counting import count_ranges
from activities.models import Organization
from activities.services import ActivityData, activity_create
from lib.timeranges import DateTimeRange
from record_counts import stream
from tests.conftest import postgres_only

pytestmark = pytest.mark.django_db(transaction=True)

YEAR = DateTimeRange(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
MARCH = DateTimeRange(dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 4, 1, tzinfo=dt.UTC))


def _add(org: Organization, month: int, day: int) -> None:
    activity_create(
        data=ActivityData(org=org, activity_type="t", recorded_at=dt.datetime(2026, month, day, 12, tzinfo=dt.UTC))
    )


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


read = async_to_sync(stream.read_changed_counts)
pid_in_publisher_thread = async_to_sync(
    stream._in_db_thread(_backend_pid, executor=stream._publisher_thread, keep=True)
)


@pytest.fixture(autouse=True)
def _close_the_kept_connection():
    """The publisher's thread keeps its connection: close it, or the test database
    cannot be dropped at the end of the run."""
    yield
    async_to_sync(sync_to_async(connections.close_all, thread_sensitive=False, executor=stream._publisher_thread))()


def test_the_publishers_reads_are_the_cores_exact_counts_and_follow_each_commit():
    org = Organization.objects.create(org_id="pub-reads", name="P")
    _add(org, 3, 2)
    _add(org, 7, 9)
    assert read(org.pk, [YEAR, MARCH]) == [2, 1] == count_ranges(org=org, ranges=[YEAR, MARCH])
    _add(org, 3, 31)  # no cache of an earlier state can answer the next read
    assert read(org.pk, [YEAR, MARCH]) == [3, 2]


@postgres_only
def test_the_publishers_thread_keeps_its_connection_and_takes_a_fresh_one_after_a_failed_read():
    first = pid_in_publisher_thread()
    assert pid_in_publisher_thread() == first  # kept between reads (no pool check, no reconnect)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [first])
    org = Organization.objects.create(org_id="pub-reads-2", name="P")
    _add(org, 3, 2)
    with pytest.raises(Exception):  # noqa: B017 (psycopg's or Django's OperationalError, by timing)
        read(org.pk, [YEAR])
    assert read(org.pk, [YEAR]) == [1]  # the hub's retry: on a fresh connection
    assert pid_in_publisher_thread() != first
