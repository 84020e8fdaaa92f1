"""Writes of count snapshots: remember a range, recount it, forget it.

No lock spans an organisation and no write of activities touches these rows: a
snapshot's count is read live (record_counts.selectors). POST and PUT still recount
from scratch and store that figure. A recount never stores figures computed for one
range into a snapshot whose range changed meanwhile: it counts the range of the row
it has locked (that row only).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction

from activities.counting import count_activities, count_ranges, live_counts
from activities.models import Organization
from lib.timeranges import DateTimeRange, now_to_second
from record_counts import grip
from record_counts.models import CountSnapshot


class RangeTaken(Exception):
    """Another snapshot of the organisation already holds that range."""


def count_snapshot_upsert(*, org: Organization, time_range: DateTimeRange) -> CountSnapshot:
    """Count exactly now and create or update the organisation's snapshot of the range.

    One statement (``INSERT … ON CONFLICT (org, range) DO UPDATE … RETURNING id``):
    concurrent calls for one range never fail and never make two rows, and the range
    is the row's key, so no figure can land in a row holding another range.
    """
    (count,) = live_counts(org=org, ranges=[time_range])
    snapshot = CountSnapshot(
        org=org,
        range_start=time_range.start,
        range_end=time_range.end,
        record_count=count,
        snapshot_at=now_to_second(),
    )
    # Plain SQL, one round trip in autocommit: bulk_create(update_conflicts=True) says
    # the same but wraps it in BEGIN/COMMIT and costs more than the statement (figure 7).
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT_SQL,
            [org.pk, adapt(snapshot.range_start), adapt(snapshot.range_end), count, adapt(snapshot.snapshot_at)],
        )
        (snapshot.pk,) = cursor.fetchone()
    return snapshot


# The table's name is the only thing formatted in: no input reaches the SQL text.
_UPSERT_SQL = (
    f"INSERT INTO {CountSnapshot._meta.db_table} "  # noqa: S608
    "(org_id, range_start, range_end, record_count, snapshot_at) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (org_id, range_start, range_end) "
    "DO UPDATE SET record_count = excluded.record_count, snapshot_at = excluded.snapshot_at RETURNING id"
)


def count_snapshot_refresh(*, snapshot: CountSnapshot, time_range: DateTimeRange | None = None) -> CountSnapshot:
    """Force an exact recount from scratch (over a new range, if given) and store it.

    Locks the snapshot's row (only it) and counts the range it holds then, so a
    concurrent move is never overwritten with the old range's figure. Raises
    ``DoesNotExist`` when it was deleted meanwhile, ``RangeTaken`` when another
    snapshot of the organisation holds the new range.
    """
    with transaction.atomic():
        locked = CountSnapshot.objects.select_for_update(of=("self",)).select_related("org").get(pk=snapshot.pk)
        target = time_range or locked.time_range
        clash = CountSnapshot.objects.filter(
            org_id=locked.org_id, range_start=target.start, range_end=target.end
        ).exclude(pk=locked.pk)
        taken = clash.first()
        if taken is not None:
            raise RangeTaken(taken.public_id)
        locked.range_start, locked.range_end = target.start, target.end
        locked.snapshot_at = now_to_second()
        locked.record_count = count_activities(org=locked.org_id, time_range=target)
        locked.save()
    return locked


def count_snapshot_delete(*, snapshot: CountSnapshot) -> str:
    """Delete a snapshot; returns its public id. Raises ``DoesNotExist`` if it is already
    gone: of two concurrent deletes, one wins."""
    public_id = snapshot.public_id
    deleted, _ = CountSnapshot.objects.filter(pk=snapshot.pk).delete()
    if not deleted:
        raise CountSnapshot.DoesNotExist(public_id)
    # Held streams of this range end (docs/stream.md): a close on its channel after commit.
    channel = grip.range_end_channel(snapshot.org_id, DateTimeRange(snapshot.range_start, snapshot.range_end))
    transaction.on_commit(lambda: grip.close_channels([channel]))
    return public_id


BATCH = 200


def count_snapshots_refresh(*, snapshots: Iterable[CountSnapshot], dry_run: bool = False) -> tuple[int, int, int]:
    """Recount many snapshots exactly and store the figures; returns (checked, changed,
    failed). Per organisation, up to ``BATCH`` snapshots are locked (those rows only),
    counted over the ranges they hold at that moment in one query, and written."""
    by_org: dict[int, list[int]] = defaultdict(list)
    for snapshot in snapshots:
        by_org[snapshot.org_id].append(snapshot.pk)
    checked = changed = failed = 0
    for org_pk, pks in by_org.items():
        for i in range(0, len(pks), BATCH):
            batch = pks[i : i + BATCH]
            try:
                n, c = _refresh_batch(org_pk, batch, dry_run=dry_run)
            except DatabaseError:
                failed += len(batch)
                continue
            checked += n
            changed += c
    return checked, changed, failed


def _refresh_batch(org_pk: int, pks: list[int], *, dry_run: bool) -> tuple[int, int]:
    with transaction.atomic():
        rows = CountSnapshot.objects.filter(pk__in=pks).order_by("pk")
        locked = list(rows if dry_run else rows.select_for_update())  # deleted ones drop out
        counts = count_ranges(org=org_pk, ranges=[s.time_range for s in locked])
        now = now_to_second()
        changed = [s for s, n in zip(locked, counts, strict=True) if s.record_count != n]
        for snapshot, n in zip(locked, counts, strict=True):
            snapshot.record_count, snapshot.snapshot_at = n, now
        if not dry_run:
            CountSnapshot.objects.bulk_update(locked, ["record_count", "snapshot_at"])
    return len(locked), len(changed)
