"""Serializer building blocks shared by every API app: UTC datetimes and ranges."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from lib.timeranges import (
    Bound,
    DateTimeRange,
    RangeError,
    RangeFieldsError,
    isoformat_z,
    make_range,
    parse_bound,
    parse_instant,
    parse_range,
)

BOUND_HELP = (
    "ISO 8601 datetime with Z or an offset (a datetime without offset is rejected), "
    "or a bare date YYYY-MM-DD meaning the whole day in the reporting time zone."
)

DATETIME_HELP = (
    "ISO 8601 with Z or an offset, e.g. 2026-01-15T10:30:00+01:00 (also accepted: a space "
    "for T, no seconds, a comma before the fraction, an offset without colon); answered in UTC with Z."
)

# The schema says RFC 3339 (``format: date-time``, a bare date ``format: date``) so that
# generated clients get datetime and date types; the wider forms timeranges.parse_bound
# also reads (a space for "T", no seconds, a comma, an offset without colon, whitespace
# around the value) are named in the descriptions instead of in a pattern.
DATETIME_SCHEMA: dict[str, Any] = {"type": "string", "format": "date-time"}
BOUND_SCHEMA: dict[str, Any] = {
    "oneOf": [DATETIME_SCHEMA, {"type": "string", "format": "date"}],
    "description": BOUND_HELP,
}
# A filter given empty (``?start=``) is no filter, as everywhere in django-filter; the
# schema leaves that spelling out (a client just omits the parameter).
BOUND_FILTER_SCHEMA = BOUND_SCHEMA


@extend_schema_field(DATETIME_SCHEMA)
class UTCDateTimeField(serializers.DateTimeField):
    """Renders datetimes in UTC with a ``Z`` suffix whatever the current time zone."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", dt.UTC)
        super().__init__(*args, **kwargs)

    def to_representation(self, value: dt.datetime) -> str | None:  # type: ignore[override]
        if value is None:
            return None
        return isoformat_z(value)

    def to_internal_value(self, value: Any) -> dt.datetime:
        # Same rules as range bounds: offset required, rejected with a helpful message.
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601 with an offset")
        try:
            return parse_instant(value)
        except RangeError as exc:
            raise serializers.ValidationError(str(exc)) from None


class RangeBoundField(serializers.Field):
    """One range bound: a datetime with an offset, or a bare date (a whole local day)."""

    default_error_messages = {"invalid": "Expected a string."}

    def __init__(self, *, bound: Bound, **kwargs: Any) -> None:
        self.bound: Bound = bound
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dt.datetime:
        try:
            return parse_bound(data, bound=self.bound)
        except RangeError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value: dt.datetime) -> str:
        return isoformat_z(value)


class RangeBoundFieldSchema(OpenApiSerializerFieldExtension):
    """In, a bound is a datetime or a bare date; out (POST count's ``range``), always a UTC datetime."""

    target_class = RangeBoundField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return BOUND_SCHEMA if direction == "request" else DATETIME_SCHEMA


@extend_schema_field(BOUND_SCHEMA)
class BoundQueryField(serializers.CharField):
    """A range bound in a query string, documented like :class:`RangeBoundField`."""


class StrictMixin:
    """Rejects unknown keys with a 400 naming them (a typo must not be ignored silently)."""

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(StrictMixin, serializers.Serializer):
    """A plain serializer that rejects unknown keys."""


class RangeSerializer(StrictSerializer):
    """``{"start": ..., "end": ...}``; validates into a :class:`DateTimeRange`."""

    start = RangeBoundField(bound="start", help_text=BOUND_HELP)
    end = RangeBoundField(bound="end", help_text=BOUND_HELP + " The end is inclusive to the whole second.")

    def validate(self, attrs: dict[str, dt.datetime]) -> DateTimeRange:
        try:
            return make_range(attrs["start"], attrs["end"])
        except RangeFieldsError as exc:
            raise serializers.ValidationError(exc.errors) from None

    def to_representation(self, instance: DateTimeRange) -> dict[str, str]:
        return {"start": isoformat_z(instance.start), "end": isoformat_z(instance.end)}


class UTCModelSerializer(StrictMixin, serializers.ModelSerializer):
    """ModelSerializer that rejects unknown keys and renders datetimes in UTC with ``Z``."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: UTCDateTimeField,
    }


def range_from_query(params: Any, *, start_key: str = "start", end_key: str = "end") -> DateTimeRange:
    """Parse a required range from query parameters, raising a DRF 400 naming the parameter."""
    try:
        return parse_range(params.get(start_key), params.get(end_key))
    except RangeFieldsError as exc:
        renamed = {start_key if k == "start" else end_key: [v] for k, v in exc.errors.items()}
        raise serializers.ValidationError(renamed) from None
