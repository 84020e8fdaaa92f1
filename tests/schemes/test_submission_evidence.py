"""Submissions with evidence (issue 15, item 4): a period submitted under a grant scheme
freezes the rule version and every counted activity in CSV and XLSX files whose SHA-256
is shown in admin and the API; later rule changes leave them alone; the drift is
explained, change by change, with who and when."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
from io import StringIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from activities.models import Activity
from aggregations.deadlines import next_deadline
from aggregations.evidence import sha256_hex
from aggregations.models import SubmissionEvidence, SubmittedPeriod
from aggregations.services import PeriodOverlap, period_submit
from api_keys.services import api_key_create
from schemes.exports import ACTIVITY_COLUMNS
from schemes.models import GrantScheme
from schemes.services import scheme_rules_set
from tests.api_keys.conftest import READ_TOKEN_MODE, TOKEN_MODE, bearer
from tests.schemes.conftest import rules

UTC = dt.UTC
OSLO = ZoneInfo("Europe/Oslo")
LAST = "/api/v1/bufdir-aggregations/last-submitted-period"
BEFORE = dt.datetime(2026, 2, 2, 8, tzinfo=UTC)
SUBMITTED = dt.datetime(2026, 2, 3, 12, 0, 0, 250000, tzinfo=UTC)


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 2, day, hour, tzinfo=UTC)


def evidence_url(period: SubmittedPeriod) -> str:
    return f"/api/v1/submitted-periods/{period.public_id}/evidence"


def submit(client, org, scheme=None, start="2026-01-01", end="2026-01-31"):  # type: ignore[no-untyped-def]
    data = {"org": org.pk, "period_start": start, "period_end": end}
    if scheme is not None:
        data["scheme"] = scheme.pk
    return client.post(reverse("admin:aggregations_submittedperiod_add"), data)


@pytest.fixture
def scheme(make_scheme) -> GrantScheme:  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2025, 6, 1, tzinfo=UTC)):
        return make_scheme(min_participants=3)  # counts completed activities of 3 or more


@pytest.fixture
def january(org, other_org, make_activity) -> None:  # type: ignore[no-untyped-def]
    """Two counted activities of January (Oslo), two excluded, one in February, one elsewhere."""
    org.org_number = "974760673"
    org.save()
    with time_machine.travel(BEFORE, tick=False):
        make_activity(
            org,
            "2026-01-05T09:00:00Z",
            activity_id="act-a",
            activity_type="peer_support",
            participant_count=4,
            duration_minutes=90,
            in_person=True,
            location="Oslo",
        )
        make_activity(org, "2026-01-31T22:30:00Z", activity_id="act-edge", participant_count=5)  # 23:30 in Oslo
        make_activity(org, "2026-01-10T12:00:00Z", activity_id="act-few", participant_count=1)
        make_activity(org, "2026-01-12T12:00:00Z", activity_id="act-planned", participant_count=6, status="planned")
        make_activity(org, "2026-01-31T23:00:00Z", activity_id="act-feb", participant_count=5)  # 1 February in Oslo
        make_activity(other_org, "2026-01-05T09:00:00Z", activity_id="act-theirs", participant_count=5)


@pytest.fixture
def submitted(coordinator_client, org, scheme, january) -> SubmittedPeriod:  # type: ignore[no-untyped-def]
    with time_machine.travel(SUBMITTED, tick=False):
        response = submit(coordinator_client, org, scheme)
    assert response.status_code == 302, response.content[:2000]
    return SubmittedPeriod.objects.get()


EXPECTED_CSV = [
    {
        "activity_id": "act-a",
        "recorded_at": "2026-01-05T09:00:00Z",
        "activity_type": "peer_support",
        "status": "completed",
        "participant_count": "4",
        "duration_minutes": "90",
        "in_person": "true",
        "location": "Oslo",
    },
    {
        "activity_id": "act-edge",
        "recorded_at": "2026-01-31T22:30:00Z",
        "activity_type": "family_guidance",
        "status": "completed",
        "participant_count": "5",
        "duration_minutes": "",
        "in_person": "",
        "location": "",
    },
]


# --- what is frozen --------------------------------------------------------------------


def test_a_scheme_submission_freezes_the_rules_and_what_was_counted(submitted, scheme):
    period = submitted
    assert period.scheme_version == scheme.current_version()
    assert period.submitted_at == dt.datetime(2026, 2, 3, 12, tzinfo=UTC)
    assert period.activity_count == 4  # every row read: the contract count of the same read
    evidence = SubmissionEvidence.objects.get(period=period)
    assert (evidence.activity_count, evidence.participant_total) == (2, 9)
    assert evidence.by_activity_type == {"family_guidance": 1, "peer_support": 1}
    assert evidence.counted_at == SUBMITTED
    assert evidence.csv_sha256 == hashlib.sha256(bytes(evidence.csv)).hexdigest()
    assert evidence.xlsx_sha256 == hashlib.sha256(bytes(evidence.xlsx)).hexdigest()


def test_the_csv_read_back_is_what_was_counted(submitted):
    evidence = SubmissionEvidence.objects.get(period=submitted)
    reader = csv.DictReader(io.StringIO(bytes(evidence.csv).decode("utf-8"), newline=""))
    assert reader.fieldnames == ACTIVITY_COLUMNS
    assert list(reader) == EXPECTED_CSV


def test_the_xlsx_read_back_is_what_was_counted_with_a_title(submitted):
    evidence = SubmissionEvidence.objects.get(period=submitted)
    sheet = openpyxl.load_workbook(io.BytesIO(bytes(evidence.xlsx))).active
    rows = list(sheet.iter_rows(values_only=True))
    title = [r[0] for r in rows[:5]]
    assert title[0] == "Submission evidence: Likepersonsarbeid (peer-support), rules version 1"
    assert title[1] == "Familievernet Oslo (org-bufdir-42), organisasjonsnummer 974760673"
    assert title[2] == "Period 2026-01-01 to 2026-01-31, times in Europe/Oslo"
    assert title[3] == "Counted: 2 activities, 9 participants"
    assert title[4].startswith("Submitted 2026-02-03 13:00:00 by kari")
    header = rows.index(tuple(ACTIVITY_COLUMNS))
    data = rows[header + 1 :]
    assert data == [
        ("act-a", dt.datetime(2026, 1, 5, 10), "peer_support", "completed", 4, 90, True, "Oslo"),
        ("act-edge", dt.datetime(2026, 1, 31, 23, 30), "family_guidance", "completed", 5, None, None, None),
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_downloads_are_the_digested_bytes(api, coordinator_client, submitted, fmt):
    evidence = SubmissionEvidence.objects.get(period=submitted)
    digest = getattr(evidence, f"{fmt}_sha256")
    from_api = api.get(evidence_url(submitted), {"format": fmt})
    assert from_api.status_code == 200
    assert hashlib.sha256(from_api.content).hexdigest() == digest
    assert from_api["X-Evidence-SHA256"] == digest
    b64 = base64.b64encode(hashlib.sha256(from_api.content).digest()).decode()
    assert from_api["Repr-Digest"] == from_api["Digest"] == f"sha-256=:{b64}:"
    assert from_api["Content-Disposition"] == (
        f'attachment; filename="evidence-{submitted.public_id}-peer-support-v1-org-bufdir-42-'
        f'2026-01-01-to-2026-01-31.{fmt}"'
    )
    admin_url = reverse("admin:aggregations_submittedperiod_evidence", args=[submitted.pk, fmt])
    from_admin = coordinator_client.get(admin_url)
    assert from_admin.status_code == 200
    assert from_admin.content == from_api.content
    assert sha256_hex(from_admin.content) == digest
    # The API's period names the same digests and links to the same files.
    shown = api.get(LAST, {"org_id": "org-bufdir-42"}).json()["evidence"]
    assert shown[f"{fmt}_sha256"] == digest
    assert api.get(shown[f"{fmt}_url"]).content == from_api.content


def test_the_api_names_the_scheme_and_the_counted_totals(api, submitted):
    body = api.get(LAST, {"org_id": "org-bufdir-42"}).json()
    assert body["activity_count"] == 4
    assert body["scheme"] == {"code": "peer-support", "name": "Likepersonsarbeid", "rule_version": 1}
    evidence = body["evidence"]
    assert {k: evidence[k] for k in ("activity_count", "participant_total", "by_activity_type")} == {
        "activity_count": 2,
        "participant_total": 9,
        "by_activity_type": {"family_guidance": 1, "peer_support": 1},
    }
    assert evidence["activity_count_now"] == 2
    assert evidence["csv_url"] == f"http://localhost{evidence_url(submitted)}?format=csv"
    assert (body["changes_since_submission"], body["changes_since_submission_total"]) == ([], 0)


def test_the_admin_page_shows_the_scheme_totals_digests_and_links(coordinator_client, submitted):
    evidence = SubmissionEvidence.objects.get(period=submitted)
    page = coordinator_client.get(reverse("admin:aggregations_submittedperiod_change", args=[submitted.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Likepersonsarbeid (peer-support), regelversjon 1" in html
    assert "2 aktiviteter, 9 deltakere" in html
    assert f'<code data-sha256="csv">{evidence.csv_sha256}</code>' in html
    assert f'<code data-sha256="xlsx">{evidence.xlsx_sha256}</code>' in html
    assert reverse("admin:aggregations_submittedperiod_evidence", args=[submitted.pk, "xlsx"]) in html
    assert "Ingen endringer siden levering." in html  # "No changes since submission."


def test_a_rule_change_after_submission_leaves_the_evidence_alone(api, submitted, scheme):
    before = SubmissionEvidence.objects.get(period=submitted)
    files = {fmt: api.get(evidence_url(submitted), {"format": fmt}).content for fmt in ("csv", "xlsx")}
    scheme_rules_set(scheme=scheme, rules=rules(min_participants=5))  # version 2 would count act-edge only
    assert scheme.current_version().number == 2
    after = SubmissionEvidence.objects.get(period=submitted)
    assert (bytes(after.csv), bytes(after.xlsx)) == (bytes(before.csv), bytes(before.xlsx))
    assert (after.csv_sha256, after.xlsx_sha256) == (before.csv_sha256, before.xlsx_sha256)
    for fmt, content in files.items():
        again = api.get(evidence_url(submitted), {"format": fmt})
        assert again.content == content
        assert again["X-Evidence-SHA256"] == getattr(before, f"{fmt}_sha256")
    body = api.get(LAST, {"org_id": "org-bufdir-42"}).json()
    assert body["scheme"]["rule_version"] == 1
    assert body["evidence"]["activity_count_now"] == 2  # today's count under the frozen version 1
    submitted.refresh_from_db()
    assert submitted.scheme_version.number == 1


def test_a_plain_submission_has_no_scheme_and_no_evidence(api, coordinator_client, org, january):
    assert submit(coordinator_client, org).status_code == 302
    period = SubmittedPeriod.objects.get()
    assert (period.scheme_version, period.activity_count) == (None, 4)
    assert not SubmissionEvidence.objects.exists()
    body = api.get(LAST, {"org_id": org.org_id}).json()
    assert (body["scheme"], body["evidence"]) == (None, None)
    assert api.get(evidence_url(period)).status_code == 404
    page = coordinator_client.get(reverse("admin:aggregations_submittedperiod_change", args=[period.pk]))
    assert page.status_code == 200
    assert "data-sha256" not in page.content.decode()


# --- drift explained -------------------------------------------------------------------


def admin_activity_form(activity: Activity, **overrides):  # type: ignore[no-untyped-def]
    local = activity.recorded_at.astimezone(OSLO)
    data = {
        "org": activity.org_id,
        "activity_type": activity.activity_type,
        "recorded_at_0": f"{local:%Y-%m-%d}",
        "recorded_at_1": f"{local:%H:%M:%S}",
        "participant_count": activity.participant_count,
        "location": activity.location,
        "status": activity.status,
        "duration_minutes": activity.duration_minutes or "",
        "in_person": {None: "unknown", True: "true", False: "false"}[activity.in_person],
    }
    data.update(overrides)
    return data


IMPORT_HEADER = (
    "activity_id,org_id,activity_type,recorded_at,participant_count,location,status,duration_minutes,in_person\n"
)


def test_drift_lists_exactly_the_changes_after_submission_with_who_and_when(
    api, coordinator_client, org, other_org, submitted, make_activity, tmp_path
):
    key = api_key_create(name="Oslo office sync", org_ids=[org.org_id])[1]
    with time_machine.travel(at(4), tick=False), override_settings(**TOKEN_MODE):
        created = api.post(
            "/api/v1/activities",
            {
                "activity_id": "act-new",
                "org_id": org.org_id,
                "activity_type": "peer_support",
                "recorded_at": "2026-01-20T10:00:00Z",
                "participant_count": 3,
            },
            format="json",
            **bearer(key),
        )
        assert created.status_code == 201, created.content
    edge = Activity.objects.get(activity_id="act-edge")
    with time_machine.travel(at(5), tick=False):  # across the edge: 00:30 on 1 February in Oslo
        url = reverse("admin:activities_activity_change", args=[edge.pk])
        form = admin_activity_form(edge, recorded_at_0="2026-02-01", recorded_at_1="00:30:00")
        assert coordinator_client.post(url, form).status_code == 302
    path = tmp_path / "move.csv"
    path.write_text(IMPORT_HEADER + "act-a,org-bufdir-7,peer_support,2026-01-05T09:00:00Z,4,Oslo,completed,90,ja\n")
    with time_machine.travel(at(6), tick=False):  # to another organisation
        call_command("import_activities", str(path), stdout=StringIO(), stderr=StringIO())
    with time_machine.travel(at(7), tick=False), override_settings(**TOKEN_MODE):
        assert api.delete("/api/v1/activities/act-few", **bearer(key)).status_code == 200
    with time_machine.travel(at(8), tick=False):  # not in the period, or not this organisation's
        feb = Activity.objects.get(activity_id="act-feb")
        theirs = Activity.objects.get(activity_id="act-theirs")
        from activities import services

        services.activity_update(activity=feb, changes={"participant_count": 9})
        services.activity_update(activity=theirs, changes={"participant_count": 9})

    body = api.get(LAST, {"org_id": org.org_id}).json()
    changes = body["changes_since_submission"]
    assert body["changes_since_submission_total"] == 4
    assert [(c["activity_id"], c["action"], c["by"], c["at"]) for c in changes] == [
        ("act-few", "delete", "API key Oslo office sync", "2026-02-07T12:00:00Z"),
        ("act-a", "move", "command import_activities move.csv", "2026-02-06T12:00:00Z"),
        ("act-edge", "change", "kari", "2026-02-05T12:00:00Z"),
        ("act-new", "create", "API key Oslo office sync", "2026-02-04T12:00:00Z"),
    ]
    assert changes[2]["changes"] == {"recorded_at": ["2026-01-31T22:30:00Z", "2026-01-31T23:30:00Z"]}
    assert changes[1]["changes"]["org"] == ["org-bufdir-42", "org-bufdir-7"]
    assert changes[0]["changes"]["participant_count"] == [1, None]
    # Today, under the frozen rules: act-new counted; act-edge and act-a gone.
    assert body["evidence"]["activity_count"] == 2
    assert body["evidence"]["activity_count_now"] == 1

    page = coordinator_client.get(reverse("admin:aggregations_submittedperiod_change", args=[submitted.pk]))
    html = page.content.decode()
    table = html[html.index('<table class="submission-changes">') :]
    table = table[: table.index("</table>")]
    assert [name for name in ("act-few", "act-a", "act-edge", "act-new") if name in table] == [
        "act-few",
        "act-a",
        "act-edge",
        "act-new",
    ]
    assert table.index("act-few") < table.index("act-a<") < table.index("act-edge") < table.index("act-new")
    assert "API key Oslo office sync" in table and "command import_activities move.csv" in table
    assert "act-feb" not in table and "act-theirs" not in table
    assert "1 aktiviteter (levert: 2, -1)" in html  # counted today next to the frozen count


def test_the_changes_shown_are_capped_at_the_newest_hundred(api, org, submitted, make_activity):
    for n in range(101):
        with time_machine.travel(at(4) + dt.timedelta(seconds=n), tick=False):
            make_activity(org, "2026-01-15T10:00:00Z", activity_id=f"act-many-{n:03d}")
    body = api.get(LAST, {"org_id": org.org_id}).json()
    assert body["changes_since_submission_total"] == 101
    listed = body["changes_since_submission"]
    assert len(listed) == 100
    assert (listed[0]["activity_id"], listed[-1]["activity_id"]) == ("act-many-100", "act-many-001")


# --- deadlines -------------------------------------------------------------------------


def test_a_period_naming_a_scheme_submits_only_that_schemes_deadline(org, scheme, make_scheme):
    with time_machine.travel(dt.datetime(2025, 6, 1, tzinfo=UTC)):
        other = make_scheme("family-guidance", name="Familieveiledning")
    year = period_submit(
        org=org,
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
        submitted_by="kari",
        scheme_version=scheme.current_version(),
    )
    today = dt.date(2026, 1, 20)
    mine = next_deadline(org=org, scheme=scheme, periods=[year], today=today)
    theirs = next_deadline(org=org, scheme=other, periods=[year], today=today)
    assert (mine.year.year, theirs.year.year) == (2026, 2025)  # 2025 is done for this scheme only
    assert theirs.submitted is None
    plain = SubmittedPeriod(
        org=org, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31), activity_count=0
    )
    assert next_deadline(org=org, scheme=other, periods=[plain], today=today).year.year == 2026  # names none: any


# --- access ----------------------------------------------------------------------------


@pytest.fixture
def other_coordinator(other_org, client_for):  # type: ignore[no-untyped-def]
    from activities.coordinators import ensure_coordinators_group

    user = get_user_model().objects.create_user("ola", password="pw-unused", is_staff=True)
    user.groups.add(ensure_coordinators_group())
    other_org.coordinators.add(user)
    return client_for(user)


def test_another_organisations_coordinator_gets_no_evidence(other_coordinator, submitted):
    for fmt in ("csv", "xlsx"):
        url = reverse("admin:aggregations_submittedperiod_evidence", args=[submitted.pk, fmt])
        assert other_coordinator.get(url).status_code == 404
    page = other_coordinator.get(reverse("admin:aggregations_submittedperiod_change", args=[submitted.pk]))
    assert page.status_code != 200


def test_admin_downloads_refuse_an_unknown_format_or_period(coordinator_client, submitted):
    bad = reverse("admin:aggregations_submittedperiod_evidence", args=[submitted.pk, "pdf"])
    assert coordinator_client.get(bad).status_code == 404
    missing = reverse("admin:aggregations_submittedperiod_evidence", args=[submitted.pk + 1, "csv"])
    assert coordinator_client.get(missing).status_code == 404


@override_settings(**READ_TOKEN_MODE)
def test_token_mode_a_key_reads_only_its_own_organisations_evidence(api, org, other_org, submitted):
    mine = api_key_create(name="mine", org_ids=[org.org_id])[1]
    theirs = api_key_create(name="theirs", org_ids=[other_org.org_id])[1]
    assert api.get(evidence_url(submitted)).status_code == 401
    assert api.get(evidence_url(submitted), **bearer(mine)).status_code == 200
    refused = api.get(evidence_url(submitted), {"format": "xlsx"}, **bearer(theirs))
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
    assert api.get(LAST, {"org_id": org.org_id}, **bearer(theirs)).status_code == 403


@override_settings(**TOKEN_MODE)
def test_token_mode_with_public_reads_needs_no_key(api, submitted):
    assert api.get(evidence_url(submitted)).status_code == 200


def test_bad_evidence_requests_are_clear_errors(api, submitted):
    for params in ({"format": "pdf"}, {"format": "json"}, {"fmt": "csv"}):
        response = api.get(evidence_url(submitted), params)
        assert response.status_code == 400, params
        assert response["Content-Type"] == "application/problem+json"
    for missing in ("sub-period-999", "nope", "sub-period-1"):
        response = api.get(f"/api/v1/submitted-periods/{missing}/evidence")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


# --- bad input -------------------------------------------------------------------------


def test_a_scheme_without_rules_is_a_form_error(coordinator_client, org, january):
    empty = GrantScheme.objects.create(code="empty", name="Ingen regler")
    response = submit(coordinator_client, org, empty)
    assert response.status_code == 200
    assert "scheme" in response.context["adminform"].form.errors
    assert not SubmittedPeriod.objects.exists()


def test_an_unknown_scheme_is_a_form_error(coordinator_client, org, january):
    response = coordinator_client.post(
        reverse("admin:aggregations_submittedperiod_add"),
        {"org": org.pk, "period_start": "2026-01-01", "period_end": "2026-01-31", "scheme": "999999"},
    )
    assert response.status_code == 200
    assert "scheme" in response.context["adminform"].form.errors


def test_submitting_twice_or_overlapping_with_a_scheme_stays_refused(coordinator_client, org, scheme, submitted):
    again = submit(coordinator_client, org, scheme)
    assert again.status_code == 200
    assert "Overlapper" in again.content.decode()
    overlapping = submit(coordinator_client, org, scheme, start="2026-01-15", end="2026-02-15")
    assert overlapping.status_code == 200
    with pytest.raises(PeriodOverlap):
        period_submit(
            org=org,
            period_start=dt.date(2026, 1, 31),
            period_end=dt.date(2026, 2, 28),
            submitted_by="x",
            scheme_version=scheme.current_version(),
        )
    assert SubmittedPeriod.objects.count() == SubmissionEvidence.objects.count() == 1


def test_with_no_change_since_submission_todays_count_reads_no_activity(api, org, submitted):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    table = Activity._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        body = api.get(LAST, {"org_id": org.org_id}).json()
    assert body["evidence"]["activity_count_now"] == 2
    assert not [q["sql"] for q in queries if f'"{table}"' in q["sql"] and "FROM" in q["sql"]]
    assert all('"csv"' not in q["sql"] for q in queries)  # nor the stored files


@pytest.mark.django_db(transaction=True)  # committed writes: a test transaction would hide them
def test_after_a_change_todays_count_is_judged_once_per_committed_state(api, org, submitted, make_activity):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    table = Activity._meta.db_table

    def activity_reads() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            body = api.get(LAST, {"org_id": org.org_id}).json()
        reads = [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]
        return body["evidence"]["activity_count_now"], len(reads)

    make_activity(org, "2026-01-20T10:00:00Z", activity_type="peer_support", participant_count=3)
    now, reads = activity_reads()
    assert reads == 1  # judged: the period's rows read once
    assert activity_reads() == (now, 0)  # nothing committed since: the count is kept
    Activity.objects.get(activity_id=Activity.objects.filter(org=org).latest("pk").activity_id).delete()
    make_activity(org, "2026-01-21T10:00:00Z", activity_type="peer_support", participant_count=3)
    assert activity_reads()[1] == 1  # a write moved the state: judged again
