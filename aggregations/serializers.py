from __future__ import annotations

from rest_framework import serializers

from activities.serializers import OrganizationField
from aggregations.models import AggregationSnapshot, SubmittedPeriod
from lib.api.fields import BOUND_HELP, BoundQueryField, RangeSerializer, StrictSerializer, UTCDateTimeField


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


# On GET an unknown org_id is a 400 naming it, as on POST: the parameter is wrong, while
# a 404 from /last-submitted-period keeps meaning "nothing submitted yet".
ORG_QUERY_HELP = "Organisation id, e.g. org-bufdir-42. Missing, blank or unknown: 400 naming org_id."
# A blank query parameter reaches the related field as None; say what the client must do.
ORG_QUERY_ERRORS = {"null": "This field is required."}


class ActivitiesQuerySerializer(StrictSerializer):
    """Query parameters of GET /activities (validated for the schema and for errors)."""

    org_id = OrganizationField(help_text=ORG_QUERY_HELP, error_messages=ORG_QUERY_ERRORS)
    start = BoundQueryField(help_text=BOUND_HELP)
    end = BoundQueryField(help_text=BOUND_HELP + " The end is inclusive to the whole second.")
    activity_type = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    location = serializers.CharField(required=False)
    page = serializers.IntegerField(required=False)
    limit = serializers.IntegerField(required=False)


class OrgQuerySerializer(StrictSerializer):
    org_id = OrganizationField(help_text=ORG_QUERY_HELP, error_messages=ORG_QUERY_ERRORS)


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
