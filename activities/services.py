"""Writes to activities. Every path that changes activities goes through here.

Each write runs in one transaction that touches activity rows only (and appends their
history, ``activities.history``, and the change marker): no count is maintained and no
lock spans an organisation. After commit it announces, once, which
organisations and instants changed (``activities.events``); the stream and any cache
listen to that. A transaction PostgreSQL aborts for a deadlock or serialization failure
is retried (``lib.transactions``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from activities.events import announce_on_commit, compact_markers
from activities.fields import DATA_FIELDS
from activities.history import EventBatch
from activities.models import Activity, ActivityChange, Organization, generate_activity_id
from lib.transactions import retrying

MAX_BULK_CREATE = 1000


@dataclass(frozen=True)
class ActivityData:
    """The fields of a new activity, validated by the caller (API, import, admin)."""

    org: Organization
    activity_type: str
    recorded_at: dt.datetime
    participant_count: int = 0
    location: str = ""
    status: str = Activity.Status.COMPLETED
    activity_id: str | None = field(default=None)
    duration_minutes: int | None = None  # None: unknown
    in_person: bool | None = None  # None: unknown


Point = tuple[int, dt.datetime]  # (organisation pk, recorded_at): where a change shows


def _point(activity: Activity) -> Point:
    return (activity.org_id, activity.recorded_at)


def _values(activity: Activity | ActivityData) -> dict[str, Any]:
    """What the history records of an activity (``org`` as its org_id; the org is loaded)."""
    return {"org": activity.org.org_id, **{name: getattr(activity, name) for name in DATA_FIELDS}}


def _org_keys(pks: Iterable[int], known: Iterable[Organization] = ()) -> dict[int, str]:
    """org_id by primary key, asking the database only for those not in ``known``."""
    keys = {org.pk: org.org_id for org in known}
    missing = set(pks) - keys.keys()
    if missing:
        keys.update(Organization.objects.filter(pk__in=missing).values_list("pk", "org_id"))
    return keys


def activities_create(*, items: Sequence[ActivityData]) -> list[Activity]:
    """Create activities in one transaction; all or nothing."""
    if len(items) > MAX_BULK_CREATE:
        raise ValidationError(f"At most {MAX_BULK_CREATE} activities can be created at once.")
    ids = [item.activity_id for item in items if item.activity_id]
    if len(ids) != len(set(ids)):
        raise ValidationError({"activity_id": "The same activity_id appears more than once."})
    objs = [
        Activity(
            activity_id=item.activity_id or generate_activity_id(),
            org=item.org,
            activity_type=item.activity_type,
            recorded_at=item.recorded_at,
            participant_count=item.participant_count,
            location=item.location,
            status=item.status,
            duration_minutes=item.duration_minutes,
            in_person=item.in_person,
        )
        for item in items
    ]
    try:
        created = _create(objs)
    except IntegrityError:
        # A concurrent writer took one of the ids between validation and insert.
        raise ValidationError({"activity_id": "An activity with this activity_id already exists."}) from None
    return created


@retrying
def _create(objs: list[Activity]) -> list[Activity]:
    created = Activity.objects.bulk_create(objs, batch_size=500)
    events = EventBatch()
    for activity in created:
        events.created(activity.activity_id, activity.org_id, activity.recorded_at)
    events.write()
    announce_on_commit(_point(a) for a in created)
    return created


def activity_create(*, data: ActivityData) -> Activity:
    return activities_create(items=[data])[0]


@dataclass(frozen=True)
class UpsertStats:
    created: int
    updated: int
    unchanged: int


def activities_upsert(*, items: Sequence[ActivityData]) -> UpsertStats:
    """Create or update activities keyed by ``activity_id`` (each item must have one).

    Rows whose stored values already match are not written, so importing the same data
    twice changes nothing. A few statements for any batch size: one locking read (of
    these activities' rows only), one insert, one update, one insert of their history
    (``activities.history``); announced after commit.
    """
    by_id: dict[str, ActivityData] = {}
    for item in items:
        if not item.activity_id or item.activity_id in by_id:
            raise ValueError("activities_upsert needs distinct, non-empty activity_ids")
        by_id[item.activity_id] = item
    with transaction.atomic():
        existing = {
            a.activity_id: a
            for a in Activity.objects.select_for_update()
            .filter(activity_id__in=list(by_id))
            .order_by("pk")  # one lock order for every writer: no deadlock between imports
            .only("pk", "activity_id", "org_id", *DATA_FIELDS)
        }
        new: list[ActivityData] = []
        changed: list[Activity] = []
        points: list[Point] = []
        events = EventBatch()
        org_keys = _org_keys((a.org_id for a in existing.values()), known={item.org for item in items})
        for activity_id, item in by_id.items():
            current = existing.get(activity_id)
            if current is None:
                new.append(item)
                points.append((item.org.pk, item.recorded_at))
                events.created(activity_id, item.org.pk, item.recorded_at)
                continue
            same = current.org_id == item.org.pk and all(
                getattr(current, name) == getattr(item, name) for name in DATA_FIELDS
            )
            if same:
                continue
            points.append(_point(current))  # where it was, and where it is now
            before = {"org": org_keys[current.org_id], **{name: getattr(current, name) for name in DATA_FIELDS}}
            events.changed(activity_id, current.org_id, before, item.org.pk, _values(item))
            current.org = item.org
            for name in DATA_FIELDS:
                setattr(current, name, getattr(item, name))
            changed.append(current)
            points.append(_point(current))
        try:
            _insert(new)
        except IntegrityError:
            raise ValidationError(
                {"activity_id": "Another writer created one of these activities meanwhile."}
            ) from None
        if changed:
            Activity.objects.bulk_update(changed, fields=["org", *DATA_FIELDS], batch_size=1000)
        events.write()
        announce_on_commit(points)
    return UpsertStats(created=len(new), updated=len(changed), unchanged=len(by_id) - len(new) - len(changed))


_COPY_COLUMNS = ("activity_id", "org_id", *DATA_FIELDS)


def _insert(items: Sequence[ActivityData]) -> None:
    """Insert new activities: COPY on PostgreSQL (several times faster for imports),
    ``bulk_create`` elsewhere. Either way inside the caller's transaction."""
    if not items:
        return
    if connection.vendor != "postgresql":
        Activity.objects.bulk_create(
            [
                Activity(activity_id=str(i.activity_id), org=i.org, **{n: getattr(i, n) for n in DATA_FIELDS})
                for i in items
            ],
            batch_size=1000,
        )
        return
    table = connection.ops.quote_name(Activity._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COPY_COLUMNS)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper; its errors
        # still become Django's (a cut connection: OperationalError, the API's 503)
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for i in items:
                copy.write_row((i.activity_id, i.org.pk, *(getattr(i, n) for n in DATA_FIELDS)))


def activity_update(*, activity: Activity, changes: dict[str, Any]) -> Activity:
    """Apply field changes to one activity (``org`` may change too)."""
    allowed = {"org", *DATA_FIELDS}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {sorted(unknown)}")
    return _update(activity.pk, changes)


@retrying
def _update(pk: int, changes: dict[str, Any]) -> Activity:
    # Lock the row so the instant announced as left is the one stored. Only this row
    # (of="self"): FOR UPDATE on the joined organisation row would block every insert
    # of that organisation's activities (their foreign-key check). Raises DoesNotExist
    # when a concurrent delete won (the API answers 404).
    current = Activity.objects.select_for_update(of=("self",)).select_related("org").get(pk=pk)
    before = _point(current)
    old_values = _values(current)
    for name, value in changes.items():
        setattr(current, name, value)
    current.save(update_fields=[*changes] if changes else None)
    after = _point(current)
    events = EventBatch()
    events.changed(current.activity_id, before[0], old_values, after[0], _values(current))
    events.write()
    if before != after:
        announce_on_commit([before, after])
    return current


def activities_delete(*, activities: Iterable[Activity]) -> int:
    """Delete activities in one transaction; returns how many were deleted."""
    return _delete([a.pk for a in activities])


@retrying
def _delete(pks: list[int]) -> int:
    locked = list(
        Activity.objects.select_for_update()
        .filter(pk__in=pks)
        .order_by("pk")
        .only("pk", "activity_id", "org_id", *DATA_FIELDS)
    )
    Activity.objects.filter(pk__in=[a.pk for a in locked]).delete()
    org_keys = _org_keys(a.org_id for a in locked)
    events = EventBatch()
    for a in locked:
        events.deleted(
            a.activity_id, a.org_id, {"org": org_keys[a.org_id], **{name: getattr(a, name) for name in DATA_FIELDS}}
        )
    events.write()
    announce_on_commit(_point(a) for a in locked)
    return len(locked)


def activity_delete(*, activity: Activity) -> bool:
    """Delete one activity; False if it was already gone (a concurrent delete won)."""
    return activities_delete(activities=[activity]) == 1


def activity_changes_compact() -> int:
    """Fold each organisation's change rows into one of the same total weight (so the
    count cache's marker is unchanged); returns how many rows were removed. Run by
    ``reaggregate``; writers fold their own organisations' now and then as well
    (``activities.events.compact_markers``)."""
    org_pks = ActivityChange.objects.values_list("org_id", flat=True).distinct().order_by()
    return sum(compact_markers(org_pk) for org_pk in org_pks)
