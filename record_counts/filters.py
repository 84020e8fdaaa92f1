from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from lib.timeranges import now_to_second
from record_counts.models import CountSnapshot

TRUE = ("true", "True", "1")
FALSE = ("false", "False", "0")


class CountSnapshotFilter(django_filters.FilterSet):
    org_id = django_filters.CharFilter(field_name="org__org_id", help_text="Organisation id, e.g. org-bufdir-42.")
    # A ChoiceFilter, not a BooleanFilter: that one ignores a value it cannot read
    # (``is_complete=yes`` listed everything); here anything else is a 400. The spellings
    # the BooleanFilter read stay accepted: Python's requests sends ``True``, others ``1``.
    is_complete = django_filters.ChoiceFilter(
        choices=[(v, v) for v in (*TRUE, *FALSE)],
        method="filter_complete",
        help_text="true: ranges that have closed; false: open ones.",
    )

    class Meta:
        model = CountSnapshot
        fields = ["org_id", "is_complete"]

    def filter_complete(self, queryset: QuerySet[CountSnapshot], name: str, value: Any) -> QuerySet[CountSnapshot]:
        if value in (None, ""):
            return queryset
        return queryset.complete(now=now_to_second(), value=value in TRUE)  # type: ignore[attr-defined]
