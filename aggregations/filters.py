"""Filters of the snapshot list (organisation, exact range bounds) and of the submitted
periods (organisation, grant scheme)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema_field

from activities.filters import BoundFormField
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from lib.api.fields import BOUND_FILTER_SCHEMA


@extend_schema_field(BOUND_FILTER_SCHEMA)
class ExactBoundFilter(django_filters.Filter):
    """A range bound written like the API's ranges (offset or bare date), matched exactly."""

    field_class = BoundFormField

    def filter(self, qs: Any, value: dt.datetime | None) -> Any:
        if value is not None and self.field_name == "range_end":
            value = value.replace(microsecond=0)  # ends are stored at whole seconds
        return super().filter(qs, value)


class AggregationSnapshotFilter(django_filters.FilterSet):
    org_id = django_filters.CharFilter(field_name="org__org_id", help_text="Organisation id, e.g. org-bufdir-42.")
    range_start = ExactBoundFilter(
        field_name="range_start", bound="start", help_text="Snapshots starting at this instant."
    )
    range_end = ExactBoundFilter(
        field_name="range_end", bound="end", help_text="Snapshots ending at this second (inclusive end)."
    )

    class Meta:
        model = AggregationSnapshot
        fields = ["org_id", "range_start", "range_end"]


class SubmittedPeriodFilter(django_filters.FilterSet):
    org_id = django_filters.CharFilter(field_name="org__org_id", help_text="Organisation id, e.g. org-bufdir-42.")
    scheme = django_filters.CharFilter(
        field_name="scheme_version__scheme__code",
        help_text="Periods submitted under this grant scheme (its code, e.g. peer-support).",
    )

    class Meta:
        model = SubmittedPeriod
        fields = ["org_id", "scheme"]
