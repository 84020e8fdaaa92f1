"""The counting core: the only code that turns activities into numbers.

Every reader calls it: both contract APIs, the stream, admin, ``reaggregate``, the
dashboard and (next) the reports. It takes an organisation, one or many ranges, an
optional grouping by ``activity_type``/``status``/``location`` and optional local time
buckets, and answers with counts and participant totals. The range rule itself
(``start <= recorded_at < truncate(end) + 1s``) lives in ``DateTimeRange.q``.

Many ranges of one organisation are ONE query: a ``UNION ALL`` with one grouped branch
per range, so each branch is an index-only scan of the covering
``(org, recorded_at) INCLUDE (activity_type, status, participant_count)`` index over
its own range only (the cost is the sum of the ranges' sizes, not ranges times the envelope).
Counts are always read from the activities themselves: nothing is maintained by
writers, so there is nothing to drift and no lock to share (docs/design.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek, TruncYear

from activities.events import written_in_this_transaction
from activities.models import Activity, ActivityChange, Organization
from lib.cache import NearCache
from lib.timeranges import DateTimeRange, reporting_zone

GroupField = Literal["activity_type", "status", "location"]
GROUP_FIELDS: tuple[GroupField, ...] = ("activity_type", "status", "location")
# An aggregation snapshot's breakdowns: both from one grouped query (SPEC.md, "Counting").
BREAKDOWN: tuple[GroupField, ...] = ("activity_type", "status")
Interval = Literal["day", "week", "month", "quarter", "year"]
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}

# Branches per UNION ALL statement: SQLite allows 500 compound terms; PostgreSQL has no
# such limit, but a statement this size is already one round trip for any list page.
RANGES_PER_QUERY = 200


@dataclass(frozen=True)
class Cell:
    """Count and participant total of one group (or of everything)."""

    activity_count: int = 0
    participant_total: int = 0


@dataclass(frozen=True)
class Tally:
    """The numbers of one range (or bucket): totals, and per group when grouped.

    ``groups`` maps a tuple of group values (in ``group_by`` order) to its cell; it is
    empty without grouping.
    """

    activity_count: int = 0
    participant_total: int = 0
    groups: dict[tuple[str, ...], Cell] = field(default_factory=dict)

    def by(self, position: int = 0) -> dict[str, int]:
        """Counts per value of one grouping dimension (summed over the others), sorted."""
        out: dict[str, int] = defaultdict(int)
        for key, cell in self.groups.items():
            out[key[position]] += cell.activity_count
        return dict(sorted(out.items()))


def _org_pk(org: Organization | int) -> int:
    return org if isinstance(org, int) else org.pk


def _check_group_by(group_by: Sequence[str]) -> tuple[GroupField, ...]:
    unknown = [g for g in group_by if g not in GROUP_FIELDS]
    if unknown or len(set(group_by)) != len(group_by):
        raise ValueError(f"group_by takes distinct fields of {GROUP_FIELDS}, not {list(group_by)}")
    return tuple(group_by)  # type: ignore[arg-type]


def _branch(org_pk: int, time_range: DateTimeRange, index: int, group_by: Sequence[str]) -> QuerySet[Any]:
    """One range's grouped counts, tagged with the range's index. Grouping by org
    (constant under the filter) when nothing else is asked for makes the branch one
    row, or none when the range is empty."""
    return (
        Activity.objects.filter(org_id=org_pk)
        .filter(time_range.q("recorded_at"))
        .order_by()
        .values(*(group_by or ["org"]))
        .annotate(i=Value(index, output_field=IntegerField()), n=Count("*"), p=Sum("participant_count"))
        .values_list("i", *group_by, "n", "p")
    )


def tally(*, org: Organization | int, ranges: Sequence[DateTimeRange], group_by: Sequence[str] = ()) -> list[Tally]:
    """The numbers of each range, in order, for one organisation: one query per
    ``RANGES_PER_QUERY`` ranges (so one for any list page)."""
    dims = _check_group_by(group_by)
    org_pk = _org_pk(org)
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for offset in range(0, len(ranges), RANGES_PER_QUERY):
        chunk = ranges[offset : offset + RANGES_PER_QUERY]
        branches = [_branch(org_pk, r, offset + i, dims) for i, r in enumerate(chunk)]
        query = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
        for row in query:
            rows[row[0]].append(row[1:])
    return [_tally_of(rows.get(i, []), grouped=bool(dims)) for i in range(len(ranges))]


def _tally_of(rows: Iterable[tuple[Any, ...]], *, grouped: bool) -> Tally:
    total = participants = 0
    groups: dict[tuple[str, ...], Cell] = {}
    for row in rows:
        *key, n, p = row
        total += n
        participants += p or 0
        if grouped:
            groups[tuple(key)] = Cell(n, p or 0)
    return Tally(total, participants, dict(sorted(groups.items())))


def count_ranges(*, org: Organization | int, ranges: Sequence[DateTimeRange]) -> list[int]:
    """How many activities (any status) lie in each range; one query per 200 ranges."""
    return [t.activity_count for t in tally(org=org, ranges=ranges)]


# Cached counts never go stale for writes through activities.services (their key names
# the committed state they were counted from). A write that bypasses the services (raw
# SQL, a shell's queryset.update()) marks nothing: the timeout bounds how long a count
# cached before it can be served.
CACHE_SECONDS = 60
# Each process keeps the counts it read last in front of the shared cache: a key's count
# never changes, so a hit needs no round trip to Redis.
near_counts = NearCache(max_entries=20_000, seconds=CACHE_SECONDS)


def change_marker(*, org: Organization | int) -> int:
    """How many committed write transactions have changed the organisation's activities
    (``ActivityChange``): grows by one with each, never goes back. One index-only scan
    over the rows since the last compaction."""
    # Plain SQL: read on every count request, and the ORM's aggregate() cost more than
    # the query itself (figure 7 in docs/performance.md).
    with connection.cursor() as cursor:
        cursor.execute(_MARKER_SQL, [_org_pk(org)])
        (marker,) = cursor.fetchone()
    return int(marker or 0)


_MARKER_SQL = f"SELECT SUM(weight) FROM {ActivityChange._meta.db_table} WHERE org_id = %s"  # noqa: S608 (no input)


def _database() -> str:
    """Which database the counts are of: environments sharing one Redis must never read
    each other's counts (the same organisation pk and marker mean different data)."""
    s = connection.settings_dict
    return hashlib.sha256(f"{s.get('HOST')}:{s.get('PORT')}:{s['NAME']}".encode()).hexdigest()[:12]


def _cache_key(org_pk: int, marker: int, time_range: DateTimeRange) -> str:
    start, end = time_range.start.timestamp(), time_range.end.timestamp()
    return f"count:{_database()}:{org_pk}:{marker}:{start:.6f}:{end:.0f}"


def live_counts(*, org: Organization | int, ranges: Sequence[DateTimeRange]) -> list[int]:
    """``count_ranges``, exact, answered from the cache for ranges already counted in the
    organisation's current committed state: one marker lookup, plus one counting query
    for the ranges not cached yet. What every reader of live counts calls (count
    snapshots, the stream, POST counts).

    Exact because the key holds the change marker read in the same database the count
    is read from: a commit after the lookup moves the marker, so a count stored under
    the old one is never read again. A transaction that has itself changed the
    organisation's activities counts them directly and stores nothing (its own
    uncommitted rows are in what it sees, and may yet be rolled back). A cache that is
    away (Redis down) only means every range is counted.
    """
    org_pk = _org_pk(org)
    if written_in_this_transaction(org_pk):
        return count_ranges(org=org_pk, ranges=ranges)
    marker = change_marker(org=org_pk)
    keys = [_cache_key(org_pk, marker, r) for r in ranges]
    found = near_counts.get_many(keys)
    if len(found) < len(keys):
        shared = cache.get_many([key for key in keys if key not in found])
        near_counts.set_many(shared)
        found.update(shared)
    missing = [i for i, key in enumerate(keys) if key not in found]
    if missing:
        counted = count_ranges(org=org_pk, ranges=[ranges[i] for i in missing])
        fresh = {keys[i]: n for i, n in zip(missing, counted, strict=True)}
        cache.set_many(fresh, timeout=CACHE_SECONDS)
        near_counts.set_many(fresh)
        found.update(fresh)
    return [found[key] for key in keys]


def count_activities(*, org: Organization | int, time_range: DateTimeRange) -> int:
    """How many of the organisation's activities (any status) lie in the range; one query."""
    return Activity.objects.filter(org_id=_org_pk(org)).filter(time_range.q("recorded_at")).count()


def tally_buckets(
    *, org: Organization | int, time_range: DateTimeRange, interval: Interval, group_by: Sequence[str] = ()
) -> dict[dt.date, Tally]:
    """The numbers per local calendar bucket (reporting time zone) inside the range, keyed
    by the bucket's first local day; buckets without activities are absent. One query."""
    dims = _check_group_by(group_by)
    trunc = _TRUNC[interval]("recorded_at", tzinfo=reporting_zone())
    rows = (
        Activity.objects.filter(org_id=_org_pk(org))
        .filter(time_range.q("recorded_at"))
        .annotate(bucket=trunc)
        .order_by()
        .values("bucket", *dims)
        .annotate(n=Count("*"), p=Sum("participant_count"))
        .values_list("bucket", *dims, "n", "p")
    )
    by_bucket: dict[dt.date, list[tuple[Any, ...]]] = defaultdict(list)
    for bucket, *rest in rows:
        by_bucket[_local_date(bucket)].append(tuple(rest))
    return {day: _tally_of(items, grouped=bool(dims)) for day, items in sorted(by_bucket.items())}


def _local_date(bucket: dt.datetime | dt.date) -> dt.date:
    if isinstance(bucket, dt.datetime):
        if bucket.tzinfo is not None:
            bucket = bucket.astimezone(reporting_zone())
        return bucket.date()
    return bucket
