from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from bufdir_project.timeranges import now_to_second
from record_counts.models import CountSnapshot


class CountSnapshotFilter(django_filters.FilterSet):
    org_id = django_filters.CharFilter(field_name="org__org_id", help_text="Organisation id, e.g. org-bufdir-42.")
    is_complete = django_filters.BooleanFilter(method="filter_complete", help_text="true: ranges that have closed.")

    class Meta:
        model = CountSnapshot
        fields = ["org_id", "is_complete"]

    def filter_complete(self, queryset: QuerySet[CountSnapshot], name: str, value: Any) -> QuerySet[CountSnapshot]:
        if value is None:
            return queryset
        return queryset.complete(now=now_to_second(), value=bool(value))  # type: ignore[attr-defined]
