"""A recorded_at finer than a microsecond is truncated, never rounded into the next
second (Java and Go clients send nine digits): the activity stays in its quarter."""

from __future__ import annotations

import datetime as dt

import pytest

from activities.fields import clean_recorded_at
from activities.importing import RowValidator
from activities.models import Activity

LAST_INSTANT_OF_Q1_OSLO = "2026-03-31T21:59:59.9999999Z"  # 23:59:59.9999999 in Oslo (summer time)
TRUNCATED = dt.datetime(2026, 3, 31, 21, 59, 59, 999999, tzinfo=dt.UTC)


@pytest.mark.parametrize("text", [LAST_INSTANT_OF_Q1_OSLO, "2026-03-31T23:59:59.999999999+02:00"])
def test_the_rule_truncates(text):
    assert clean_recorded_at(text) == TRUNCATED


def test_the_api_keeps_it_in_the_first_quarter(api, org):
    body = {"org_id": org.org_id, "activity_type": "x", "recorded_at": LAST_INSTANT_OF_Q1_OSLO}
    assert api.post("/api/v1/activities", body, format="json").status_code == 201
    assert Activity.objects.get().recorded_at == TRUNCATED
    q1 = {"org_id": org.org_id, "range": {"start": "2026-01-01", "end": "2026-03-31"}}
    q2 = {"org_id": org.org_id, "range": {"start": "2026-04-01", "end": "2026-06-30"}}
    assert api.post("/api/v1/period-record-counts", q1, format="json").json()["record_count"] == 1
    assert api.post("/api/v1/period-record-counts", q2, format="json").json()["record_count"] == 0


def test_the_importer_truncates_too(org):
    row = {"org_id": org.org_id, "activity_type": "x", "recorded_at": LAST_INSTANT_OF_Q1_OSLO}
    assert RowValidator().validate(2, row).recorded_at == TRUNCATED


def test_a_range_start_still_rounds_up(api, org, make_activity):
    make_activity(org, dt.datetime(2026, 1, 1, 0, 0, 0, 123456, tzinfo=dt.UTC))
    body = {"org_id": org.org_id, "range": {"start": "2026-01-01T00:00:00.1234567Z", "end": "2026-01-01T00:00:01Z"}}
    assert api.post("/api/v1/period-record-counts", body, format="json").json()["record_count"] == 0
