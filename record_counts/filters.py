from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from bufdir_project.timeranges import now_to_second
from record_counts.models import CountSnapshot


class CountSnapshotFilter(django_filters.FilterSet):
    org_id = django_filters.CharFilter(field_name="org__org_id", help_text="Organisation id, e.g. org-bufdir-42.")
    # A ChoiceFilter, not a BooleanFilter: that one ignores a value it cannot read
    # (``is_complete=yes`` listed everything); here anything but true/false is a 400.
    is_complete = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_complete",
        help_text="true: ranges that have closed; false: open ones.",
    )

    class Meta:
        model = CountSnapshot
        fields = ["org_id", "is_complete"]

    def filter_complete(self, queryset: QuerySet[CountSnapshot], name: str, value: Any) -> QuerySet[CountSnapshot]:
        if value in (None, ""):
            return queryset
        return queryset.complete(now=now_to_second(), value=value == "true")  # type: ignore[attr-defined]
