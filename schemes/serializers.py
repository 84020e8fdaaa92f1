from __future__ import annotations

from typing import Any

from rest_framework import serializers

from activities.serializers import OrganizationField
from lib.api.fields import BOUND_HELP, BoundQueryField, StrictSerializer
from lib.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_PAGE
from reports.serializers import ORG_HELP, ReportRangeSerializer
from schemes.models import GrantScheme
from schemes.rules import REASONS

FORMATS = ("json", "csv", "xlsx")
INCLUDES = ("activities",)
MIN_YEAR, MAX_YEAR = 1900, 2198  # a reporting year starting later would end outside the supported dates


class SchemeField(serializers.SlugRelatedField):
    """A grant scheme by its code; anything else is a 400 naming ``scheme``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", GrantScheme.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data: Any) -> GrantScheme:
        if not isinstance(data, str) or not data or len(data) > 64 or "\x00" in data:
            raise serializers.ValidationError("Unknown grant scheme: expected a scheme code such as peer-support.")
        try:
            return GrantScheme.objects.get(code=data)
        except GrantScheme.DoesNotExist:
            raise serializers.ValidationError(f"Unknown grant scheme {data!r}.") from None


class SchemeReportQuerySerializer(StrictSerializer):
    """Query parameters of GET /api/v1/reports/scheme; every error is a 400 naming its parameter."""

    org_id = OrganizationField(help_text=ORG_HELP, error_messages={"null": "This field is required."})
    scheme = SchemeField(help_text="The grant scheme's code, e.g. peer-support. Unknown: 400 naming scheme.")
    year = serializers.IntegerField(
        required=False,
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        help_text="The scheme's reporting year that starts in this year (local dates), instead of start and end.",
    )
    start = BoundQueryField(required=False, help_text=BOUND_HELP + " With end, instead of year.")
    end = BoundQueryField(
        required=False, help_text=BOUND_HELP + " The end is inclusive to the whole second. With start, instead of year."
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="A rules version of the scheme (default: the newest).",
    )
    include = serializers.ChoiceField(
        choices=INCLUDES, required=False, help_text="activities: add every activity's verdict, paginated (page, limit)."
    )
    format = serializers.ChoiceField(
        choices=FORMATS,
        required=False,
        help_text="json (default), csv or xlsx (every activity with its verdict); "
        "an Accept of text/csv or the XLSX media type does the same.",
    )
    page = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE, help_text="With include=activities: page number, from 1."
    )
    limit = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text=f"With include=activities: items per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_range = "start" in self.initial_data or "end" in self.initial_data
        if "year" in attrs and has_range:
            raise serializers.ValidationError({"year": ["Give either year or start and end, not both."]})
        return attrs


# The answer's shape, for the schema (the view builds it in schemes.exports).
class SchemeRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SchemeRuleVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    statuses = serializers.ListField(child=serializers.CharField())
    activity_types = serializers.ListField(child=serializers.CharField(), help_text="Empty: every type counts.")
    min_participants = serializers.IntegerField()
    min_duration_minutes = serializers.IntegerField(help_text="0: no minimum.")
    in_person_required = serializers.BooleanField()
    one_per_type_per_day = serializers.BooleanField()


class SchemeCountedSerializer(serializers.Serializer):
    activity_count = serializers.IntegerField()
    participant_total = serializers.IntegerField()
    by_activity_type = serializers.DictField(child=serializers.IntegerField())


class SchemeReasonCountsSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    activity_type = serializers.IntegerField()
    participants = serializers.IntegerField()
    duration = serializers.IntegerField()
    in_person = serializers.IntegerField()
    same_day = serializers.IntegerField()
    unknown_field = serializers.IntegerField()


class SchemeExcludedSerializer(serializers.Serializer):
    activity_count = serializers.IntegerField(help_text="The sum of by_reason.")
    by_reason = SchemeReasonCountsSerializer(
        help_text="Each excluded activity under exactly one reason (docs/schemes.md)."
    )


class SchemeVerdictSerializer(serializers.Serializer):
    activity_id = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    activity_type = serializers.CharField()
    status = serializers.CharField()
    participant_count = serializers.IntegerField()
    duration_minutes = serializers.IntegerField(allow_null=True)
    in_person = serializers.BooleanField(allow_null=True)
    location = serializers.CharField()
    counted = serializers.BooleanField()
    reason = serializers.ChoiceField(choices=REASONS, allow_null=True)


class SchemeVerdictPaginationSerializer(serializers.Serializer):
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()


class SchemeVerdictPageSerializer(serializers.Serializer):
    data = SchemeVerdictSerializer(many=True)  # type: ignore[assignment]  # a field named like Serializer.data
    pagination = SchemeVerdictPaginationSerializer()


class SchemeReportSerializer(serializers.Serializer):
    org_id = serializers.CharField()
    scheme = SchemeRefSerializer()
    rule_version = SchemeRuleVersionSerializer()
    year = serializers.CharField(allow_null=True, help_text="The reporting year asked for (2026, or 2026/27).")
    range = ReportRangeSerializer()
    time_zone = serializers.CharField()
    counted = SchemeCountedSerializer()
    excluded = SchemeExcludedSerializer()
    activities = SchemeVerdictPageSerializer(required=False, help_text="With include=activities.")


EXAMPLE: dict[str, Any] = {
    "org_id": "org-bufdir-42",
    "scheme": {"code": "peer-support", "name": "Likepersonsarbeid"},
    "rule_version": {
        "number": 2,
        "created_at": "2026-01-05T09:00:00Z",
        "statuses": ["completed"],
        "activity_types": ["peer_support"],
        "min_participants": 3,
        "min_duration_minutes": 45,
        "in_person_required": True,
        "one_per_type_per_day": True,
    },
    "year": "2026",
    "range": {"start": "2025-12-31T23:00:00Z", "end": "2026-12-31T22:59:59Z"},
    "time_zone": "Europe/Oslo",
    "counted": {"activity_count": 96, "participant_total": 512, "by_activity_type": {"peer_support": 96}},
    "excluded": {
        "activity_count": 31,
        "by_reason": {
            "status": 9,
            "activity_type": 12,
            "participants": 4,
            "duration": 2,
            "in_person": 1,
            "same_day": 2,
            "unknown_field": 1,
        },
    },
}
