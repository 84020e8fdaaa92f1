"""Reading an organisation's activities one by one, for the code that judges each one
(the grant schemes' rules, ``schemes.rules``): the only place that selects them for it.

Counting stays in ``activities.counting``; this module only streams rows, in the order
the rules rely on (``recorded_at``, then ``activity_id``), with the fields they need.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import NamedTuple

from django.db import connection
from django.db.models import F
from django.db.models.functions import Collate

from activities.models import Activity, Organization
from lib.timeranges import DateTimeRange

# Rows fetched per round trip (a server-side cursor on PostgreSQL).
CHUNK_SIZE = 5000


class ActivityRow(NamedTuple):
    """The fields of one activity that a scheme's rules and its report read."""

    activity_id: str
    recorded_at: dt.datetime
    activity_type: str
    status: str
    participant_count: int
    duration_minutes: int | None
    in_person: bool | None
    location: str


ROW_FIELDS = ActivityRow._fields


def _by_code_point(field: str) -> F | Collate:
    """``field`` ordered by code point, as Python compares strings: PostgreSQL's default
    collation (en_US, nb_NO…) would put ``act-a`` before ``act-B``; SQLite's is already
    binary."""
    return Collate(field, "C") if connection.vendor == "postgresql" else F(field)


def activity_rows(*, org: Organization | int, time_range: DateTimeRange) -> Iterator[ActivityRow]:
    """The organisation's activities in the range (``DateTimeRange.q``), ordered by
    ``recorded_at`` then ``activity_id`` (by code point), streamed in chunks: one query."""
    org_pk = org if isinstance(org, int) else org.pk
    rows = (
        Activity.objects.filter(org_id=org_pk)
        .filter(time_range.q("recorded_at"))
        .order_by("recorded_at", _by_code_point("activity_id").asc())
        .values_list(*ROW_FIELDS)
    )
    make = ActivityRow._make
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield make(row)
