from __future__ import annotations

from typing import Any

from rest_framework import serializers

from activities.counting import GROUP_FIELDS
from activities.serializers import OrganizationField
from lib.api.fields import BOUND_HELP, BoundQueryField, StrictSerializer
from reports.series import COMPARES, INTERVALS, MAX_BUCKETS, MAX_GROUP_BY

FORMATS = ("json", "csv", "xlsx")
ORG_HELP = "Organisation id, e.g. org-bufdir-42. Missing, blank or unknown: 400 naming org_id."


class ReportQuerySerializer(StrictSerializer):
    """Query parameters of GET /api/v1/reports/series; every error is a 400 naming its parameter."""

    org_id = OrganizationField(help_text=ORG_HELP, error_messages={"null": "This field is required."})
    start = BoundQueryField(help_text=BOUND_HELP)
    end = BoundQueryField(help_text=BOUND_HELP + " The end is inclusive to the whole second.")
    interval = serializers.ChoiceField(
        choices=INTERVALS,
        default="month",
        help_text=f"Local calendar buckets in the reporting time zone (ISO weeks from Monday); "
        f"none: one bucket labelled all. At most {MAX_BUCKETS} buckets.",
    )
    group_by = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=f"Up to {MAX_GROUP_BY} of {', '.join(GROUP_FIELDS)}, comma-separated, e.g. activity_type,status.",
    )
    compare = serializers.ChoiceField(
        choices=COMPARES,
        required=False,
        help_text="previous_period: the range of equal length ending the second before start; "
        "previous_year: the same local dates a year earlier (29 February maps to 28 February).",
    )
    format = serializers.ChoiceField(
        choices=FORMATS,
        required=False,
        help_text="json (default), csv or xlsx; an Accept of text/csv or the XLSX media type does the same.",
    )

    def validate_group_by(self, value: str) -> tuple[str, ...]:
        names = tuple(name.strip() for name in value.split(",") if name.strip())
        unknown = [name for name in names if name not in GROUP_FIELDS]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown dimension {', '.join(unknown)}; choose from {', '.join(GROUP_FIELDS)}."
            )
        if len(set(names)) != len(names):
            raise serializers.ValidationError("A dimension is named twice.")
        if len(names) > MAX_GROUP_BY:
            raise serializers.ValidationError(f"At most {MAX_GROUP_BY} dimensions, not {len(names)}.")
        return names


# The answer's shape, for the schema (the view builds it in reports.render).
GROUPS_HELP = (
    "With group_by: each value of the first dimension seen in the range (or its comparison) "
    "to its count, or with two dimensions to an object keyed by the second; zeros included."
)


class ReportRangeSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Inclusive to the whole second.")


class ReportNumbersSerializer(serializers.Serializer):
    activity_count = serializers.IntegerField()
    participant_total = serializers.IntegerField()
    groups = serializers.DictField(child=serializers.JSONField(), required=False, help_text=GROUPS_HELP)


class ReportBucketSerializer(ReportNumbersSerializer):
    period = serializers.CharField(help_text="2026-01-15, 2026-W03, 2026-01, 2026-Q1, 2026 or all.")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField(help_text="Inclusive to the whole second.")
    partial = serializers.BooleanField(help_text="True when the bucket is clipped to the range.")  # type: ignore[assignment]


class ReportComparisonSerializer(serializers.Serializer):
    range = ReportRangeSerializer()
    total = ReportNumbersSerializer()
    buckets = ReportBucketSerializer(many=True)


class ReportSeriesSerializer(serializers.Serializer):
    org_id = serializers.CharField()
    range = ReportRangeSerializer()
    interval = serializers.ChoiceField(choices=INTERVALS)
    time_zone = serializers.CharField()
    group_by = serializers.ListField(child=serializers.ChoiceField(choices=GROUP_FIELDS))
    total = ReportNumbersSerializer()
    buckets = ReportBucketSerializer(many=True)
    compare = serializers.ChoiceField(choices=COMPARES, required=False)
    comparison = ReportComparisonSerializer(required=False)


EXAMPLE: dict[str, Any] = {
    "org_id": "org-bufdir-42",
    "range": {"start": "2025-12-31T23:00:00Z", "end": "2026-02-28T22:59:59Z"},
    "interval": "month",
    "time_zone": "Europe/Oslo",
    "group_by": ["activity_type"],
    "total": {"activity_count": 50, "participant_total": 148, "groups": {"family_guidance": 32, "peer_support": 18}},
    "buckets": [
        {
            "period": "2026-01",
            "start": "2025-12-31T23:00:00Z",
            "end": "2026-01-31T22:59:59Z",
            "partial": False,
            "activity_count": 30,
            "participant_total": 88,
            "groups": {"family_guidance": 20, "peer_support": 10},
        },
        {
            "period": "2026-02",
            "start": "2026-01-31T23:00:00Z",
            "end": "2026-02-28T22:59:59Z",
            "partial": False,
            "activity_count": 20,
            "participant_total": 60,
            "groups": {"family_guidance": 12, "peer_support": 8},
        },
    ],
}
