"""`manage.py reaggregate`: selection, batching, summary, exit code, one run at a time."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import Activity
from aggregations.models import AggregationSnapshot
from lib.locks import single_run
from record_counts.models import CountSnapshot

UTC = dt.UTC
NOW = dt.datetime(2026, 6, 15, 12, tzinfo=UTC)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("reaggregate", *args, stdout=out, stderr=err)
    return out.getvalue()


def checked(out: str) -> int:
    line = next(x for x in out.splitlines() if x.startswith("Aggregation snapshots:"))
    return int(line.split(":")[1].split()[0].replace(",", ""))


def snap(org, start, end, taken, count=0):
    return AggregationSnapshot.objects.create(
        org=org,
        range_start=dt.datetime.fromisoformat(start),
        range_end=dt.datetime.fromisoformat(end),
        snapshot_at=taken,
        activity_count=count,
    )


@pytest.fixture
def world(org, other_org, make_activity):
    make_activity(org, "2026-02-01T10:00:00Z")
    make_activity(org, "2026-06-01T10:00:00Z", participant_count=3)
    make_activity(other_org, "2026-06-02T10:00:00Z")
    closed = snap(org, "2026-01-01T00:00:00+00:00", "2026-03-31T23:59:59+00:00", NOW - dt.timedelta(days=1))
    open_ = snap(org, "2026-01-01T00:00:00+00:00", "2026-12-31T23:59:59+00:00", NOW - dt.timedelta(hours=1))
    theirs = snap(other_org, "2026-01-01T00:00:00+00:00", "2026-12-31T23:59:59+00:00", NOW - dt.timedelta(days=3))
    return closed, open_, theirs


@time_machine.travel(NOW, tick=False)
def test_all_recounts_everything_and_reports(world):
    out = run("--all")
    assert "3 checked, 3 changed, 0 failed" in out
    closed, open_, theirs = (AggregationSnapshot.objects.get(pk=s.pk) for s in world)
    assert (closed.activity_count, open_.activity_count, theirs.activity_count) == (1, 2, 1)
    assert open_.participant_total == 3
    assert open_.snapshot_at == NOW
    assert "0 changed" in run("--all")  # nothing moved since


@time_machine.travel(NOW, tick=False)
def test_selection_options(world):
    # --older-than first: every run re-stamps what it checks.
    assert checked(run("--older-than", "2d", "--dry-run")) == 1  # taken 3 days ago
    assert checked(run("--older-than", "2h", "--dry-run")) == 2  # and the one from yesterday
    assert checked(run("--open-only")) == 2
    assert checked(run("--org", "org-bufdir-7")) == 1
    assert checked(run("--org", "org-bufdir-42", "--open-only")) == 1


@time_machine.travel(NOW, tick=False)
def test_dry_run_writes_nothing(world):
    out = run("--all", "--dry-run")
    assert "3 changed" in out and "nothing was written" in out
    assert set(AggregationSnapshot.objects.values_list("activity_count", flat=True)) == {0}


@time_machine.travel(NOW, tick=False)
def test_counts_option_refreshes_count_snapshots(world, org):
    cs = CountSnapshot.objects.create(
        org=org, range_start=NOW - dt.timedelta(days=365), range_end=NOW, snapshot_at=NOW, record_count=42
    )
    out = run("--all", "--counts")
    assert "Count snapshots: 1 checked, 1 changed, 0 failed" in out
    cs.refresh_from_db()  # the stored figure, repaired
    assert cs.record_count == Activity.objects.for_org(org).in_range(cs.time_range).count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [((), "Say what to re-count"), (("--older-than", "soon"), "duration"), (("--org", "org-nope"), "org-nope")],
)
def test_bad_invocations_are_clear_errors(db, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


@time_machine.travel(NOW, tick=False)
def test_many_snapshots_are_batched_not_one_query_each(org, make_activity):
    make_activity(org, "2026-02-01T10:00:00Z")
    for day in range(1, 121):
        start = dt.datetime(2026, 1, 1, tzinfo=UTC) + dt.timedelta(days=day % 60)
        AggregationSnapshot.objects.create(
            org=org, range_start=start, range_end=start + dt.timedelta(days=30), snapshot_at=NOW
        )
    with CaptureQueriesContext(connection) as queries:
        out = run("--all")
    assert checked(out) == 120
    # 120 snapshots of one organisation: 3 batches of 50 -> 3 grouped counts and a few
    # statements per bulk update, plus selection; never one count per snapshot.
    counts = [q for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert len(counts) == 3
    assert len(queries.captured_queries) < 40


def test_a_second_run_skips_while_one_is_working(world):
    with single_run("reaggregate") as got:
        assert got
        # A second process would see the lock taken; within one process the file lock
        # (SQLite) and the advisory lock (PostgreSQL, per connection) are re-entrant,
        # so the second run is simulated in a thread with its own connection.
        import threading

        outputs: list[str] = []

        def second() -> None:
            try:
                outputs.append(run("--all"))
            finally:
                connection.close()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(30)
    assert outputs and "skipping" in outputs[0]
    assert set(AggregationSnapshot.objects.values_list("activity_count", flat=True)) == {0}
