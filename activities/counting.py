"""The counting core: the only code that turns activities into numbers.

Every reader calls it: both contract APIs, the stream, admin, ``reaggregate``, the
dashboard and the reports (the grant schemes' rules on single activities are counted
beside it, in ``activities.judging``). It takes an organisation, one or many ranges, an
optional grouping by ``activity_type``/``status``/``location`` and optional local time
buckets, and answers with counts and participant totals. The range rule itself
(``start <= recorded_at < truncate(end) + 1s``) lives in ``DateTimeRange.q``.

Many ranges of one organisation are ONE query (``activities.branches``): a ``UNION ALL``
of branches tagged by range. A range of at least two whole local days reads those days
from the rollup (``activities.rollup``: sums per local day, type, status and location
that the database's triggers keep in every writer's transaction) and its partial edge
days from the covering ``(org, recorded_at) INCLUDE (activity_type, status,
participant_count)`` index; a shorter one reads the index alone; many long ones share
one rollup branch (and one for edges that lie close together) and take their slices.
All in the same statement, so in one snapshot: exact. Nothing is maintained by Python
writers, so there is no lock to share (docs/design.md).
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
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek, TruncYear

from activities import branches, rollup
from activities.branches import BRANCHES_PER_QUERY  # noqa: F401 (part of the core's interface)
from activities.events import written_in_this_transaction
from activities.models import Activity, ActivityChange, ActivityRollup, Organization
from lib.cache import NearCache
from lib.timeranges import DateTimeRange, reporting_zone

GroupField = Literal["activity_type", "status", "location"]
GROUP_FIELDS: tuple[GroupField, ...] = ("activity_type", "status", "location")
# An aggregation snapshot's breakdowns: both from one grouped query (SPEC.md, "Counting").
BREAKDOWN: tuple[GroupField, ...] = ("activity_type", "status")
Interval = Literal["day", "week", "month", "quarter", "year"]
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}


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


def tally(*, org: Organization | int, ranges: Sequence[DateTimeRange], group_by: Sequence[str] = ()) -> list[Tally]:
    """The numbers of each range, in order, for one organisation: one query for up to
    150 ranges (so one for any list page)."""
    dims = _check_group_by(group_by)
    org_pk = _org_pk(org)
    parts = [rollup.split(r) for r in ranges]
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for chunk in branches.chunks([(i, r, parts[i]) for i, r in enumerate(ranges)]):
        plan = branches.plan(org_pk, chunk, dims)
        query = plan.branches[0].union(*plan.branches[1:], all=True) if len(plan.branches) > 1 else plan.branches[0]
        shared: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for row in query:
            if not plan.rollup_sums:
                rows[row[0]].append(row[1:])
            elif row[0] < 0:
                shared[row[0]].append(row[1:])
            else:
                rows[row[0]].append(row[2:])  # (without the empty ``at``)
        if plan.rollup_sums:
            rolled, edges = branches.Sums(shared[branches.ROLLUP_SUMS]), branches.Sums(shared[branches.EDGE_SUMS])
            for i, _, part in chunk:
                if part is None:
                    continue
                rows[i].extend(rolled.rows(part.first, part.last))
                if plan.edge_sums:
                    for edge in (part.head, part.tail):
                        if edge is not None:
                            rows[i].extend(edges.rows(edge.start, edge.end_exclusive))
    return [_tally_of(rows.get(i, []), grouped=bool(dims)) for i in range(len(ranges))]


def _tally_of(rows: Iterable[tuple[Any, ...]], *, grouped: bool) -> Tally:
    """Sum rows ``(*group values, count, participants)``; a group may come in several
    rows (rollup and edges), and a group whose rollup sums to nothing is absent."""
    total = participants = 0
    groups: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        *key, n, p = row
        total += n
        participants += p or 0
        if grouped:
            cell = groups[tuple(key)]
            cell[0] += n
            cell[1] += p or 0
    kept = {key: Cell(n, p) for key, (n, p) in groups.items() if n}
    return Tally(total, participants, dict(sorted(kept.items())))


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


def committed_state(*, org: Organization | int) -> str | None:
    """A name for the organisation's committed activities as they are now (database,
    organisation, change marker): anything computed from them may be cached under it and
    stays exact for writes through ``activities.services``. None when this transaction
    has itself written them (what it sees may yet roll back): compute, don't cache."""
    org_pk = _org_pk(org)
    if written_in_this_transaction(org_pk):
        return None
    return _state_name(org_pk, change_marker(org=org_pk))


def _state_name(org_pk: int, marker: int) -> str | None:
    """The name of ``org_pk``'s committed state at ``marker``, or None when this
    transaction has written its activities (see ``committed_state``)."""
    if written_in_this_transaction(org_pk):
        return None
    return f"{_database()}:{org_pk}:{marker}"


@dataclass(frozen=True)
class OrgState:
    """An organisation found by its ``org_id``, with the name of its committed state
    (``committed_state``; None when this transaction has written its activities)."""

    pk: int
    org_id: str
    state: str | None


def org_state(*, org_id: str) -> OrgState | None:
    """The organisation with this ``org_id`` and its committed state, read in ONE
    statement (what a stream opening reads before its count: the count itself then
    usually comes from the cache); None when there is no such organisation."""
    with connection.cursor() as cursor:
        cursor.execute(_ORG_STATE_SQL, [org_id])
        found = cursor.fetchone()
    if found is None:
        return None
    pk, marker = int(found[0]), int(found[1] or 0)
    return OrgState(pk, org_id, _state_name(pk, marker))


_ORG_STATE_SQL = (
    f"SELECT o.id, (SELECT SUM(c.weight) FROM {ActivityChange._meta.db_table} c WHERE c.org_id = o.id) "  # noqa: S608
    f"FROM {Organization._meta.db_table} o WHERE o.org_id = %s"
)


def _cache_key(state: str, time_range: DateTimeRange) -> str:
    start, end = time_range.start.timestamp(), time_range.end.timestamp()
    return f"count:{state}:{start:.6f}:{end:.0f}"


def live_counts(
    *, org: Organization | int, ranges: Sequence[DateTimeRange], known: OrgState | None = None
) -> list[int]:
    """``count_ranges``, exact, answered from the cache for ranges already counted in the
    organisation's current committed state: one marker lookup, plus one counting query
    for the ranges not cached yet. What every reader of live counts calls (count
    snapshots, the stream, POST counts).

    Exact because the key holds the change marker read in the same database the count
    is read from: a commit after the lookup moves the marker, so a count stored under
    the old one is never read again. A transaction that has itself changed the
    organisation's activities counts them directly and stores nothing (its own
    uncommitted rows are in what it sees, and may yet be rolled back). A cache that is
    away (Redis down) only means every range is counted. ``known``: the organisation's
    state as ``org_state`` has just read it (instead of reading the marker again).
    """
    org_pk = _org_pk(org)
    state = known.state if known is not None and known.pk == org_pk else committed_state(org=org_pk)
    if state is None:
        return count_ranges(org=org_pk, ranges=ranges)
    keys = [_cache_key(state, r) for r in ranges]
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
    (result,) = tally(org=org, ranges=[time_range])
    return result.activity_count


def tally_buckets(
    *, org: Organization | int, time_range: DateTimeRange, interval: Interval, group_by: Sequence[str] = ()
) -> dict[dt.date, Tally]:
    """The numbers per local calendar bucket (reporting time zone) inside the range, keyed
    by the bucket's first local day; buckets without activities are absent. One query:
    the rollup's rows of the whole days, each in the bucket of its start (a row lies
    inside one local day), and the partial edge days from the index (or, for a short
    range, the index alone), all grouped by bucket in the database."""
    dims = _check_group_by(group_by)
    org_pk = _org_pk(org)
    trunc = _TRUNC[interval]
    zone = reporting_zone()
    part = rollup.split(time_range)
    edges = [time_range] if part is None else [e for e in (part.head, part.tail) if e is not None]
    branches: list[QuerySet[Any]] = [
        Activity.objects.filter(org_id=org_pk)
        .filter(edge.q("recorded_at"))
        .annotate(bucket=trunc("recorded_at", tzinfo=zone))
        .order_by()
        .values("bucket", *dims)
        .annotate(n=Count("*"), p=Sum("participant_count"))
        .values_list("bucket", *dims, "n", "p")
        for edge in edges
    ]
    if part is not None:
        branches.insert(
            0,
            ActivityRollup.objects.filter(org_id=org_pk, starts_at__gte=part.first, starts_at__lt=part.last)
            .annotate(bucket=trunc("starts_at", tzinfo=zone))
            .order_by()
            .values("bucket", *dims)
            .annotate(n=Sum("activity_count"), p=Sum("participant_total"))
            .values_list("bucket", *dims, "n", "p"),
        )
    query = branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]
    by_bucket: dict[dt.date, list[tuple[Any, ...]]] = defaultdict(list)
    for bucket, *rest in query:
        by_bucket[_local_date(bucket)].append(tuple(rest))
    tallies = {day: _tally_of(items, grouped=bool(dims)) for day, items in sorted(by_bucket.items())}
    return {day: t for day, t in tallies.items() if t.activity_count}


def _local_date(bucket: dt.datetime | dt.date) -> dt.date:
    if isinstance(bucket, dt.datetime):
        if bucket.tzinfo is not None:
            bucket = bucket.astimezone(reporting_zone())
        return bucket.date()
    return bucket
