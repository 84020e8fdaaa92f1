"""Filters of the activities list: organisation, type, status, location and a range."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from activities.models import Activity
from lib.api.fields import BOUND_FILTER_SCHEMA
from lib.timeranges import Bound, RangeError, end_exclusive, parse_bound


class BoundFormField(forms.CharField):
    def __init__(self, *args: Any, bound: Bound = "start", **kwargs: Any) -> None:
        self.bound: Bound = bound
        # Not stripped: only an empty value means "no filter" (allowEmptyValue in the
        # schema); whitespace alone is a bad bound, a 400, not silently no filter.
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> dt.datetime | None:
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            parsed = parse_bound(value, bound=self.bound)
            if self.bound == "end":
                end_exclusive(parsed)  # the filter's exclusive end must exist
            return parsed
        except OverflowError:
            raise forms.ValidationError("end is out of the supported range.") from None
        except RangeError as exc:
            # The message quotes the client's value; django-filter %-formats messages, so
            # a "%" in it must travel as a parameter, not in the format string.
            raise forms.ValidationError("%(message)s", params={"message": str(exc)}) from None


@extend_schema_field(BOUND_FILTER_SCHEMA)
class BoundFilter(django_filters.Filter):
    """``start``/``end`` of a range: a datetime with offset or a bare date (a local day)."""

    field_class = BoundFormField

    def __init__(self, *args: Any, bound: Bound, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "recorded_at")
        # ``end`` is inclusive to the whole second: recorded_at < truncate(end) + 1s.
        kwargs["lookup_expr"] = "gte" if bound == "start" else "lt"
        super().__init__(*args, bound=bound, **kwargs)
        self.bound = bound

    def filter(self, qs: Any, value: dt.datetime | None) -> Any:
        if value is None:
            return qs
        if self.bound == "end":
            value = end_exclusive(value)
        return super().filter(qs, value)


class ActivityFilter(django_filters.FilterSet):
    org_id = django_filters.CharFilter(field_name="org__org_id", help_text="Organisation id, e.g. org-bufdir-42.")
    activity_type = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=Activity.Status.choices)
    location = django_filters.CharFilter()
    start = BoundFilter(bound="start", help_text="recorded_at >= start (datetime with offset, or a local date).")
    end = BoundFilter(bound="end", help_text="recorded_at <= end, inclusive to the whole second.")

    class Meta:
        model = Activity
        fields = ["org_id", "activity_type", "status", "location", "start", "end"]
