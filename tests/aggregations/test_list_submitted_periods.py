"""GET /api/v1/submitted-periods (listSubmittedPeriods): where a client finds the ids,
newest first, paginated, filtered by organisation and scheme."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from aggregations.models import SubmittedPeriod
from api_keys.services import api_key_create
from schemes.models import GrantScheme
from schemes.services import scheme_rules_set
from tests.api_keys.conftest import READ_TOKEN_MODE, bearer
from tests.api_keys.test_writes import assert_problem
from tests.schemes.conftest import rules

UTC = dt.UTC
PERIODS = "/api/v1/submitted-periods"
LAST = "/api/v1/bufdir-aggregations/last-submitted-period"
SUMMARY = ["org_id", "submitted_period_id", "period_start", "period_end", "submitted_at", "submitted_by",
           "activity_count", "scheme"]  # fmt: skip


@pytest.fixture
def periods(org, other_org) -> dict[str, SubmittedPeriod]:
    scheme = GrantScheme.objects.create(code="peer-support", name="Likepersonsarbeid")
    scheme_rules_set(scheme=scheme, rules=rules())

    def period(o, start, end, submitted_at, version=None):  # type: ignore[no-untyped-def]
        return SubmittedPeriod.objects.create(
            org=o,
            period_start=dt.date.fromisoformat(start),
            period_end=dt.date.fromisoformat(end),
            submitted_at=submitted_at,
            submitted_by="kari",
            activity_count=3,
            scheme_version=version,
        )

    t = dt.datetime(2026, 4, 2, 9, tzinfo=UTC)
    return {
        # Submitted last, but the earliest period: newest first goes by period, as the last
        # submitted period does.
        "q4": period(org, "2025-10-01", "2025-12-31", t + dt.timedelta(days=30)),
        "q1": period(org, "2026-01-01", "2026-03-31", t, scheme.current_version()),
        "q2": period(org, "2026-04-01", "2026-06-30", t + dt.timedelta(days=90)),
        "theirs": period(other_org, "2026-01-01", "2026-03-31", t, scheme.current_version()),
    }


def ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [p["submitted_period_id"] for p in response.json()["data"]]


def test_newest_first_and_the_first_is_the_last_submitted_period(api, org, periods):
    body = api.get(PERIODS, {"org_id": org.org_id}).json()
    assert [p["submitted_period_id"] for p in body["data"]] == [periods[k].public_id for k in ("q2", "q1", "q4")]
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 3}
    last = api.get(LAST, {"org_id": org.org_id}).json()
    assert body["data"][0] == {k: last[k] for k in SUMMARY}


def test_each_item_is_the_summary_with_the_scheme(api, org, periods):
    q1 = api.get(PERIODS, {"org_id": org.org_id}).json()["data"][1]
    assert q1 == {
        "org_id": "org-bufdir-42",
        "submitted_period_id": periods["q1"].public_id,
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "submitted_at": "2026-04-02T09:00:00Z",
        "submitted_by": "kari",
        "activity_count": 3,
        "scheme": {"code": "peer-support", "name": "Likepersonsarbeid", "rule_version": 1},
    }


def test_filters_organisation_and_scheme(api, org, periods):
    assert len(ids(api.get(PERIODS))) == 4
    # Same end, same time: the one stored last first.
    assert ids(api.get(PERIODS, {"scheme": "peer-support"})) == [periods["theirs"].public_id, periods["q1"].public_id]
    assert ids(api.get(PERIODS, {"org_id": org.org_id, "scheme": "peer-support"})) == [periods["q1"].public_id]
    # As in the other lists, an id that names nothing finds nothing; empty is no filter.
    assert ids(api.get(PERIODS, {"org_id": "org-nope"})) == []
    assert ids(api.get(PERIODS, {"scheme": "no-such-scheme"})) == []
    assert len(ids(api.get(PERIODS, {"org_id": ""}))) == 4


def test_pages(api, org, periods):
    second = api.get(PERIODS, {"org_id": org.org_id, "limit": 2, "page": 2}).json()
    assert [p["submitted_period_id"] for p in second["data"]] == [periods["q4"].public_id]
    assert second["pagination"] == {"page": 2, "limit": 2, "total": 3}
    assert api.get(PERIODS, {"page": 9}).json()["data"] == []
    for bad in ({"page": "0"}, {"limit": "101"}, {"limit": "x"}):
        assert_problem(api.get(PERIODS, bad), 400)


def test_queries_do_not_grow_with_the_page(api, periods, django_assert_num_queries):
    with django_assert_num_queries(2):  # the count, the page with organisation and scheme
        assert len(api.get(PERIODS).json()["data"]) == 4


@override_settings(**READ_TOKEN_MODE)
def test_read_token_mode_lists_only_the_keys_organisations(api, org, other_org, periods):
    key = api_key_create(name="mine", org_ids=[org.org_id])[1]
    assert_problem(api.get(PERIODS), 401)
    assert {p["org_id"] for p in api.get(PERIODS, **bearer(key)).json()["data"]} == {org.org_id}
    assert ids(api.get(PERIODS, {"org_id": other_org.org_id}, **bearer(key))) == []  # nothing leaks


def test_the_schema_documents_a_page_of_summaries(api, db):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    get = schema["paths"]["/api/v1/submitted-periods/"]["get"]
    assert get["operationId"] == "listSubmittedPeriods"
    assert {p["name"] for p in get["parameters"]} == {"org_id", "scheme", "page", "limit"}
    ok = get["responses"]["200"]["content"]["application/json"]
    page = schema["components"]["schemas"][ok["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"data", "pagination"}
    assert page["properties"]["data"]["items"] == {"$ref": "#/components/schemas/SubmittedPeriodSummary"}
    assert list(schema["components"]["schemas"]["SubmittedPeriodSummary"]["properties"]) == SUMMARY
    (example,) = [e["value"] for e in ok["examples"].values()]
    assert list(example["data"][0]) == SUMMARY
    assert example["pagination"] == {"page": 1, "limit": 20, "total": 1}
