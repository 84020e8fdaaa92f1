"""The history of every change to an activity: who acts, what is written, how it is read.

*Who.* The layer that takes a request or a job says who acts, with ``acting_as``: the
API view (the API key by name, or the signed-in user), admin (the user), the import job
(``import #12 by kari``), a command (``command import_activities``). ``activities.services``
reads ``current_actor()`` when it writes; this app never learns what an API key is, it is
handed a label. A write with no actor set is put down to the running command
(``manage.py <name>``) or to ``system``.

*What.* Every write path of ``activities.services`` hands its rows to an ``EventBatch``,
which writes one ``ActivityEvent`` per activity created, changed, moved or deleted, in
the writer's transaction (it commits or rolls back with the activities), with
``{field: [old, new]}``. A batch is one statement: COPY on PostgreSQL (the import's bulk
path stays a bulk path), ``bulk_create`` elsewhere. A write that changes nothing (an
unchanged import row, a PATCH with the same values) writes no event.

*Reading.* ``activity_events`` lists an organisation's events in a period since an instant
(what a submitted period's drift lists); ``events_of`` one activity's (its admin page).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from activities.fields import DATA_FIELDS
from activities.models import ActivityEvent, Organization
from lib.timeranges import DateTimeRange, isoformat_z

LABEL_MAX_LENGTH = 200
# The fields whose changes are recorded, in the API's names ("org" is its org_id).
TRACKED = ("org", *DATA_FIELDS)


# --- Who -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a label always, the user's primary key when there is one."""

    label: str
    user_id: int | None = None


_actor: ContextVar[Actor | None] = ContextVar("activities_actor", default=None)


@contextmanager
def acting_as(label: str, *, user: Any = None) -> Iterator[Actor]:
    """Every activity write inside the block is put down to ``label`` (and ``user``, a
    user model instance, when given and signed in)."""
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    actor = Actor(label[:LABEL_MAX_LENGTH], user_id)
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def user_label(user: Any) -> str:
    return str(user.get_username()) if getattr(user, "is_authenticated", False) else "anonymous"


def current_actor() -> Actor:
    actor = _actor.get()
    if actor is not None:
        return actor
    argv = sys.argv
    if len(argv) > 1 and Path(argv[0]).name == "manage.py":
        return Actor(f"command {argv[1]}"[:LABEL_MAX_LENGTH])
    return Actor("system")


# --- What ------------------------------------------------------------------------------


def _json(value: Any) -> Any:
    return isoformat_z(value) if isinstance(value, dt.datetime) else value


Values = Mapping[str, Any]  # TRACKED -> value ("org" as the org_id)
_Row = tuple[str, str, int, dt.datetime | None, int | None, dt.datetime | None, dict[str, list[Any]]]

_COLUMNS = (
    "activity_id",
    "action",
    "org_id",
    "recorded_at",
    "old_org_id",
    "old_recorded_at",
    "changes",
    "actor_id",
    "actor_label",
    "at",
)


class EventBatch:
    """The events of one write, written together by ``write`` (inside its transaction)."""

    def __init__(self) -> None:
        self.actor = current_actor()
        self.at = timezone.now()
        self.rows: list[_Row] = []

    def created(self, activity_id: str, org_pk: int, recorded_at: dt.datetime) -> None:
        # No field values: the activity holds them, and every later change (or its delete)
        # records the values it replaced, so its state at creation can be rebuilt by
        # walking back. That keeps an import's created rows cheap (docs/design.md, "History").
        self.rows.append((activity_id, "create", org_pk, recorded_at, None, None, {}))

    def changed(self, activity_id: str, old_org_pk: int, before: Values, org_pk: int, after: Values) -> None:
        changes = {name: [_json(before[name]), _json(after[name])] for name in TRACKED if before[name] != after[name]}
        if not changes:
            return
        action = "move" if old_org_pk != org_pk else "change"
        self.rows.append(
            (activity_id, action, org_pk, after["recorded_at"], old_org_pk, before["recorded_at"], changes)
        )

    def deleted(self, activity_id: str, org_pk: int, values: Values) -> None:
        changes = {name: [_json(values[name]), None] for name in TRACKED if values[name] is not None}
        self.rows.append((activity_id, "delete", org_pk, None, org_pk, values["recorded_at"], changes))

    def write(self) -> None:
        """One statement for the batch: COPY on PostgreSQL, ``bulk_create`` elsewhere."""
        if not self.rows:
            return
        actor_id, label, at = self.actor.user_id, self.actor.label, self.at
        if connection.vendor == "postgresql":
            self._copy(actor_id, label, at)
        else:
            ActivityEvent.objects.bulk_create(
                [
                    ActivityEvent(
                        activity_id=activity_id,
                        action=action,
                        org_id=org_pk,
                        recorded_at=recorded_at,
                        old_org_id=old_org_pk,
                        old_recorded_at=old_recorded_at,
                        changes=changes,
                        actor_id=actor_id,
                        actor_label=label,
                        at=at,
                    )
                    for activity_id, action, org_pk, recorded_at, old_org_pk, old_recorded_at, changes in self.rows
                ],
                batch_size=1000,
            )
        self.rows = []

    def _copy(self, actor_id: int | None, label: str, at: dt.datetime) -> None:
        """COPY in text format, each line formatted here: several times faster than
        psycopg's per-value ``write_row`` for an import's rows."""
        table = connection.ops.quote_name(ActivityEvent._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
        tail = "\t".join(["\\N" if actor_id is None else str(actor_id), _copy_text(label), at.isoformat()]) + "\n"
        dumps = json.dumps
        lines = [
            f"{_copy_text(activity_id)}\t{action}\t{org_pk}\t{_copy_instant(recorded_at)}\t"
            f"{_NULL if old_org_pk is None else old_org_pk}\t{_copy_instant(old_recorded_at)}\t"
            f"{_copy_text(dumps(changes)) if changes else '{}'}\t{tail}"
            for activity_id, action, org_pk, recorded_at, old_org_pk, old_recorded_at, changes in self.rows
        ]
        with connection.cursor() as cursor, connection.wrap_database_errors:
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper; its errors
            # still become Django's (a cut connection: OperationalError, the API's 503)
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for start in range(0, len(lines), 5000):
                    copy.write("".join(lines[start : start + 5000]))


_NULL = "\\N"


def _copy_instant(value: dt.datetime | None) -> str:
    return _NULL if value is None else value.isoformat()


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return escaped."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


# --- Reading ---------------------------------------------------------------------------


def activity_events(
    *,
    org: Organization | int,
    time_range: DateTimeRange,
    since: dt.datetime | None = None,
    unseen_by: str | None = None,
    own_xid: str = "",
) -> QuerySet[ActivityEvent]:
    """The events of ``org``'s activities in ``time_range`` written after ``since``:
    those whose activity was in the range after the change (created, changed, moved in)
    or before it (changed or moved out of the range or to another organisation, deleted).
    Oldest first.

    ``unseen_by`` (PostgreSQL): a ``pg_current_snapshot()``; only the events written by
    transactions that snapshot does not see, i.e. committed after it was taken (an
    import that began before and committed after included, whatever its ``at``), except
    those of ``own_xid`` (the transaction that took it) written up to ``since``."""
    events = ActivityEvent.objects.filter(
        (Q(org=org) & time_range.q("recorded_at")) | (Q(old_org=org) & time_range.q("old_recorded_at"))
    )
    if unseen_by:
        table = ActivityEvent._meta.db_table
        unseen = RawSQL(f'NOT pg_visible_in_snapshot("{table}"."xid", %s::pg_snapshot)', [unseen_by])  # noqa: S611
        events = events.alias(unseen=ExpressionWrapper(unseen, output_field=BooleanField())).filter(unseen=True)
        if own_xid and since is not None:
            own = RawSQL(f'"{table}"."xid" = %s::xid8', [own_xid])  # noqa: S611
            events = events.alias(own=ExpressionWrapper(own, output_field=BooleanField())).exclude(
                own=True, at__lte=since
            )
    elif since is not None:
        events = events.filter(at__gt=since)
    return events.select_related("org", "old_org", "actor").order_by("at", "pk")


def events_of(activity_id: str) -> QuerySet[ActivityEvent]:
    """One activity's history, newest first (its admin page)."""
    return ActivityEvent.objects.filter(activity_id=activity_id).order_by("-at", "-pk")
