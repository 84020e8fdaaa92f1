"""Count snapshots: kept exact as activities change, and recounted on demand."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F

from bufdir_project.timeranges import truncate_to_second
from record_counts.models import CountSnapshot


@dataclass(frozen=True)
class ActivityPoint:
    """Where an activity sits for counting purposes: its organisation and instant."""

    org_id: int
    recorded_at: dt.datetime


def _inside(instant: dt.datetime, range_start: dt.datetime, range_end: dt.datetime) -> bool:
    # start <= t < end + 1s, written without the addition (end is stored at whole seconds).
    return range_start <= instant and truncate_to_second(instant) <= range_end


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
    by_org: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for point, sign in signed.items():
        if sign:
            by_org[point.org_id].append((point.recorded_at, sign))
    if not by_org:
        return {}

    deltas: Counter[int] = Counter()
    snapshots = CountSnapshot.objects.filter(org_id__in=by_org).values_list("pk", "org_id", "range_start", "range_end")
    for pk, org_id, range_start, range_end in snapshots:
        for instant, sign in by_org[org_id]:
            if _inside(instant, range_start, range_end):
                deltas[pk] += sign
    changed = {pk: delta for pk, delta in deltas.items() if delta}
    for pk, delta in changed.items():
        CountSnapshot.objects.filter(pk=pk).update(record_count=F("record_count") + delta)
    return changed
