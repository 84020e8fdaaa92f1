"""Count snapshots: kept exact as activities change, and recounted on demand."""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from activities.models import Organization
from activities.selectors import activity_count
from lib.timeranges import ONE_SECOND, DateTimeRange, now_to_second
from record_counts.events import publish_counts, publish_deleted
from record_counts.models import CountSnapshot
from record_counts.selectors import count_snapshot_for_range

logger = logging.getLogger(__name__)

# Advisory-lock key space for "the counts of organisation N" (PostgreSQL only).
_LOCK_BASE = 0x5B0D_0000_0000


class RangeTaken(Exception):
    """Another snapshot of the organisation already holds that range."""


def lock_org_counts(org_ids: Iterable[int]) -> None:
    """Serialise count changes per organisation until the transaction ends.

    Writers take it before adjusting snapshots, (re)counts before counting: so a
    snapshot created or recounted while activities change is never off by the
    change in flight. SQLite serialises writers on its own.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for org_id in sorted(set(org_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_BASE + org_id])


_PENDING = "_record_counts_pending_events"


def publish_after_commit(snapshot_pks: Iterable[int]) -> None:
    """Publish these snapshots' counts once the current transaction commits.

    Coalesced per transaction: an import that upserts in many batches inside one
    transaction calls this once per batch, yet each snapshot gets one event, read at
    commit. Every call registers a callback (a savepoint rollback may discard earlier
    ones); the first to run publishes everything pending on the connection and the
    rest find nothing to do. Pending keys left by a rolled-back transaction only cause
    one extra event with an unchanged version, which streams drop.
    """
    conn = transaction.get_connection()
    pending: set[int] = conn.__dict__.setdefault(_PENDING, set())
    pending.update(snapshot_pks)
    transaction.on_commit(functools.partial(_flush_pending, pending))


def _flush_pending(pending: set[int]) -> None:
    if not pending:
        return
    pks = sorted(pending)
    pending.clear()
    try:
        publish_counts(pks)
    except Exception:  # the transaction has committed: never fail the request now
        logger.exception("could not publish the counts of snapshots %s", pks)


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
    concurrent writers never lose each other's changes; ``version`` is bumped with it).
    After commit, one event per changed snapshot carries its committed count, however
    many activities the transaction touched. Returns the non-zero deltas by snapshot key.
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
    lock_org_counts(by_org)
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
        CountSnapshot.objects.filter(pk=pk).update(record_count=F("record_count") + delta, version=F("version") + 1)
    if changed:
        publish_after_commit(changed)
    return changed


def _recount(snapshot: CountSnapshot, time_range: DateTimeRange) -> CountSnapshot:
    snapshot.range_start, snapshot.range_end = time_range.start, time_range.end
    snapshot.record_count = activity_count(org=snapshot.org_id, time_range=time_range)
    snapshot.snapshot_at = now_to_second()
    snapshot.version += 1  # the row is locked (or new): no concurrent bump is lost
    return snapshot


def count_snapshot_upsert(*, org: Organization, time_range: DateTimeRange) -> CountSnapshot:
    """Count exactly now and create or update the organisation's snapshot of the range.

    Race-safe: concurrent calls for one range never fail and never make two rows (the
    unique constraint decides; the loser updates the winner's row).
    """
    for _ in range(3):
        try:
            with transaction.atomic():
                lock_org_counts([org.pk])
                snapshot = (
                    CountSnapshot.objects.select_for_update()
                    .filter(org=org, range_start=time_range.start, range_end=time_range.end)
                    .first()
                ) or CountSnapshot(org=org)
                _recount(snapshot, time_range).save()
                pk = snapshot.pk
                publish_after_commit([pk])
                return snapshot
        except IntegrityError:
            continue  # a concurrent call inserted the row first: update it instead
    raise RuntimeError("could not upsert the count snapshot")


def count_snapshot_for_stream(*, org: Organization, time_range: DateTimeRange) -> CountSnapshot:
    """The live snapshot a stream of this range watches, created (and counted) if new."""
    return count_snapshot_for_range(org=org, time_range=time_range) or count_snapshot_upsert(
        org=org, time_range=time_range
    )


def count_snapshot_refresh(*, snapshot: CountSnapshot, time_range: DateTimeRange | None = None) -> CountSnapshot:
    """Force an exact recount from scratch (over a new range, if given); repairs drift."""
    with transaction.atomic():
        lock_org_counts([snapshot.org_id])
        locked = CountSnapshot.objects.select_for_update().get(pk=snapshot.pk)
        target = time_range or locked.time_range
        clash = CountSnapshot.objects.filter(
            org_id=locked.org_id, range_start=target.start, range_end=target.end
        ).exclude(pk=locked.pk)
        if clash.exists():
            raise RangeTaken(clash.first().public_id)  # type: ignore[union-attr]
        moved = target != locked.time_range
        _recount(locked, target).save()
        # A moved snapshot's streams watched the old range: end them (they reconnect to
        # a snapshot of their own range). Nobody streams the new range on this channel.
        if moved:
            transaction.on_commit(functools.partial(publish_deleted, locked.pk))
        else:
            publish_after_commit([locked.pk])
    return locked


def count_snapshot_delete(*, snapshot: CountSnapshot) -> str:
    """Delete a snapshot; after commit, the streams watching it end. Returns its public id.

    Raises ``DoesNotExist`` if it is already gone: of two concurrent deletes, one wins.
    """
    public_id, pk = snapshot.public_id, snapshot.pk
    with transaction.atomic():
        deleted, _ = CountSnapshot.objects.filter(pk=pk).delete()
        if not deleted:
            raise CountSnapshot.DoesNotExist(public_id)
        transaction.on_commit(functools.partial(publish_deleted, pk))
    return public_id


def count_snapshots_refresh(*, snapshots: Iterable[CountSnapshot], dry_run: bool = False) -> tuple[int, int, int]:
    """Recount many snapshots exactly; returns (checked, changed, failed)."""
    checked = changed = failed = 0
    for snapshot in snapshots:
        before = snapshot.record_count
        try:
            if dry_run:
                after = activity_count(org=snapshot.org_id, time_range=snapshot.time_range)
            else:
                after = count_snapshot_refresh(snapshot=snapshot).record_count
        except CountSnapshot.DoesNotExist:
            continue  # deleted meanwhile
        except (DatabaseError, RangeTaken):
            failed += 1
            continue
        checked += 1
        changed += after != before
    return checked, changed, failed
