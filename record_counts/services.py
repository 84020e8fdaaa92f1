"""Count snapshots: kept exact as activities change, and recounted on demand."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F

from bufdir_project.timeranges import ONE_SECOND
from record_counts.models import CountSnapshot


@dataclass(frozen=True)
class ActivityPoint:
    """Where an activity sits for counting purposes: its organisation and instant."""

    org_id: int
    recorded_at: dt.datetime


def counts_apply_changes(*, removed: Iterable[ActivityPoint], added: Iterable[ActivityPoint]) -> dict[int, int]:
    """Adjust every CountSnapshot whose range holds a removed or added instant.

    Must run inside the transaction that changed the activities. Loads the affected
    organisations' snapshots in one query, then issues one relative ``UPDATE`` per
    snapshot whose count changes (``record_count = record_count + delta``, so
    concurrent writers never lose each other's changes). Returns the non-zero deltas
    by snapshot key.
    """
    signed: Counter[ActivityPoint] = Counter()
    for point in removed:
        signed[point] -= 1
    for point in added:
        signed[point] += 1
    # Per organisation: the changed instants, sorted, with a running sum of their signs,
    # so each snapshot's delta is two bisections (bulk imports touch many instants).
    by_org: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for point, sign in signed.items():
        if sign:
            by_org[point.org_id].append((point.recorded_at, sign))
    if not by_org:
        return {}
    prefix: dict[int, tuple[list[dt.datetime], list[int]]] = {}
    for org_id, items in by_org.items():
        items.sort()
        instants = [instant for instant, _ in items]
        sums = [0, *itertools.accumulate(sign for _, sign in items)]
        prefix[org_id] = (instants, sums)

    deltas: dict[int, int] = {}
    snapshots = CountSnapshot.objects.filter(org_id__in=by_org).values_list("pk", "org_id", "range_start", "range_end")
    for pk, org_id, range_start, range_end in snapshots:
        instants, sums = prefix[org_id]
        # Inside: range_start <= t < range_end + 1s (end stored at whole seconds).
        lo = bisect.bisect_left(instants, range_start)
        hi = bisect.bisect_left(instants, range_end + ONE_SECOND)
        deltas[pk] = sums[hi] - sums[lo]
    changed = {pk: delta for pk, delta in deltas.items() if delta}
    for pk, delta in changed.items():
        CountSnapshot.objects.filter(pk=pk).update(record_count=F("record_count") + delta)
    return changed
