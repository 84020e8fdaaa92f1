from __future__ import annotations

from rest_framework import serializers

from activities.serializers import OrganizationField
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from bufdir_project.api.fields import RangeSerializer, StrictSerializer, UTCDateTimeField


class SnapshotSerializer(serializers.ModelSerializer):
    """A snapshot as the contract shows it, plus the additive breakdown fields."""

    id = serializers.CharField(source="public_id", read_only=True, help_text="e.g. agg-snap-001")
    org_id = serializers.CharField(source="org.org_id", read_only=True)
    range_start = UTCDateTimeField(read_only=True)
    range_end = UTCDateTimeField(read_only=True, help_text="Inclusive to the whole second.")
    snapshot_at = UTCDateTimeField(read_only=True)
    by_activity_type = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    by_status = serializers.DictField(child=serializers.IntegerField(), read_only=True)

    class Meta:
        model = AggregationSnapshot
        fields = [
            "id",
            "org_id",
            "range_start",
            "range_end",
            "activity_count",
            "snapshot_at",
            "participant_total",
            "by_activity_type",
            "by_status",
        ]
        read_only_fields = fields


class SnapshotCreateSerializer(StrictSerializer):
    org_id = OrganizationField()
    range = RangeSerializer()


class SnapshotUpdateSerializer(StrictSerializer):
    range = RangeSerializer(required=False, help_text="Without it the stored range is kept.")


class ActivitiesQuerySerializer(StrictSerializer):
    """Query parameters of GET /activities (validated for the schema and for errors)."""

    org_id = OrganizationField()
    start = serializers.CharField()
    end = serializers.CharField()
    activity_type = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    location = serializers.CharField(required=False)
    page = serializers.IntegerField(required=False)
    limit = serializers.IntegerField(required=False)


class OrgQuerySerializer(StrictSerializer):
    org_id = OrganizationField()


class SubmittedPeriodSerializer(serializers.ModelSerializer):
    org_id = serializers.CharField(source="org.org_id", read_only=True)
    submitted_period_id = serializers.CharField(source="public_id", read_only=True)
    submitted_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = SubmittedPeriod
        fields = [
            "org_id",
            "submitted_period_id",
            "period_start",
            "period_end",
            "submitted_at",
            "submitted_by",
            "activity_count",
        ]
        read_only_fields = fields
