"""How the counting core reads many ranges of one organisation in one statement.

A ``UNION ALL`` of branches, each row tagged with the range it belongs to, so one round
trip and one snapshot answer them all (exact: every part of every range is read in the
same statement). A range alone is one branch over the activities' covering index, or,
when it spans at least two whole local days, one over the rollup for those days plus
one per partial edge day. Many overlapping long ranges share: one branch sums the
rollup per row start over their envelope and, when their many edges lie close together,
one per edge stretch sums those per instant; each range then takes its slices in Python
(``Sums``). Used by ``activities.counting.tally`` only.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DateTimeField, IntegerField, QuerySet, Sum, Value

from activities import rollup
from activities.models import Activity, ActivityRollup
from lib.timeranges import DateTimeRange

# Branches per UNION ALL statement (a range is one branch, or three with the rollup):
# SQLite allows 500 compound terms; PostgreSQL has no such limit, but a statement this
# size is already one round trip for any list page. A range's branches are never split
# across statements.
BRANCHES_PER_QUERY = 450


def _branch(
    org_pk: int, time_range: DateTimeRange, index: int, group_by: Sequence[str], *, at: bool = False
) -> QuerySet[Any]:
    """One range's grouped counts, tagged with the range's index. Grouping by org
    (constant under the filter) when nothing else is asked for makes the branch one
    row, or none when the range is empty. ``at``: with an empty second column, as the
    envelope's rows have (``_envelope_branch``)."""
    extra = {"at": Value(None, output_field=DateTimeField())} if at else {}
    return (
        Activity.objects.filter(org_id=org_pk)
        .filter(time_range.q("recorded_at"))
        .order_by()
        .values(*(group_by or ["org"]))
        .annotate(i=Value(index, output_field=IntegerField()), **extra, n=Count("*"), p=Sum("participant_count"))
        .values_list("i", *(["at"] if at else []), *group_by, "n", "p")
    )


def _rollup_branch(org_pk: int, part: rollup.Split, index: int, group_by: Sequence[str]) -> QuerySet[Any]:
    """The rollup's sums over the whole local days of a range, tagged like ``_branch``."""
    columns = list(group_by)
    return (
        ActivityRollup.objects.filter(org_id=org_pk, starts_at__gte=part.first, starts_at__lt=part.last)
        .order_by()
        .values(*(columns or ["org"]))
        .annotate(i=Value(index, output_field=IntegerField()), n=Sum("activity_count"), p=Sum("participant_total"))
        .values_list("i", *columns, "n", "p")
    )


# Many ranges over the rollup (a list page of snapshots, mostly overlapping) read it once:
# one branch sums the rollup per row start over the ranges' envelope, and each range
# takes its slice of those sums in Python. Their partial edge days, when together they
# span at most EDGE_SPAN_MAX, are read in one branch too, per instant, and sliced the
# same way. Per-range branches each aggregated every row of their own days again, and
# building and compiling them cost more than running them (64 ten-month ranges: 125 ms,
# against 2 ms for one range).
ENVELOPE_MIN = 3
# Shared only where it saves: the ranges' whole days cover the envelope at least
# OVERLAP_MIN times over (else each range's own branch reads less, and returns one row
# per group, not one per day and group), and there are EDGES_SHARED_MIN edges or more
# (each saved branch is about half a millisecond of ORM work; a shared edge returns its
# rows per instant, two days of a big organisation's activities).
OVERLAP_MIN = 3
EDGES_SHARED_MIN = 16
EDGE_SPAN_MAX = dt.timedelta(days=2)
ROLLUP_SUMS, EDGE_SUMS = -1, -2  # the shared branches' tags (a range's own are its index)


def _sums_branch(
    org_pk: int, window: tuple[dt.datetime, dt.datetime], group_by: Sequence[str], *, rollup_rows: bool
) -> QuerySet[Any]:
    """Counts per row start (rollup) or per instant (activities) and group over one window
    ``[start, end)``, tagged: an index-only scan of either."""
    start, end = window
    rows: QuerySet[Any]
    n: Any
    if rollup_rows:
        rows = ActivityRollup.objects.filter(org_id=org_pk, starts_at__gte=start, starts_at__lt=end)
        at, n, p, tag = "starts_at", Sum("activity_count"), Sum("participant_total"), ROLLUP_SUMS
    else:
        rows = Activity.objects.filter(org_id=org_pk, recorded_at__gte=start, recorded_at__lt=end)
        at, n, p, tag = "recorded_at", Count("*"), Sum("participant_count"), EDGE_SUMS
    return (
        rows.order_by()
        .values(at, *group_by)
        .annotate(i=Value(tag, output_field=IntegerField()), n=n, p=p)
        .values_list("i", at, *group_by, "n", "p")
    )


def _merged(windows: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass
class Plan:
    """One statement's branches, and which of the ranges' parts come from shared sums."""

    branches: list[QuerySet[Any]]
    rollup_sums: bool = False
    edge_sums: bool = False


def plan(org_pk: int, chunk: Sequence[tuple[int, DateTimeRange, rollup.Split | None]], group_by: Sequence[str]) -> Plan:
    """The branches of one statement's ranges; the shared ones come first, so the union
    takes its column types from a real ``at`` column."""
    rolled = [part for _, _, part in chunk if part is not None]
    plan = Plan([])
    if len(rolled) >= ENVELOPE_MIN:
        envelope = (min(p.first for p in rolled), max(p.last for p in rolled))
        covered = sum((p.last - p.first for p in rolled), dt.timedelta())
        plan.rollup_sums = covered >= OVERLAP_MIN * (envelope[1] - envelope[0])
    if plan.rollup_sums:
        plan.branches.append(_sums_branch(org_pk, envelope, group_by, rollup_rows=True))
        own = [(e.start, e.end_exclusive) for p in rolled for e in (p.head, p.tail) if e is not None]
        edges = _merged(own)
        span = sum((end - start for start, end in edges), dt.timedelta())
        if len(own) >= EDGES_SHARED_MIN and span <= EDGE_SPAN_MAX:
            plan.edge_sums = True
            # One branch per stretch (they are disjoint): each an index-only scan.
            plan.branches.extend(_sums_branch(org_pk, edge, group_by, rollup_rows=False) for edge in edges)
    at = plan.rollup_sums
    for index, time_range, part in chunk:
        if part is None:
            plan.branches.append(_branch(org_pk, time_range, index, group_by, at=at))
            continue
        if not plan.rollup_sums:
            plan.branches.append(_rollup_branch(org_pk, part, index, group_by))
        if not plan.edge_sums:
            plan.branches.extend(
                _branch(org_pk, edge, index, group_by, at=at) for edge in (part.head, part.tail) if edge is not None
            )
    return plan


class Sums:
    """Sums per instant (and group) as running totals: the sum over any span of instants
    is then two lookups per group."""

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        by_key: dict[tuple[Any, ...], dict[dt.datetime, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        instants: set[dt.datetime] = set()
        for at, *group, n, p in rows:
            cell = by_key[tuple(group)][at]
            cell[0] += n
            cell[1] += p or 0
            instants.add(at)
        self.instants = sorted(instants)
        self.running: dict[tuple[Any, ...], tuple[list[int], list[int]]] = {}
        for key, cells in by_key.items():
            ns, ps = [0], [0]
            for at in self.instants:
                n, p = cells.get(at, (0, 0))
                ns.append(ns[-1] + n)
                ps.append(ps[-1] + p)
            self.running[key] = (ns, ps)

    def rows(self, start: dt.datetime, end_exclusive: dt.datetime) -> list[tuple[Any, ...]]:
        """``(*group, count, participants)`` of the instants ``start <= t < end_exclusive``."""
        lo, hi = bisect_left(self.instants, start), bisect_left(self.instants, end_exclusive)
        if hi <= lo:
            return []
        return [(*key, ns[hi] - ns[lo], ps[hi] - ps[lo]) for key, (ns, ps) in self.running.items()]


def chunks(items: list[tuple[int, DateTimeRange, rollup.Split | None]]) -> Iterable[list[Any]]:
    """The ranges in as few statements as ``BRANCHES_PER_QUERY`` allows, each whole in one,
    counting every range's own branches (one, or three with the rollup) as if nothing were
    shared: sharing only ever takes branches away."""
    chunk: list[tuple[int, DateTimeRange, rollup.Split | None]] = []
    branches = 0
    for item in items:
        part = item[2]
        own = 1 if part is None else 1 + sum(edge is not None for edge in (part.head, part.tail))
        if chunk and branches + own > BRANCHES_PER_QUERY:
            yield chunk
            chunk, branches = [], 0
        chunk.append(item)
        branches += own
    if chunk:
        yield chunk
