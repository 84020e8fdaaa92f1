from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from lib.timeranges import now_to_second
from record_counts.models import CountSnapshot

TRUE = ("true", "True", "1")
FALSE = ("false", "False", "0")
IS_COMPLETE_HELP = "true: ranges that have closed; false: open ones (True/False and 1/0 are read too)."


class CountSnapshotFilter(django_filters.FilterSet):
    org_id = django_filters.CharFilter(field_name="org__org_id", help_text="Organisation id, e.g. org-bufdir-42.")
    # A ChoiceFilter, not a BooleanFilter: that one ignores a value it cannot read
    # (``is_complete=yes`` listed everything); here anything else is a 400. The spellings
    # the BooleanFilter read stay accepted: Python's requests sends ``True``, others ``1``.
    # The schema says boolean (filter_complete's annotation): an enum of the spellings
    # broke generated clients (openapi-python-client: "Duplicate key FALSE").
    is_complete = django_filters.ChoiceFilter(
        choices=[(v, v) for v in (*TRUE, *FALSE)],
        method="filter_complete",
        help_text=IS_COMPLETE_HELP,
    )

    class Meta:
        model = CountSnapshot
        fields = ["org_id", "is_complete"]

    @extend_schema_field({"type": "boolean", "description": IS_COMPLETE_HELP})
    def filter_complete(self, queryset: QuerySet[CountSnapshot], name: str, value: Any) -> QuerySet[CountSnapshot]:
        if value in (None, ""):
            return queryset
        return queryset.complete(now=now_to_second(), value=value in TRUE)  # type: ignore[attr-defined]
