from __future__ import annotations

import re

from rest_framework import serializers

from activities.models import ACTIVITY_ID_PATTERN, SLUG_PATTERN, Activity, Organization
from lib.api.fields import UTCDateTimeField, UTCModelSerializer

MAX_INT32 = 2**31 - 1
ORG_ID_RE = re.compile(rf"^{SLUG_PATTERN}$")


class OrganizationField(serializers.SlugRelatedField):
    """An organisation by its ``org_id``; anything that is not a slug is rejected before
    it reaches the database (PostgreSQL refuses NUL bytes with an error, not a miss)."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("queryset", Organization.objects.all())
        super().__init__(slug_field="org_id", **kwargs)  # type: ignore[arg-type]

    def to_internal_value(self, data: object) -> Organization:
        if not isinstance(data, str) or not ORG_ID_RE.match(data):
            raise serializers.ValidationError("Unknown organisation: expected an org_id such as org-bufdir-42.")
        return super().to_internal_value(data)


class ActivitySerializer(UTCModelSerializer):
    """An activity as the contract shows it (``GET /activities`` of the aggregation API)."""

    activity_id = serializers.RegexField(
        rf"^{ACTIVITY_ID_PATTERN}$",
        max_length=64,
        required=False,
        help_text="Generated (act-<hex>) when not given. Letters, digits and _ . : - only.",
    )
    org_id = OrganizationField(source="org")
    recorded_at = UTCDateTimeField(help_text="ISO 8601 with Z or an offset.")
    participant_count = serializers.IntegerField(min_value=0, max_value=MAX_INT32, default=0)
    location = serializers.CharField(max_length=200, allow_blank=True, default="")
    activity_type = serializers.SlugField(max_length=64)

    class Meta:
        model = Activity
        fields = ["activity_id", "org_id", "activity_type", "recorded_at", "participant_count", "location", "status"]

    def validate_activity_id(self, value: str) -> str:
        if self.instance is not None and value != self.instance.activity_id:
            raise serializers.ValidationError("activity_id cannot be changed.")
        if self.instance is None and Activity.objects.filter(activity_id=value).exists():
            raise serializers.ValidationError("An activity with this activity_id already exists.")
        return value
