"""GET /api/v1/submitted-periods/{id} (getSubmittedPeriod): any submitted period, not only
the last, as getLastSubmittedPeriod answers it, with its evidence and its drift explained
(issue 15, item 4)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from activities import services as activity_services
from activities.models import Activity
from aggregations.models import SubmissionEvidence, SubmittedPeriod
from aggregations.services import period_submit
from api_keys.services import api_key_create
from schemes.models import GrantScheme
from schemes.services import scheme_rules_set
from tests.api_keys.conftest import READ_TOKEN_MODE, TOKEN_MODE, bearer
from tests.api_keys.test_writes import assert_problem
from tests.schemes.conftest import rules
from tests.schemes.test_submission_evidence import IMPORT_HEADER, admin_activity_form

UTC = dt.UTC
PERIODS = "/api/v1/submitted-periods"
LAST = "/api/v1/bufdir-aggregations/last-submitted-period"
BEFORE = dt.datetime(2026, 2, 2, 8, tzinfo=UTC)
JANUARY_SUBMITTED = dt.datetime(2026, 2, 3, 12, tzinfo=UTC)
FEBRUARY_SUBMITTED = dt.datetime(2026, 3, 2, 12, tzinfo=UTC)


def at(month: int, day: int) -> dt.datetime:
    return dt.datetime(2026, month, day, 12, tzinfo=UTC)


def url(period: SubmittedPeriod) -> str:
    return f"{PERIODS}/{period.public_id}"


@pytest.fixture
def scheme(db) -> GrantScheme:  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2025, 6, 1, tzinfo=UTC)):
        scheme = GrantScheme.objects.create(code="peer-support", name="Likepersonsarbeid")
        scheme_rules_set(scheme=scheme, rules=rules(min_participants=3))  # completed, 3 or more
    return scheme


@pytest.fixture
def activities(org, other_org, make_activity) -> None:  # type: ignore[no-untyped-def]
    """January (Oslo): two counted, one excluded; February: one; another organisation's January."""
    with time_machine.travel(BEFORE, tick=False):
        make_activity(org, "2026-01-05T09:00:00Z", activity_id="act-jan-a", activity_type="peer_support",
                      participant_count=4, duration_minutes=90, in_person=True, location="Oslo")  # fmt: skip
        make_activity(org, "2026-01-12T10:00:00Z", activity_id="act-jan-b", participant_count=5)
        make_activity(org, "2026-01-20T10:00:00Z", activity_id="act-jan-few", participant_count=1)
        make_activity(org, "2026-02-10T10:00:00Z", activity_id="act-feb", participant_count=4)
        make_activity(other_org, "2026-01-05T09:00:00Z", activity_id="act-theirs", participant_count=4)


def change(activity_id: str, **changes: object) -> None:
    activity_services.activity_update(activity=Activity.objects.get(activity_id=activity_id), changes=changes)


def submit(org, scheme, first: str, last: str, when: dt.datetime) -> SubmittedPeriod:  # type: ignore[no-untyped-def]
    with time_machine.travel(when, tick=False):
        return period_submit(
            org=org,
            period_start=dt.date.fromisoformat(first),
            period_end=dt.date.fromisoformat(last),
            submitted_by="kari",
            scheme_version=scheme.current_version(),
        )


@pytest.fixture
def january(org, scheme, activities) -> SubmittedPeriod:  # type: ignore[no-untyped-def]
    return submit(org, scheme, "2026-01-01", "2026-01-31", JANUARY_SUBMITTED)


def test_an_older_submissions_drift_lists_exactly_the_changes_after_it_with_who_and_when(
    api, coordinator_client, org, scheme, january, tmp_path
):
    key = api_key_create(name="Oslo office sync", org_ids=[org.org_id])[1]
    with time_machine.travel(at(2, 4), tick=False), override_settings(**TOKEN_MODE):
        body = {"activity_id": "act-new", "org_id": org.org_id, "activity_type": "peer_support",
                "recorded_at": "2026-01-25T10:00:00Z", "participant_count": 3}  # fmt: skip
        assert api.post("/api/v1/activities", body, format="json", **bearer(key)).status_code == 201
    with time_machine.travel(at(2, 5), tick=False):  # a coordinator in admin
        b = Activity.objects.get(activity_id="act-jan-b")
        form = admin_activity_form(b, participant_count=2)
        changed = coordinator_client.post(reverse("admin:activities_activity_change", args=[b.pk]), form)
        assert changed.status_code == 302
    with time_machine.travel(at(2, 6), tick=False):  # February's, before February was submitted
        change("act-feb", location="Bergen")
    february = submit(org, scheme, "2026-02-01", "2026-02-28", FEBRUARY_SUBMITTED)
    move = tmp_path / "move.csv"
    move.write_text(IMPORT_HEADER + "act-jan-a,org-bufdir-7,peer_support,2026-01-05T09:00:00Z,4,Oslo,completed,90,ja\n")
    with time_machine.travel(at(3, 3), tick=False):  # to another organisation, by the importer
        call_command("import_activities", str(move), stdout=StringIO(), stderr=StringIO())
    with time_machine.travel(at(3, 4), tick=False), override_settings(**TOKEN_MODE):
        assert api.delete("/api/v1/activities/act-jan-few", **bearer(key)).status_code == 200
        patched = api.patch("/api/v1/activities/act-feb", {"participant_count": 6}, format="json", **bearer(key))
        assert patched.status_code == 200
    with time_machine.travel(at(3, 5), tick=False):  # another organisation's: on neither period
        change("act-theirs", participant_count=9)

    response = api.get(url(january))
    assert response.status_code == 200
    old = response.json()
    assert (old["submitted_period_id"], old["period_start"], old["period_end"]) == (
        january.public_id,
        "2026-01-01",
        "2026-01-31",
    )
    assert old["submitted_at"] == "2026-02-03T12:00:00Z"
    assert [(c["activity_id"], c["action"], c["by"], c["at"]) for c in old["changes_since_submission"]] == [
        ("act-jan-few", "delete", "API key Oslo office sync", "2026-03-04T12:00:00Z"),
        ("act-jan-a", "move", "command import_activities move.csv", "2026-03-03T12:00:00Z"),
        ("act-jan-b", "change", "kari", "2026-02-05T12:00:00Z"),
        ("act-new", "create", "API key Oslo office sync", "2026-02-04T12:00:00Z"),
    ]
    assert old["changes_since_submission_total"] == 4
    changes = {c["activity_id"]: c["changes"] for c in old["changes_since_submission"]}
    assert changes["act-jan-b"] == {"participant_count": [5, 2]}
    assert changes["act-jan-a"]["org"] == ["org-bufdir-42", "org-bufdir-7"]
    # The evidence frozen in February, and today's count under the same rules: act-jan-a
    # moved away and act-jan-b has 2 participants now; act-new counts.
    stored = SubmissionEvidence.objects.get(period=january)
    evidence = old["evidence"]
    assert (evidence["activity_count"], evidence["activity_count_now"]) == (2, 1)
    assert (evidence["csv_sha256"], evidence["xlsx_sha256"]) == (stored.csv_sha256, stored.xlsx_sha256)
    assert evidence["csv_url"] == f"http://localhost{url(january)}/evidence?format=csv"
    assert old["scheme"] == {"code": "peer-support", "name": "Likepersonsarbeid", "rule_version": 1}

    # The last period by id is getLastSubmittedPeriod's answer, field for field; its drift
    # is its own (the February change before it was submitted is not listed).
    latest = api.get(url(february)).json()
    assert latest == api.get(LAST, {"org_id": org.org_id}).json()
    assert [(c["activity_id"], c["by"]) for c in latest["changes_since_submission"]] == [
        ("act-feb", "API key Oslo office sync")
    ]
    # Admin lists the same on the period's page.
    page = coordinator_client.get(reverse("admin:aggregations_submittedperiod_change", args=[january.pk]))
    html = page.content.decode()
    table = html[html.index('<table class="submission-changes">') :]
    table = table[: table.index("</table>")]
    assert [a for a in ("act-jan-few", "act-jan-a", "act-jan-b", "act-new", "act-feb", "act-theirs") if a in table] == [
        "act-jan-few",
        "act-jan-a",
        "act-jan-b",
        "act-new",
    ]


def test_a_plain_submission_has_no_scheme_no_evidence_and_its_drift(api, org, make_activity):
    with time_machine.travel(BEFORE, tick=False):
        make_activity(org, "2026-01-10T10:00:00Z")
    with time_machine.travel(JANUARY_SUBMITTED, tick=False):
        period = period_submit(
            org=org, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 1, 31), submitted_by="kari"
        )
    with time_machine.travel(at(2, 4), tick=False):
        make_activity(org, "2026-01-11T10:00:00Z", activity_id="act-late")
    body = api.get(url(period)).json()
    assert (body["scheme"], body["evidence"], body["activity_count"]) == (None, None, 1)
    assert [(c["activity_id"], c["action"]) for c in body["changes_since_submission"]] == [("act-late", "create")]


@pytest.mark.parametrize(
    "missing",
    ["sub-period-999", "sub-period-1", "sub-period-0001", "sub-period-000", "agg-snap-001", "nope",
     "sub-period-" + "9" * 40],
)  # fmt: skip
def test_an_unknown_or_malformed_id_is_a_404_problem(api, january, missing):
    assert_problem(api.get(f"{PERIODS}/{missing}"), 404)


def test_the_path_answers_with_and_without_a_trailing_slash_and_only_to_reads(api, january):
    assert api.get(url(january) + "/").status_code == 200
    assert_problem(api.delete(url(january)), 405)
    assert_problem(api.put(url(january), {}, format="json"), 405)
    assert_problem(api.post(PERIODS, {}, format="json"), 405)


def test_a_read_costs_the_same_few_queries_as_the_last_period(api, org, january, django_assert_num_queries):
    # The period with org and scheme, its evidence, its changes: no activity is read
    # while nothing changed (the frozen count is today's).
    with django_assert_num_queries(3):
        assert api.get(url(january)).status_code == 200


# --- access ----------------------------------------------------------------------------


@override_settings(**READ_TOKEN_MODE)
def test_read_token_mode_a_key_reads_only_its_own_organisations_periods(api, org, other_org, january):
    mine = api_key_create(name="mine", org_ids=[org.org_id])[1]
    theirs = api_key_create(name="theirs", org_ids=[other_org.org_id])[1]
    response = api.get(url(january))
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert api.get(url(january), **bearer(mine)).json()["submitted_period_id"] == january.public_id
    # As for the evidence file (and every object by id): another organisation's is a 403.
    assert_problem(api.get(url(january), **bearer(theirs)), 403)
    assert_problem(api.get(f"{url(january)}/evidence", **bearer(theirs)), 403)
    assert_problem(api.get(f"{PERIODS}/sub-period-999", **bearer(theirs)), 404)


@override_settings(**TOKEN_MODE)
def test_token_mode_with_public_reads_needs_no_key(api, january):
    assert api.get(url(january)).status_code == 200


@override_settings(API_THROTTLE_COUNTING="1/minute")
def test_reads_are_not_throttled(api, org, january):
    for _ in range(3):
        assert api.get(url(january)).status_code == 200
        assert api.get(PERIODS, {"org_id": org.org_id}).status_code == 200


# --- schema ----------------------------------------------------------------------------


def test_the_schema_documents_it_as_the_last_periods_representation(api, db):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    get = schema["paths"]["/api/v1/submitted-periods/{id}/"]["get"]
    last = schema["paths"]["/api/v1/bufdir-aggregations/last-submitted-period/"]["get"]
    assert get["operationId"] == "getSubmittedPeriod"
    assert get["tags"] == ["bufdir-aggregations"]
    assert [p["name"] for p in get["parameters"]] == ["id"]
    ok = get["responses"]["200"]["content"]["application/json"]
    assert ok["schema"] == last["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["schema"] == {"$ref": "#/components/schemas/SubmittedPeriod"}
    examples = [e["value"] for e in ok["examples"].values()]
    assert any(e["changes_since_submission"] and e["evidence"] for e in examples)
    assert "application/problem+json" in get["responses"]["404"]["content"]
    assert "429" not in get["responses"]  # a read, not throttled
    period = schema["components"]["schemas"]["SubmittedPeriod"]["properties"]
    assert {"evidence", "changes_since_submission", "changes_since_submission_total"} <= set(period)
