from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from activities.serializers import OrganizationField
from aggregations.evidence import CHANGES_SHOWN, FORMATS, change_json, counted_now, evidence_of, recent_changes
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


class PeriodSchemeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. peer-support")
    name = serializers.CharField()
    rule_version = serializers.IntegerField(help_text="The rule version frozen at submission.")


class EvidenceSerializer(serializers.Serializer):
    activity_count = serializers.IntegerField(help_text="Activities counted under the frozen rules.")
    participant_total = serializers.IntegerField()
    by_activity_type = serializers.DictField(child=serializers.IntegerField())
    activity_count_now = serializers.IntegerField(
        allow_null=True, help_text="Today's count of the period under the same frozen rules."
    )
    csv_sha256 = serializers.CharField(help_text="SHA-256 (hex) of the evidence CSV, as sha256sum prints it.")
    xlsx_sha256 = serializers.CharField(help_text="SHA-256 (hex) of the evidence XLSX.")
    csv_url = serializers.CharField(help_text="getSubmittedPeriodEvidence with format=csv.")
    xlsx_url = serializers.CharField(help_text="getSubmittedPeriodEvidence with format=xlsx.")


class ChangeSerializer(serializers.Serializer):
    activity_id = serializers.CharField()
    action = serializers.ChoiceField(choices=["create", "change", "move", "delete"])
    at = UTCDateTimeField(help_text="When, UTC with Z (whole seconds).")
    by = serializers.CharField(
        help_text='Who: "API key <name>" ("API, no key" in public mode), a username, "import #12 by <user>", a command.'
    )
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        help_text="{field: [old, new]} (org as its org_id, instants in UTC with Z; null = none or unknown).",
    )


class SubmittedPeriodSummarySerializer(serializers.ModelSerializer):
    """A submitted period as the contract shows it, and the grant scheme it names (an
    item of listSubmittedPeriods; getSubmittedPeriod has the rest)."""

    # Read from the period's row and its scheme's alone, so a list page costs the same
    # few queries however many periods it shows.
    org_id = serializers.CharField(source="org.org_id", read_only=True)
    submitted_period_id = serializers.CharField(source="public_id", read_only=True)
    submitted_at = UTCDateTimeField(read_only=True)
    scheme = serializers.SerializerMethodField(help_text="The grant scheme submitted under, or null.")

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
            "scheme",
        ]
        read_only_fields = fields

    @extend_schema_field(PeriodSchemeSerializer(allow_null=True))
    def get_scheme(self, obj: SubmittedPeriod) -> dict[str, Any] | None:
        version = obj.scheme_version
        if version is None:
            return None
        return {"code": version.scheme.code, "name": version.scheme.name, "rule_version": version.number}


class SubmittedPeriodSerializer(SubmittedPeriodSummarySerializer):
    """One submitted period in full (getLastSubmittedPeriod, getSubmittedPeriod): what a
    scheme submission counted with its evidence digests, and every change to the
    period's activities since submission with when and by whom."""

    # A few queries per period (and a scheme report when it drifted): lists show the
    # summary only.
    evidence = serializers.SerializerMethodField(help_text="What the scheme submission counted, or null.")
    changes_since_submission = serializers.SerializerMethodField(
        help_text=f"The period's activity changes after submission, newest first, at most {CHANGES_SHOWN}."
    )
    changes_since_submission_total = serializers.SerializerMethodField()

    class Meta(SubmittedPeriodSummarySerializer.Meta):
        fields = [
            *SubmittedPeriodSummarySerializer.Meta.fields,
            "evidence",
            "changes_since_submission",
            "changes_since_submission_total",
        ]
        read_only_fields = fields

    @extend_schema_field(EvidenceSerializer(allow_null=True))
    def get_evidence(self, obj: SubmittedPeriod) -> dict[str, Any] | None:
        found = evidence_of(obj)
        if found is None:
            return None
        now = counted_now(obj)
        request = self.context.get("request")
        url = reverse("submitted-period-evidence", kwargs={"id": obj.public_id})
        if request is not None:
            url = request.build_absolute_uri(url)
        return {
            "activity_count": found.activity_count,
            "participant_total": found.participant_total,
            "by_activity_type": found.by_activity_type,
            "activity_count_now": now,
            "csv_sha256": found.csv_sha256,
            "xlsx_sha256": found.xlsx_sha256,
            "csv_url": f"{url}?format=csv",
            "xlsx_url": f"{url}?format=xlsx",
        }

    @extend_schema_field(ChangeSerializer(many=True))
    def get_changes_since_submission(self, obj: SubmittedPeriod) -> list[dict[str, Any]]:
        return [change_json(e) for e in recent_changes(obj).newest]

    def get_changes_since_submission_total(self, obj: SubmittedPeriod) -> int:
        return recent_changes(obj).total


class EvidenceQuerySerializer(StrictSerializer):
    format = serializers.ChoiceField(
        choices=list(FORMATS), required=False, default="csv", help_text="csv (default) or xlsx."
    )
