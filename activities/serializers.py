from __future__ import annotations

from typing import Any

from rest_framework import serializers

from activities import fields
from activities.fields import ACTIVITY_ID_PATTERN, DATA_FIELDS, SLUG_RE, FieldProblem
from activities.models import Activity, Organization
from lib.api.fields import DATETIME_HELP, UTCDateTimeField, UTCModelSerializer

UNKNOWN_ORGANISATION = "Unknown organisation: expected an org_id such as org-bufdir-42."


def org_id_slug(data: object) -> str:
    """``data`` as an ``org_id`` key, or the API's field error: anything that is not a
    slug is rejected before it reaches the database (PostgreSQL refuses NUL bytes with
    an error, not a miss)."""
    if not isinstance(data, str) or not SLUG_RE.match(data):
        raise serializers.ValidationError(UNKNOWN_ORGANISATION)
    return data


class OrganizationField(serializers.SlugRelatedField):
    """An organisation by its ``org_id``; anything that is not a slug is rejected before
    it reaches the database (PostgreSQL refuses NUL bytes with an error, not a miss)."""

    def __init__(self, **kwargs: object) -> None:
        kwargs.setdefault("queryset", Organization.objects.all())
        super().__init__(slug_field="org_id", **kwargs)  # type: ignore[arg-type]

    def to_internal_value(self, data: object) -> Organization:
        return super().to_internal_value(org_id_slug(data))


def _checked(name: str, value: Any) -> Any:
    """The shared rule of one field (activities.fields), as a DRF field error."""
    try:
        return fields.CLEANERS[name](value)
    except FieldProblem as exc:
        raise serializers.ValidationError(str(exc)) from None


STRING_FIELDS = ("activity_id", "activity_type", "location")


class ActivitySerializer(UTCModelSerializer):
    """An activity as the contract shows it (``GET /activities`` of the aggregation API).

    The field types below give the OpenAPI schema its shapes; the rules themselves are
    ``activities.fields`` (the same for the admin and the importer), applied in the
    ``validate_*`` methods.
    """

    activity_id = serializers.RegexField(
        rf"^{ACTIVITY_ID_PATTERN}$",
        max_length=fields.ID_MAX_LENGTH,
        required=False,
        help_text="Generated (act-<hex>) when not given. Letters, digits and _ . : - only.",
    )
    org_id = OrganizationField(source="org")
    recorded_at = UTCDateTimeField(help_text=DATETIME_HELP)
    participant_count = serializers.IntegerField(min_value=0, max_value=fields.MAX_PARTICIPANTS, default=0)
    location = serializers.CharField(max_length=fields.LOCATION_MAX_LENGTH, allow_blank=True, default="")
    activity_type = serializers.SlugField(max_length=fields.ID_MAX_LENGTH)
    duration_minutes = serializers.IntegerField(
        min_value=0,
        max_value=fields.MAX_DURATION_MINUTES,
        allow_null=True,
        default=None,
        error_messages={
            "max_value": f"At most {fields.MAX_DURATION_MINUTES} minutes (24 hours).",
            "min_value": "Cannot be negative.",
            "invalid": "Must be a whole number of minutes, or null for unknown.",
        },
        help_text="How long it lasted, in whole minutes (at most 1440, 24 hours); null or left out: unknown.",
    )
    in_person = serializers.BooleanField(
        allow_null=True,
        default=None,
        help_text="Whether it was held in person; null or left out: unknown.",
    )

    class Meta:
        model = Activity
        fields = ["activity_id", "org_id", *DATA_FIELDS]

    def to_internal_value(self, data: Any) -> Any:
        # DRF's character fields take numbers too (``"activity_id": 0`` became "0"); the
        # schema says string, so a number is a 400 like any other wrong type.
        if isinstance(data, dict):
            wrong = {
                name: ["Expected a string."]
                for name in STRING_FIELDS
                if name in data and not isinstance(data[name], str)
            }
            # DRF's BooleanField also takes "yes", 1, "on"...; the schema says boolean.
            if "in_person" in data and data["in_person"] is not None and not isinstance(data["in_person"], bool):
                wrong["in_person"] = ["Must be true, false or null."]
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)

    def validate_activity_type(self, value: str) -> str:
        return _checked("activity_type", value)

    def validate_recorded_at(self, value: Any) -> Any:
        return _checked("recorded_at", value)

    def validate_participant_count(self, value: int) -> int:
        return _checked("participant_count", value)

    def validate_location(self, value: str) -> str:
        return _checked("location", value)

    def validate_status(self, value: str) -> str:
        return _checked("status", value)

    def validate_duration_minutes(self, value: int | None) -> int | None:
        return _checked("duration_minutes", value)

    def validate_in_person(self, value: bool | None) -> bool | None:
        return _checked("in_person", value)

    def validate_activity_id(self, value: str) -> str:
        value = _checked("activity_id", value)
        if self.instance is not None and value != self.instance.activity_id:
            raise serializers.ValidationError("activity_id cannot be changed.")
        if self.instance is None and Activity.objects.filter(activity_id=value).exists():
            raise serializers.ValidationError("An activity with this activity_id already exists.")
        return value
