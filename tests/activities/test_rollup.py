"""The rollup (activities.rollup): kept exact by the database on every write path, read
for the whole local days of long ranges, folded by compaction without changing a sum.

The oracle is the activities themselves: every count with the rollup must equal the
same count with ``COUNT_ROLLUP`` off (the covering index alone), and ``rollup.check``
compares the rollup with the activities per local day and key.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities import rollup, services
from activities.apps import _ensure_rollup_triggers
from activities.counting import GROUP_FIELDS, tally, tally_buckets
from activities.models import Activity, ActivityRollup, Organization
from lib.timeranges import DateTimeRange, local_dates_range
from tests.conftest import on_postgres, postgres_only

UTC = dt.UTC
TYPES = ("peer_support", "family_guidance")
STATUSES = ("completed", "planned", "cancelled")
PLACES = ("Oslo", "Bergen", "")
# Around the 2026 switches (29 March, 25 October), a year end and a leap day.
ANCHORS = [
    dt.datetime(2026, 3, 28, 22, tzinfo=UTC),
    dt.datetime(2026, 10, 24, 21, tzinfo=UTC),
    dt.datetime(2027, 12, 31, 23, tzinfo=UTC),
    dt.datetime(2028, 2, 28, 23, tzinfo=UTC),
]


def instants() -> st.SearchStrategy[dt.datetime]:
    return st.builds(
        lambda anchor, seconds: anchor + dt.timedelta(seconds=seconds),
        st.sampled_from(ANCHORS),
        st.sampled_from([-86400, -3601, -3600, -1, 0, 1, 3599, 3600, 7199, 7200, 86399, 86400, 200000])
        | st.integers(-5 * 86400, 5 * 86400),
    )


def ranges() -> st.SearchStrategy[DateTimeRange]:
    return st.builds(
        lambda a, b: DateTimeRange(min(a, b), max(a, b)),
        instants(),
        instants(),
    ) | st.builds(
        lambda anchor, before, after: local_dates_range(
            (anchor - dt.timedelta(days=before)).date(), (anchor + dt.timedelta(days=after)).date()
        ),
        st.sampled_from(ANCHORS),
        st.integers(0, 6),
        st.integers(0, 6),
    )


def without_rollup(call: Any) -> Any:
    with override_settings(COUNT_ROLLUP=False):
        return call()


def assert_rollup_agrees(orgs: list[Organization]) -> None:
    for org in orgs:
        assert rollup.check(org=org.pk) == []


def data(org: Organization, at: dt.datetime, i: int, **extra: Any) -> services.ActivityData:
    return services.ActivityData(
        org=org,
        activity_type=TYPES[i % 2],
        recorded_at=at,
        participant_count=i % 4,
        location=PLACES[i % 3],
        status=STATUSES[i % 3],
        **extra,
    )


# --- every write path keeps it exact ---------------------------------------------------


def test_every_write_path_keeps_the_rollup_exact(org, other_org):
    at = dt.datetime(2026, 3, 28, 22, 30, tzinfo=UTC)  # 23:30 in Oslo, the night of the switch
    created = services.activities_create(items=[data(org, at + dt.timedelta(hours=i), i) for i in range(8)])
    assert_rollup_agrees([org, other_org])
    services.activities_upsert(  # the import path (COPY on PostgreSQL), with updates and a move
        items=[data(org, at + dt.timedelta(minutes=i), i, activity_id=f"up-{i}") for i in range(5)]
        + [data(other_org, created[0].recorded_at, 3, activity_id=created[0].activity_id)]
    )
    assert_rollup_agrees([org, other_org])
    services.activity_update(
        activity=created[1], changes={"recorded_at": at - dt.timedelta(days=3), "status": "planned"}
    )
    services.activity_update(activity=created[2], changes={"org": other_org, "participant_count": 11})
    services.activity_update(activity=created[3], changes={"location": "Tromsø"})
    services.activities_delete(activities=created[4:6])
    assert_rollup_agrees([org, other_org])
    # Paths that bypass the services: a queryset update, raw SQL, a bulk delete.
    Activity.objects.filter(org=org, activity_type="peer_support").update(participant_count=7, status="completed")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE activities_activity SET recorded_at = %s WHERE activity_id = %s",
            [at + dt.timedelta(days=40), created[6].activity_id],
        )
    Activity.objects.filter(activity_id__startswith="up-3").delete()
    assert_rollup_agrees([org, other_org])
    assert ActivityRollup.objects.filter(org=org).exists()


def test_a_rolled_back_write_leaves_no_rollup_row(org):
    before = ActivityRollup.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.activity_create(data=data(org, dt.datetime(2026, 5, 1, tzinfo=UTC), 1))
        raise RuntimeError
    assert ActivityRollup.objects.count() == before
    assert_rollup_agrees([org])


def test_an_unchanged_save_appends_nothing(org, make_activity):
    activity = make_activity(org, "2026-05-01T10:00:00Z")
    before = ActivityRollup.objects.count()
    activity.save()
    services.activity_update(activity=activity, changes={"participant_count": activity.participant_count})
    assert ActivityRollup.objects.count() == before


def test_sqlite_triggers_come_back_after_a_table_rebuild_dropped_them(org):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL keeps a table's triggers when it alters the table")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER activities_rollup_insert")
    services.activity_create(data=data(org, dt.datetime(2026, 5, 1, tzinfo=UTC), 1))
    assert rollup.check(org=org.pk) != []  # without the trigger the rollup misses the row
    _ensure_rollup_triggers(using="default")  # what post_migrate runs
    assert rollup.rebuild(org=org.pk) == 1
    services.activity_create(data=data(org, dt.datetime(2026, 5, 2, tzinfo=UTC), 2))
    assert_rollup_agrees([org])


# --- reads with the rollup equal reads without -----------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    times=st.lists(instants(), min_size=1, max_size=25),
    deletions=st.lists(st.integers(0, 24), max_size=5),
    asked=st.lists(ranges(), min_size=1, max_size=6),
    interval=st.sampled_from(["day", "week", "month", "quarter", "year"]),
    group_by=st.sampled_from([(), ("activity_type",), ("status", "location"), GROUP_FIELDS]),
    compact=st.booleans(),
)
def test_counts_with_the_rollup_equal_counts_from_the_activities(
    org, times, deletions, asked, interval, group_by, compact
):
    Activity.objects.filter(org=org).delete()
    created = services.activities_create(items=[data(org, at, i) for i, at in enumerate(times)])
    services.activities_delete(activities=[created[i] for i in deletions if i < len(created)])
    if compact:
        rollup.compact(orgs=[org.pk])
    assert_rollup_agrees([org])
    assert tally(org=org, ranges=asked, group_by=group_by) == without_rollup(
        lambda: tally(org=org, ranges=asked, group_by=group_by)
    )
    for r in asked:
        assert tally_buckets(org=org, time_range=r, interval=interval, group_by=group_by) == without_rollup(
            lambda r=r: tally_buckets(org=org, time_range=r, interval=interval, group_by=group_by)
        )


def test_a_long_range_reads_whole_days_from_the_rollup(org, make_activity):
    # 23:59:59.5 on the last local day is in the tail edge; the rollup holds the rest.
    for at in ("2026-01-01T00:00:00Z", "2026-02-10T12:00:00Z", "2026-03-31T21:59:59.5Z", "2026-03-31T22:00:00Z"):
        make_activity(org, at)
    q1 = local_dates_range(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    part = rollup.split(q1)
    assert part is not None and part.head is None and part.tail is None  # whole local days only
    ActivityRollup.objects.filter(org=org).update(activity_count=100)  # what a read of the rollup would show
    assert tally(org=org, ranges=[q1])[0].activity_count == 300
    assert without_rollup(lambda: tally(org=org, ranges=[q1])[0].activity_count) == 3


@pytest.mark.django_db
def test_short_ranges_and_sub_second_heads_read_the_activities_alone():
    day = local_dates_range(dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert rollup.split(day) is None  # one whole day: the index is as cheap
    midnight = dt.datetime(2026, 3, 1, 23, tzinfo=UTC)  # 2 March 00:00 in Oslo
    assert rollup.split(DateTimeRange(midnight - dt.timedelta(microseconds=1), midnight + dt.timedelta(days=9))) is None
    with override_settings(COUNT_ROLLUP=False):
        assert rollup.split(local_dates_range(dt.date(2026, 1, 1), dt.date(2026, 12, 31))) is None


@override_settings(REPORTING_TIME_ZONE="America/New_York")
def test_a_zone_whose_midnights_are_not_segment_boundaries_reads_the_activities(org, make_activity):
    assert not rollup.aligned_year(2026)
    year = local_dates_range(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert rollup.split(year) is None
    make_activity(org, "2026-06-01T03:30:00Z")  # 31 May in New York
    rollup.compact(orgs=[org.pk])
    assert ActivityRollup.objects.get(org=org).starts_at == dt.datetime(2026, 6, 1, tzinfo=UTC)  # stays a segment
    assert tally_buckets(org=org, time_range=year, interval="month")[dt.date(2026, 5, 1)].activity_count == 1


def test_oslo_is_aligned_on_every_year_of_the_supported_window():
    assert all(rollup.aligned_year(year) for year in range(1900, 2200))


# --- compaction and repair -------------------------------------------------------------


def test_compaction_folds_rows_per_local_day_and_keeps_every_sum(org, other_org):
    at = dt.datetime(2026, 10, 24, 21, 30, tzinfo=UTC)  # 23:30 in Oslo before the 25-hour day
    for i in range(30):
        services.activity_create(data=data(org if i % 5 else other_org, at + dt.timedelta(hours=i), i))
    doomed = Activity.objects.filter(org=org).order_by("pk")[:3]
    services.activities_delete(activities=list(doomed))
    year = local_dates_range(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    before = tally_buckets(org=org, time_range=year, interval="day", group_by=GROUP_FIELDS)
    rows = ActivityRollup.objects.count()
    removed = rollup.compact()
    assert removed > 0 and ActivityRollup.objects.count() == rows - removed
    assert rollup.compact() == 0  # already compact
    assert tally_buckets(org=org, time_range=year, interval="day", group_by=GROUP_FIELDS) == before
    starts = set(ActivityRollup.objects.values_list("starts_at", flat=True))
    assert starts <= {dt.datetime(2026, 10, d, 22, tzinfo=UTC) for d in (23, 24)} | {
        dt.datetime(2026, 10, d, 23, tzinfo=UTC) for d in (25, 26)
    }  # local midnights of 24-26 October (summer time ends on the 25th)
    assert not ActivityRollup.objects.filter(activity_count=0).exists()
    assert_rollup_agrees([org, other_org])
    # Incremental: a new write is folded into its day's row; nothing else is read.
    folded = ActivityRollup.objects.filter(folded=True).count()
    services.activity_create(data=data(org, at + dt.timedelta(hours=5), 5))  # a key that is there already
    with CaptureQueriesContext(connection) as queries:
        assert rollup.compact() == 1  # the new row and the old one became one
    assert ActivityRollup.objects.filter(folded=True).count() == folded
    assert not ActivityRollup.objects.filter(folded=False).exists()
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert all('"folded"' in sql for sql in reads), reads  # only new rows, and the folded rows of their keys
    assert_rollup_agrees([org, other_org])


def test_check_finds_a_damaged_rollup_and_rebuild_repairs_it(org, make_activity):
    make_activity(org, "2026-05-01T10:00:00Z")
    make_activity(org, "2026-05-03T10:00:00Z", participant_count=3)
    ActivityRollup.objects.filter(org=org).delete()  # damage: what a manual edit could do
    problems = rollup.check(org=org.pk)
    assert [(key[0].date(), rolled, counted) for key, rolled, counted in problems] == [
        (dt.date(2026, 4, 30), [0, 0], [1, 0]),  # local midnights, in UTC
        (dt.date(2026, 5, 2), [0, 0], [1, 3]),
    ]
    assert rollup.rebuild(org=org.pk) == 2
    assert_rollup_agrees([org])


# --- PostgreSQL: nobody waits on the rollup --------------------------------------------


def _in_thread(target: Any) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_compaction_and_writers_never_wait_for_each_other_and_lose_nothing():
    org = Organization.objects.create(org_id="org-rollup-pg", name="Rollup")
    at = dt.datetime(2026, 6, 1, 10, tzinfo=UTC)
    services.activities_create(items=[data(org, at + dt.timedelta(minutes=i), i) for i in range(50)])
    writing, written = threading.Event(), threading.Event()

    def open_writer() -> None:  # a write that commits only after compaction ran
        with transaction.atomic():
            services.activity_create(data=data(org, at + dt.timedelta(days=1), 1))
            writing.set()
            assert written.wait(10)

    thread, errors = _in_thread(open_writer)
    assert writing.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")  # compaction must not wait for the open writer
    rollup.compact(orgs=[org.pk])
    written.set()
    thread.join(10)
    assert not errors, errors
    starts = set(ActivityRollup.objects.filter(org=org).values_list("starts_at", flat=True))
    assert starts == {dt.datetime(2026, 5, 31, 22, tzinfo=UTC), dt.datetime(2026, 6, 2, 0, tzinfo=UTC)}
    # the compacted local day of 1 June, and the open writer's segment row, kept as it was

    locked, release = threading.Event(), threading.Event()

    def hold_compaction_locks() -> None:  # a compaction in progress, holding its row locks
        with transaction.atomic():
            list(ActivityRollup.objects.select_for_update().filter(org=org))
            locked.set()
            assert release.wait(10)

    thread, errors = _in_thread(hold_compaction_locks)
    assert locked.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")  # the writer must not wait for it
    services.activities_create(items=[data(org, at + dt.timedelta(days=2, minutes=i), i) for i in range(5)])
    services.activities_delete(activities=list(Activity.objects.filter(org=org)[:3]))
    release.set()
    thread.join(10)
    assert not errors, errors
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")
    assert rollup.check(org=org.pk) == []
    assert rollup.compact(orgs=[org.pk]) > 0
    assert rollup.check(org=org.pk) == []
    assert Activity.objects.filter(org=org).count() == 53


@pytest.mark.django_db
def test_the_rollup_is_written_by_the_database_on_this_vendor():
    assert connection.vendor in {"sqlite", "postgresql"}
    if on_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'activities_activity'::regclass")
            names = {row[0] for row in cursor.fetchall()}
    else:
        names = {
            row[0]
            for row in connection.cursor().execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
        }
    assert {"activities_rollup_insert", "activities_rollup_update", "activities_rollup_delete"} <= names


# --- manage.py rollup ------------------------------------------------------------------


def test_the_rollup_command_checks_compacts_and_repairs(org, make_activity):
    from io import StringIO

    from django.core.management import CommandError, call_command

    make_activity(org, "2026-05-01T10:00:00Z")
    make_activity(org, "2026-05-01T11:00:00Z")
    out = StringIO()
    call_command("rollup", "--check", stdout=out)
    assert "matches the activities" in out.getvalue()
    call_command("rollup", "--compact", "--org", org.org_id, stdout=out)
    assert "1 of 2 rows folded" in out.getvalue()
    ActivityRollup.objects.filter(org=org).update(activity_count=5)
    with pytest.raises(CommandError, match="rollup --rebuild --org ORG"):
        call_command("rollup", "--check", stdout=out)
    assert "rollup 5 (0 participants), activities 2 (0)" in out.getvalue()
    with pytest.raises(CommandError, match="needs --org"):
        call_command("rollup", "--rebuild")
    with pytest.raises(CommandError, match="Unknown organisation: org-nope"):
        call_command("rollup", "--check", "--org", "org-nope")
    call_command("rollup", "--rebuild", "--org", org.org_id, stdout=out)
    call_command("rollup", "--check", "--org", org.org_id, stdout=out)
    assert out.getvalue().rstrip().endswith("matches the activities of 1 organisation(s).")


def test_ranges_at_the_edges_of_what_dates_hold_read_the_activities(org, make_activity):
    # Rows stored before the supported window existed (issue 12): a range ending in
    # 9999 has no local day after it; it is counted from the index, not a 500.
    make_activity(org, "2026-05-01T10:00:00Z")
    far = DateTimeRange(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(9999, 12, 31, 23, 59, 58, tzinfo=UTC))
    early = DateTimeRange(dt.datetime(1, 1, 1, tzinfo=UTC), dt.datetime(2026, 12, 31, tzinfo=UTC))
    assert rollup.split(far) is None and rollup.split(early) is None
    assert [t.activity_count for t in tally(org=org, ranges=[far, early])] == [1, 1]


def test_a_flush_in_any_table_order_leaves_no_rollup_row(org, make_activity):
    # Django's test flush on SQLite deletes each table's rows in no set order: the worst
    # one leaves a -1 for a gone organisation, which post_migrate (sent by flush) removes.
    # PostgreSQL's flush is a TRUNCATE, which fires no trigger.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL flushes with TRUNCATE, which fires no trigger")
    make_activity(org, "2026-05-01T10:00:00Z")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM activities_activityrollup")
        cursor.execute("DELETE FROM activities_activitychange")
        cursor.execute("DELETE FROM activities_organization")  # the foreign keys are deferred
        cursor.execute("DELETE FROM activities_activity")  # its trigger writes a -1 for a gone organisation
    assert ActivityRollup.objects.exists()
    _ensure_rollup_triggers(using="default")  # what flush's post_migrate runs
    assert not ActivityRollup.objects.exists()
