"""Two organisations, a key for each, and one of every writable object per organisation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from activities.models import Activity, Organization
from aggregations import services as aggregation_services
from aggregations.models import AggregationSnapshot
from api_keys.services import api_key_create
from lib.timeranges import make_range
from record_counts import services as count_services
from record_counts.models import CountSnapshot

UTC = dt.UTC
RANGE = {"start": "2026-01-01T00:00:00Z", "end": "2026-03-31T23:59:59Z"}
TOKEN_MODE = {"API_ACCESS": "token", "API_READ_ACCESS": "public"}
READ_TOKEN_MODE = {"API_ACCESS": "token", "API_READ_ACCESS": "token"}


@dataclass
class Owned:
    """What one organisation owns: an activity and one snapshot of each kind."""

    org: Organization
    activity: Activity
    aggregation: AggregationSnapshot
    count: CountSnapshot


def _owned(org: Organization, make_activity, suffix: str) -> Owned:
    activity = make_activity(org, "2026-02-01T10:00:00Z", activity_id=f"act-{suffix}")
    time_range = make_range(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC))
    aggregation = aggregation_services.snapshot_create(org=org, time_range=time_range)
    count = count_services.count_snapshot_upsert(org=org, time_range=time_range)
    return Owned(org=org, activity=activity, aggregation=aggregation, count=count)


@pytest.fixture
def mine(org, make_activity) -> Owned:
    return _owned(org, make_activity, "mine")


@pytest.fixture
def theirs(other_org, make_activity) -> Owned:
    return _owned(other_org, make_activity, "theirs")


@pytest.fixture
def key(org) -> str:
    """A raw key for ``org`` (org-bufdir-42)."""
    return api_key_create(name="test", org_ids=[org.org_id])[1]


@pytest.fixture
def other_key(other_org) -> str:
    return api_key_create(name="other", org_ids=[other_org.org_id])[1]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
