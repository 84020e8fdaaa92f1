"""duration_minutes, in_person and org_number: one rule each (activities.fields), through
the API, admin and the importer (CSV, XLSX, JSON Lines, and the COPY path on PostgreSQL)."""

from __future__ import annotations

import io
import json
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from activities import fields
from activities.fields import FieldProblem
from activities.models import Activity, Organization

URL = "/api/v1/activities"
VALID_ORG_NUMBER = "974760673"


# --- the rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, None), ("", None), ("  ", None), (0, 0), (45, 45), ("90", 90), (" 1440 ", 1440)],
)
def test_duration_accepts_whole_minutes_up_to_a_day(raw, expected):
    assert fields.clean_duration_minutes(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (1441, "at most 1440 minutes (24 hours)"),
        ("2000", "at most 1440 minutes (24 hours)"),
        (-1, "cannot be negative"),
        ("-5", "cannot be negative"),
        (1.5, "whole number of minutes"),
        ("1.5", "whole number of minutes"),
        ("an hour", "whole number of minutes"),
        (True, "whole number of minutes"),
        ("4\x005", "whole number of minutes"),
    ],
)
def test_duration_refuses_what_is_not_minutes_of_one_day(raw, message):
    with pytest.raises(FieldProblem, match=re.escape(message)):
        fields.clean_duration_minutes(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        (True, True),
        (False, False),
        ("true", True),
        ("FALSE", False),
        ("yes", True),
        ("No", False),
        ("ja", True),
        (" nei ", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
    ],
)
def test_in_person_reads_booleans_and_their_file_spellings(raw, expected):
    assert fields.clean_in_person(raw) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", 2, "y", "t", 1.5, [], {}])
def test_in_person_refuses_anything_else(raw):
    with pytest.raises(FieldProblem, match="must be true or false"):
        fields.clean_in_person(raw)


@pytest.mark.parametrize(("raw", "expected"), [("974760673", "974760673"), ("974 760 673", "974760673"), ("", "")])
def test_org_number_is_stored_as_nine_digits(raw, expected):
    assert fields.clean_org_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("974760674", "check digit"),
        ("12345", "9 digits"),
        ("97476067a", "9 digits"),
        (974760673, "must be text"),
    ],
)
def test_org_number_refuses_bad_numbers(raw, message):
    with pytest.raises(FieldProblem, match=message):
        fields.clean_org_number(raw)


# --- the API ---------------------------------------------------------------------------


def payload(org, **overrides):
    data = {"org_id": org.org_id, "activity_type": "peer_support", "recorded_at": "2026-01-15T10:30:00Z"}
    data.update(overrides)
    return data


def test_api_creates_reads_and_changes_the_fields(api, org):
    created = api.post(URL, payload(org, activity_id="act-1", duration_minutes=90, in_person=True), format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["duration_minutes"], created.json()["in_person"]) == (90, True)
    patched = api.patch(f"{URL}/act-1", {"in_person": None}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["duration_minutes"], patched.json()["in_person"]) == (90, None)
    put = api.put(f"{URL}/act-1", payload(org, duration_minutes=None, in_person=False), format="json")
    assert put.status_code == 200
    stored = Activity.objects.get(activity_id="act-1")
    assert (stored.duration_minutes, stored.in_person) == (None, False)


def test_api_leaves_the_fields_unknown_when_not_given(api, org):
    created = api.post(URL, payload(org), format="json")
    assert (created.json()["duration_minutes"], created.json()["in_person"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"duration_minutes": 1441}, "duration_minutes", "At most 1440 minutes"),
        ({"duration_minutes": -1}, "duration_minutes", "Cannot be negative"),
        ({"duration_minutes": 1.5}, "duration_minutes", "whole number"),
        ({"duration_minutes": True}, "duration_minutes", "whole number"),
        ({"in_person": "yes"}, "in_person", "true, false or null"),
        ({"in_person": 1}, "in_person", "true, false or null"),
        ({"in_person": "maybe"}, "in_person", "true, false or null"),
    ],
)
def test_api_bad_values_are_a_400_naming_the_field(api, org, make_activity, body, field, message):
    created = api.post(URL, payload(org, **body), format="json")
    assert created.status_code == 400
    assert field in json.dumps(created.json())
    assert message in json.dumps(created.json())
    make_activity(org, "2026-01-15T10:30:00Z", activity_id="act-1")
    patched = api.patch(f"{URL}/act-1", body, format="json")
    assert patched.status_code == 400
    assert message in json.dumps(patched.json())


def test_schema_documents_the_optional_nullable_fields(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    activity = schema["components"]["schemas"]["Activity"]
    assert activity["properties"]["duration_minutes"]["type"] == "integer"
    assert activity["properties"]["duration_minutes"]["maximum"] == 1440
    assert activity["properties"]["duration_minutes"]["nullable"] is True
    assert activity["properties"]["in_person"]["type"] == "boolean"
    assert activity["properties"]["in_person"]["nullable"] is True
    assert "duration_minutes" not in activity.get("required", [])
    assert "in_person" not in activity.get("required", [])


# --- admin -----------------------------------------------------------------------------


@pytest.fixture
def admin_en(admin_user, client_for):
    client = client_for(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def admin_form(org, **overrides):
    data = {
        "activity_id": "act-admin",
        "org": org.pk,
        "activity_type": "peer_support",
        "recorded_at_0": "2026-01-10",
        "recorded_at_1": "11:00:00",
        "participant_count": 2,
        "location": "Oslo",
        "status": "completed",
        "duration_minutes": "45",
        "in_person": "true",
    }
    data.update(overrides)
    return data


def test_admin_add_stores_the_fields(admin_en, org):
    response = admin_en.post(reverse("admin:activities_activity_add"), admin_form(org))
    assert response.status_code == 302, response.content[:2000]
    stored = Activity.objects.get(activity_id="act-admin")
    assert (stored.duration_minutes, stored.in_person) == (45, True)


def test_admin_unknown_is_null(admin_en, org):
    response = admin_en.post(
        reverse("admin:activities_activity_add"), admin_form(org, duration_minutes="", in_person="unknown")
    )
    assert response.status_code == 302
    stored = Activity.objects.get(activity_id="act-admin")
    assert (stored.duration_minutes, stored.in_person) == (None, None)


def test_admin_refuses_a_duration_over_a_day(admin_en, org):
    response = admin_en.post(reverse("admin:activities_activity_add"), admin_form(org, duration_minutes="1441"))
    assert response.status_code == 200
    assert "Whole minutes from 0 to 1,440 (24 hours)" in response.content.decode()
    assert not Activity.objects.exists()


def test_admin_list_shows_the_fields(admin_en, org, make_activity):
    make_activity(org, "2026-01-10T10:00:00Z", duration_minutes=75, in_person=False)
    html = admin_en.get(reverse("admin:activities_activity_changelist")).content.decode()
    assert "column-duration_minutes" in html
    assert "column-in_person" in html


def org_form(**overrides):
    data = {"org_id": "org-new", "name": "Ny forening", "org_number": "974 760 673"}
    data.update(overrides)
    return data


def test_admin_organisation_number_is_checked_and_stored_as_digits(admin_en, db):
    response = admin_en.post(reverse("admin:activities_organization_add"), org_form())
    assert response.status_code == 302, response.content[:2000]
    assert Organization.objects.get(org_id="org-new").org_number == VALID_ORG_NUMBER


def test_admin_refuses_an_organisation_number_with_a_bad_check_digit(admin_en, db):
    response = admin_en.post(reverse("admin:activities_organization_add"), org_form(org_number="974760674"))
    assert response.status_code == 200
    assert "Not a valid organisation number" in response.content.decode()
    assert not Organization.objects.filter(org_id="org-new").exists()


# --- the importer ----------------------------------------------------------------------

COLUMNS = ["activity_id", "org_id", "activity_type", "recorded_at", "duration_minutes", "in_person"]


def run_import(tmp_path, name: str, content: bytes) -> tuple[str, str]:
    path = tmp_path / name
    path.write_bytes(content)
    out, err = StringIO(), StringIO()
    try:
        call_command("import_activities", str(path), stdout=out, stderr=err)
    except Exception as exc:  # CommandError for bad rows
        return out.getvalue(), err.getvalue() + f"\n{exc}"
    return out.getvalue(), err.getvalue()


def stored() -> dict[str, tuple[int | None, bool | None]]:
    return {a.activity_id: (a.duration_minutes, a.in_person) for a in Activity.objects.all()}


CSV_TEXT = (
    ";".join(COLUMNS)
    + "\nact-1;org-bufdir-42;peer_support;2026-01-15T10:30:00Z;45;ja\n"
    + "act-2;org-bufdir-42;peer_support;2026-01-15T11:30:00Z;;nei\n"
    + "act-3;org-bufdir-42;peer_support;2026-01-15T12:30:00Z;1440;\n"
)


def test_csv_import_reads_the_new_columns(tmp_path, org):
    out, err = run_import(tmp_path, "a.csv", CSV_TEXT.encode())
    assert "3 created" in out, err
    assert stored() == {"act-1": (45, True), "act-2": (None, False), "act-3": (1440, None)}


def test_csv_import_reports_bad_values_by_line(tmp_path, org):
    text = ";".join(COLUMNS) + "\nact-1;org-bufdir-42;peer_support;2026-01-15T10:30:00Z;1500;kanskje\n"
    _, err = run_import(tmp_path, "a.csv", text.encode())
    assert "line 2: duration_minutes: at most 1440 minutes (24 hours); in_person: must be true or false" in err
    assert not Activity.objects.exists()


def test_reimport_compares_the_new_fields(tmp_path, org):
    run_import(tmp_path, "a.csv", CSV_TEXT.encode())
    out, _ = run_import(tmp_path, "a.csv", CSV_TEXT.encode())
    assert "0 created, 0 updated, 3 unchanged" in out
    changed = CSV_TEXT.replace(";45;ja", ";45;nei").replace(";1440;", ";60;")
    out, _ = run_import(tmp_path, "a.csv", changed.encode())
    assert "0 created, 2 updated, 1 unchanged" in out
    assert stored() == {"act-1": (45, False), "act-2": (None, False), "act-3": (60, None)}


def test_a_file_without_the_new_columns_still_imports(tmp_path, org):
    text = "org_id,activity_type,recorded_at\norg-bufdir-42,peer_support,2026-01-15T10:30:00Z\n"
    out, _ = run_import(tmp_path, "a.csv", text.encode())
    assert "1 created" in out
    assert list(stored().values()) == [(None, None)]


def test_xlsx_import_reads_typed_cells(tmp_path, org):
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    sheet.append(["act-1", "org-bufdir-42", "peer_support", "2026-01-15T10:30:00Z", 45, True])
    sheet.append(["act-2", "org-bufdir-42", "peer_support", "2026-01-15T11:30:00Z", 90.0, "Nei"])
    sheet.append(["act-3", "org-bufdir-42", "peer_support", "2026-01-15T12:30:00Z", None, 0])
    sheet.append(["act-4", "org-bufdir-42", "peer_support", "2026-01-15T13:30:00Z", 45.5, None])
    out = io.BytesIO()
    book.save(out)
    _, err = run_import(tmp_path, "a.xlsx", out.getvalue())
    assert "line 5: duration_minutes: must be a whole number of minutes" in err
    assert not Activity.objects.exists()
    book.active.delete_rows(5)
    out = io.BytesIO()
    book.save(out)
    result, err = run_import(tmp_path, "a.xlsx", out.getvalue())
    assert "3 created" in result, err
    assert stored() == {"act-1": (45, True), "act-2": (90, False), "act-3": (None, False)}


def test_jsonl_import_reads_json_values(tmp_path, org):
    rows = [
        {"activity_id": "act-1", "org_id": "org-bufdir-42", "activity_type": "peer_support",
         "recorded_at": "2026-01-15T10:30:00Z", "duration_minutes": 45, "in_person": True},
        {"activity_id": "act-2", "org_id": "org-bufdir-42", "activity_type": "peer_support",
         "recorded_at": "2026-01-15T11:30:00Z", "duration_minutes": None, "in_person": None},
    ]  # fmt: skip
    content = "\n".join(json.dumps(r) for r in rows).encode()
    out, err = run_import(tmp_path, "a.jsonl", content)
    assert "2 created" in out, err
    assert stored() == {"act-1": (45, True), "act-2": (None, None)}
    bad = json.dumps({**rows[0], "activity_id": "act-3", "in_person": "perhaps", "duration_minutes": -3})
    _, err = run_import(tmp_path, "b.jsonl", bad.encode())
    assert "line 1: duration_minutes: cannot be negative; in_person: must be true or false" in err
