"""The activity rollup (``ActivityRollup``): where it may stand in for the activities, and
its upkeep.

The triggers of migration 0010 append, in every writer's transaction, the change a
statement made to each (organisation, segment, type, status, location). A segment is a
stretch of one UTC day: 00:00-22:00, 22:00-23:00 or 23:00-24:00. The counting core reads
the rollup for the whole local days of a long range and the activities' covering index
for the partial days at its edges (``split``), in one statement.

That is exact when no rollup row straddles a boundary the read relies on: the range's
inner edges and the buckets' starts. A compacted row covers one whole local day; a
trigger's row covers one segment, which straddles no local midnight as long as every
local midnight is a segment boundary (00:00, 22:00 or 23:00 UTC: the reporting zone is
UTC, UTC+1 or UTC+2 on that day). Europe/Oslo is, on every day of the supported window;
``aligned_year`` checks it per year, and where it fails (another zone) the core counts
those ranges from the activities alone.

Upkeep: ``compact`` folds an organisation's new rows into one per local day and key (run
by ``reaggregate`` and after each import; its cost follows the writes since the last
run); ``check`` compares the rollup with the activities; ``rebuild`` recomputes one
organisation's rows from its activities.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDay

from activities.models import Activity, ActivityRollup
from lib.localtime import local_day, local_midnight
from lib.timeranges import ONE_SECOND, UTC, DateTimeRange, reporting_zone
from lib.transactions import retrying

SEGMENT_HOURS = frozenset({0, 22, 23})  # UTC hours where the triggers' segments start
# A range uses the rollup when it holds at least this many whole local days; a shorter
# one is as cheap to count from the index, in one branch instead of three.
MIN_WHOLE_DAYS = 2
DELETE_CHUNK = 500  # ids per DELETE (SQLite's variable limit)


def is_segment_boundary(instant: dt.datetime) -> bool:
    at = instant.astimezone(UTC)
    return at.hour in SEGMENT_HOURS and at.minute == 0 and at.second == 0 and at.microsecond == 0


@functools.lru_cache(maxsize=1024)
def _aligned_year(zone: str, year: int) -> bool:
    day = dt.date(year, 1, 1)
    while day.year == year:
        if not is_segment_boundary(local_midnight(day)):
            return False
        day += dt.timedelta(days=1)
    return True


def aligned_year(year: int) -> bool:
    """Whether every local midnight of the year is a segment boundary (so no trigger row
    of that year straddles a local day)."""
    return _aligned_year(settings.REPORTING_TIME_ZONE, year)


def enabled() -> bool:
    """``COUNT_ROLLUP`` (on by default): off, every count reads the activities alone."""
    return bool(getattr(settings, "COUNT_ROLLUP", True))


@dataclass(frozen=True)
class Split:
    """A range cut into the rollup's whole local days ``[first, last)`` and the partial
    days at its edges, counted from the activities (``None`` when there is none)."""

    first: dt.datetime
    last: dt.datetime
    head: DateTimeRange | None
    tail: DateTimeRange | None


def split(time_range: DateTimeRange) -> Split | None:
    """How to count ``time_range`` with the rollup, or ``None`` to count it from the
    activities alone (rollup off, too short, or a year whose local midnights are not all
    segment boundaries). Buckets start at local midnights, so every rollup row of the
    whole days lies inside one bucket of any unit."""
    if not enabled():
        return None
    try:
        return _split(time_range)
    except (OverflowError, ValueError):  # a bound at the edge of what dates can hold (year 1 or 9999)
        return None


def _split(time_range: DateTimeRange) -> Split | None:
    start_day = local_day(time_range.start)
    first = local_midnight(start_day)
    if first < time_range.start:
        start_day += dt.timedelta(days=1)
        first = local_midnight(start_day)
    end_day = local_day(time_range.end_exclusive)
    last = local_midnight(end_day)  # the last local midnight <= the range's end
    if (end_day - start_day).days < MIN_WHOLE_DAYS:
        return None
    if first != time_range.start and first - ONE_SECOND < time_range.start:
        return None  # a head shorter than a second: not a range; rare, count it all
    if not all(aligned_year(year) for year in range(start_day.year, end_day.year + 1)):
        return None
    head = DateTimeRange(time_range.start, first - ONE_SECOND) if first > time_range.start else None
    tail = DateTimeRange(last, time_range.end) if last < time_range.end_exclusive else None
    return Split(first, last, head, tail)


# --- upkeep ---------------------------------------------------------------------------


def _day_key(starts_at: dt.datetime) -> dt.datetime:
    """Where a row goes when compacted: its local day's midnight, when that day's
    segments lie inside it; else it stays where it is."""
    day = local_day(starts_at)
    after = day + dt.timedelta(days=1)
    if aligned_year(day.year) and aligned_year(after.year):
        return local_midnight(day)
    return starts_at


Key = tuple[dt.datetime, str, str, str]
_FIELDS = ("pk", "starts_at", "activity_type", "status", "location", "activity_count", "participant_total")


def _insert(org_pk: int, sums: dict[Key, list[int]]) -> None:
    ActivityRollup.objects.bulk_create(
        [
            ActivityRollup(
                org_id=org_pk,
                starts_at=starts_at,
                activity_type=activity_type,
                status=status,
                location=location,
                activity_count=n,
                participant_total=p,
                folded=True,
            )
            for (starts_at, activity_type, status, location), (n, p) in sorted(sums.items())
        ],
        batch_size=1000,
    )


def _delete(ids: list[int]) -> None:
    for offset in range(0, len(ids), DELETE_CHUNK):
        ActivityRollup.objects.filter(pk__in=ids[offset : offset + DELETE_CHUNK]).delete()


@retrying
def _compact_org(org_pk: int) -> int:
    # Reads and locks the rows the triggers appended since the last run (``folded``
    # false), and the folded rows of the same days and keys; only those. Writers never
    # wait on them (they only insert); rows committed after this read are not folded
    # and stay, so no interleaving changes a sum. Readers see the old rows or the new
    # ones, never both (one transaction).
    new = list(ActivityRollup.objects.select_for_update().filter(org_id=org_pk, folded=False).values_list(*_FIELDS))
    if not new:
        return 0
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for _pk, starts_at, activity_type, status, location, n, p in new:
        cell = sums[(_day_key(starts_at), activity_type, status, location)]
        cell[0] += n
        cell[1] += p
    old = [
        row
        for row in ActivityRollup.objects.select_for_update()
        .filter(org_id=org_pk, folded=True, starts_at__in=sorted({key[0] for key in sums}))
        .order_by("pk")
        .values_list(*_FIELDS)
        if (row[1], *row[2:5]) in sums
    ]
    for _pk, starts_at, activity_type, status, location, n, p in old:
        cell = sums[(starts_at, activity_type, status, location)]
        cell[0] += n
        cell[1] += p
    _delete([row[0] for row in new] + [row[0] for row in old])
    kept = {key: cell for key, cell in sums.items() if cell != [0, 0]}
    _insert(org_pk, kept)
    return len(new) + len(old) - len(kept)


def compact(*, orgs: Iterable[int] | None = None) -> int:
    """Fold each organisation's new rollup rows into one per local day and key, with the
    same sums (a key that sums to nothing goes); returns how many rows were removed."""
    if orgs is None:
        orgs = ActivityRollup.objects.filter(folded=False).values_list("org_id", flat=True).distinct().order_by()
    return sum(_compact_org(org_pk) for org_pk in list(orgs))


def _from_activities(org_pk: int) -> dict[Key, list[int]]:
    rows = (
        Activity.objects.filter(org_id=org_pk)
        .annotate(day=TruncDay("recorded_at", tzinfo=reporting_zone()))
        .order_by()
        .values("day", "activity_type", "status", "location")
        .annotate(n=Count("*"), p=Sum("participant_count"))
        .values_list("day", "activity_type", "status", "location", "n", "p")
    )
    return {(local_midnight(local_day(d)), t, s, loc): [n, p or 0] for d, t, s, loc, n, p in rows}


def _from_rollup(org_pk: int) -> dict[Key, list[int]]:
    rows = ActivityRollup.objects.filter(org_id=org_pk).values_list(
        "pk", "starts_at", "activity_type", "status", "location", "activity_count", "participant_total"
    )
    folded: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for _pk, starts_at, activity_type, status, location, n, p in rows:
        cell = folded[(local_midnight(local_day(starts_at)), activity_type, status, location)]
        cell[0] += n
        cell[1] += p
    return {key: cell for key, cell in folded.items() if cell != [0, 0]}


def check(*, org: int) -> list[tuple[Key, list[int], list[int]]]:
    """Where the rollup disagrees with the activities, per local day and key:
    ``(key, [count, participants] by the rollup, ... by the activities)``; empty when
    they agree. Read in one transaction (on PostgreSQL, one snapshot)."""
    with transaction.atomic():
        _snapshot()
        rolled, counted = _from_rollup(org), _from_activities(org)
    keys = sorted(set(rolled) | set(counted))
    return [(k, rolled.get(k, [0, 0]), counted.get(k, [0, 0])) for k in keys if rolled.get(k) != counted.get(k)]


@retrying
def rebuild(*, org: int) -> int:
    """Recompute one organisation's rollup from its activities (one row per local day and
    key); returns the rows written. Safe beside writers: on PostgreSQL it runs in one
    snapshot (REPEATABLE READ), so a writer that commits meanwhile is either in both the
    activities it reads and the rows it deletes, or in neither (its own rows stay)."""
    _snapshot()
    ids = list(ActivityRollup.objects.filter(org_id=org).values_list("pk", flat=True))
    sums = _from_activities(org)
    _delete(ids)
    _insert(org, sums)
    return len(sums)


def _snapshot() -> None:
    """Make the current (outermost) transaction read one snapshot on PostgreSQL."""
    if connection.vendor == "postgresql" and not connection.needs_rollback:
        atomic_blocks = connection.atomic_blocks
        if len(atomic_blocks) == 1 and not connection.savepoint_ids:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
