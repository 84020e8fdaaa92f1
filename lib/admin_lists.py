"""Admin lists that stay fast over millions of rows on PostgreSQL.

Two costs of Django's changelist grow with the table: the paginator's ``count(*)``
and the ``DISTINCT`` behind each "all values" filter. The paginator below reads the
planner's row estimate for an unfiltered table instead of counting it; the filter
caches its values for a few minutes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import admin
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


def table_row_estimate(queryset: QuerySet[Any]) -> int | None:
    """The planner's row count for the queryset's table (kept by ANALYZE/autovacuum),
    or None off PostgreSQL or before the table was first analysed."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(queryset.model._meta.db_table)],
        )
        row = cursor.fetchone()
    return None if row is None or row[0] < 0 else int(row[0])


class EstimatedCountPaginator(Paginator):
    """Counts exactly, except a whole big table on PostgreSQL: that is the planner's
    estimate (a million rows cost ~50 ms to count, every page view). A filtered list
    is counted exactly; the indexes keep that cheap."""

    estimate_above = 100_000

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if isinstance(qs, QuerySet) and not qs.query.where and not qs.query.combinator:
            estimate = table_row_estimate(qs)
            if estimate is not None and estimate > self.estimate_above:
                return estimate
        return super().count


class CachedValuesFilter(admin.AllValuesFieldListFilter):
    """ "All values" filter whose choices are cached for five minutes: the DISTINCT over
    the whole table takes ~120 ms per column with 1,000,000 activities. A new value shows
    up in the list a few minutes late; filtering by it works at once."""

    timeout = 300

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = self.lookup_choices
        if isinstance(choices, QuerySet):
            # The SQL names the user's organisations, so each scope has its own entry.
            digest = hashlib.sha256(str(choices.query).encode()).hexdigest()[:32]
            values = cache.get_or_set(f"admin-values:{digest}", lambda: list(choices), self.timeout)
            self.lookup_choices = values  # type: ignore[assignment]  # a list serves as well
