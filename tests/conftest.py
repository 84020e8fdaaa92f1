"""Fixtures shared by every test: two organisations (so leaks between them show) and an API client."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from activities import services
from activities.models import Activity, Organization

UTC = dt.UTC


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


# Postgres-only behaviour is skipped elsewhere, with the reason in the report. In CI the
# PostgreSQL run sets DATABASE_URL, so these tests do run there.
postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")),
    reason="needs PostgreSQL: set DATABASE_URL (the .ci/run PostgreSQL pass does)",
)

# Concurrent test runs on one machine share Redis, whose pub/sub ignores the db number:
# a per-process channel prefix (inherited by the daphne and import subprocesses) keeps
# one run's events out of another's streams.
os.environ["EVENTS_CHANNEL_PREFIX"] = settings.EVENTS_CHANNEL_PREFIX = f"test{os.getpid()}-"


@pytest.fixture
def api() -> APIClient:
    return APIClient(SERVER_NAME="localhost")


@pytest.fixture
def org(db: Any) -> Organization:
    return Organization.objects.create(org_id="org-bufdir-42", name="Familievernet Oslo")


@pytest.fixture
def other_org(db: Any) -> Organization:
    return Organization.objects.create(org_id="org-bufdir-7", name="Barn og unge Bergen")


@pytest.fixture
def make_activity(db: Any):  # type: ignore[no-untyped-def]
    """Create an activity through the service (so live counts stay right)."""

    def make(org: Organization, recorded_at: dt.datetime | str, **fields: Any) -> Activity:
        if isinstance(recorded_at, str):
            recorded_at = dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
        data = services.ActivityData(
            org=org,
            activity_type=fields.pop("activity_type", "family_guidance"),
            recorded_at=recorded_at,
            **fields,
        )
        return services.activity_create(data=data)

    return make


@pytest.fixture
def client_for():
    """A Django test client logged in as the given user."""
    from django.test import Client

    def make(user):  # type: ignore[no-untyped-def]
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        return client

    return make


@pytest.fixture
def coordinator_client(org, client_for):
    """A coordinator of ``org`` (Coordinators group), logged in."""
    from django.contrib.auth import get_user_model

    from activities.coordinators import ensure_coordinators_group

    user = get_user_model().objects.create_user("kari", password="pw-unused", is_staff=True)
    user.groups.add(ensure_coordinators_group())  # also after a transactional test flushed it
    org.coordinators.add(user)
    return client_for(user)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Admin filters cache their choices (lib/admin_lists.py) and counts are cached
    (activities.counting): no test sees another's."""
    from django.core.cache import cache

    from activities import events
    from activities.counting import near_counts
    from record_counts import watched

    cache.clear()
    near_counts.clear()
    events._since_compacted.clear()  # and no test inherits another's writes towards a compaction
    watched._local.expires.clear()  # nor another's watched ranges (hold mode without Redis)
    watched._local.last.clear()


def live_count(snapshot: Any) -> int:
    """A count snapshot's record_count as every reader sees it: counted live by the core."""
    from record_counts.models import CountSnapshot
    from record_counts.selectors import with_live_counts

    return with_live_counts([CountSnapshot.objects.get(pk=snapshot.pk)])[0].record_count
