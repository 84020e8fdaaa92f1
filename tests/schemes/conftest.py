"""Helpers for the grant-scheme tests: schemes with rules, activities with the rules' fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from activities.models import Activity, Organization
from schemes.models import GrantScheme
from schemes.services import scheme_rules_set

SCHEME = "/api/v1/reports/scheme"
ALL_STATUSES = ["planned", "completed", "cancelled"]


def rules(**given: Any) -> dict[str, Any]:
    return {
        "statuses": given.pop("statuses", ["completed"]),
        "activity_types": given.pop("activity_types", []),
        "min_participants": given.pop("min_participants", 0),
        "min_duration_minutes": given.pop("min_duration_minutes", 0),
        "in_person_required": given.pop("in_person_required", False),
        "one_per_type_per_day": given.pop("one_per_type_per_day", False),
        **given,
    }


@pytest.fixture
def make_scheme(db: Any):  # type: ignore[no-untyped-def]
    """``make_scheme(code, **rules)`` -> a scheme with one version of those rules."""

    def make(code: str = "peer-support", *, name: str = "Likepersonsarbeid", **given: Any) -> GrantScheme:
        dates = {k: given.pop(k) for k in ("year_start_month", "deadline_month", "deadline_day") if k in given}
        scheme = GrantScheme.objects.create(code=code, name=name, **dates)
        scheme_rules_set(scheme=scheme, rules=rules(**given))
        return scheme

    return make


@pytest.fixture
def act(db: Any):  # type: ignore[no-untyped-def]
    """``act(org, "2026-02-01T10:00:00Z", **fields)``: an activity with any field set."""
    counter = iter(range(1, 10**9))

    def make(org: Organization, recorded_at: str | dt.datetime, **fields: Any) -> Activity:
        if isinstance(recorded_at, str):
            recorded_at = dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
        fields.setdefault("activity_id", f"act-{next(counter):05d}")
        fields.setdefault("activity_type", "peer_support")
        return Activity.objects.create(org=org, recorded_at=recorded_at, **fields)

    return make


@pytest.fixture
def report(api):  # type: ignore[no-untyped-def]
    """``report(org_id=..., scheme=..., ...)`` -> the 200 JSON body (asserted)."""

    def get(**params: Any) -> dict[str, Any]:
        response = api.get(SCHEME, params)
        assert response.status_code == 200, response.content
        return response.json()

    return get
