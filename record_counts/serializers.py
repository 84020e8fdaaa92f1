from __future__ import annotations

from typing import Any

from rest_framework import serializers

from activities.serializers import OrganizationField, org_id_slug
from lib.api.fields import RangeSerializer, StrictSerializer, UTCDateTimeField
from lib.timeranges import isoformat_z, now_to_second
from record_counts.models import CountSnapshot


class CountSnapshotSerializer(serializers.ModelSerializer):
    """A count snapshot as the contract shows it."""

    id = serializers.CharField(source="public_id", read_only=True, help_text="e.g. count-snapshot-001")
    org_id = serializers.CharField(source="org.org_id", read_only=True)
    range_start = UTCDateTimeField(read_only=True)
    range_end = UTCDateTimeField(read_only=True, help_text="Inclusive to the whole second.")
    is_complete = serializers.SerializerMethodField(help_text="True once the range has closed.")
    snapshot_at = UTCDateTimeField(read_only=True)

    class Meta:
        model = CountSnapshot
        fields = ["id", "org_id", "range_start", "range_end", "record_count", "is_complete", "snapshot_at"]
        read_only_fields = fields

    def get_is_complete(self, obj: CountSnapshot) -> bool:
        return obj.is_complete(now=self.context.get("now") or now_to_second())


class CountResultSerializer(serializers.Serializer):
    """POST's answer: the contract's shape plus the snapshot's id."""

    id = serializers.CharField()
    org_id = serializers.CharField()
    range = RangeSerializer()
    record_count = serializers.IntegerField()
    is_complete = serializers.BooleanField()
    computed_at = UTCDateTimeField(help_text="UTC, whole seconds, Z suffix.")

    @staticmethod
    def of(snapshot: CountSnapshot) -> dict[str, Any]:
        now = now_to_second()
        return {
            "id": snapshot.public_id,
            "org_id": snapshot.org.org_id,
            "range": {"start": isoformat_z(snapshot.range_start), "end": isoformat_z(snapshot.range_end)},
            "record_count": snapshot.record_count,
            "is_complete": snapshot.is_complete(now=now),
            "computed_at": isoformat_z(snapshot.snapshot_at),
        }


class CountCreateSerializer(StrictSerializer):
    org_id = OrganizationField()
    range = RangeSerializer()


class CountUpdateSerializer(StrictSerializer):
    range = RangeSerializer(required=False, help_text="Without it the stored range is recounted.")


class StreamQuerySerializer(StrictSerializer):
    # The key only: record_counts.opening looks the organisation up together with its
    # committed state, in one statement (activities.counting.org_state).
    org_id = serializers.CharField()

    def validate_org_id(self, value: str) -> str:
        return org_id_slug(value)

    start = serializers.CharField()
    end = serializers.CharField()
    lastEventId = serializers.CharField(required=False)
