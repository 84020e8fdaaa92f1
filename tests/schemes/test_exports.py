"""CSV and XLSX of a scheme report read back (csv, openpyxl) equal its JSON verdicts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from lib.exports import XLSX_TYPE
from schemes.exports import COLUMNS
from tests.schemes.conftest import SCHEME

OSLO = ZoneInfo("Europe/Oslo")
PARAMS = {"org_id": "org-bufdir-42", "scheme": "peer-support", "year": "2026"}
STEM = "scheme-peer-support-v1-org-bufdir-42-2026-01-01-to-2026-12-31"


@pytest.fixture
def activities(org, make_scheme, act):  # type: ignore[no-untyped-def]
    make_scheme(min_participants=3, min_duration_minutes=45, in_person_required=True, one_per_type_per_day=True)
    act(
        org,
        "2025-12-31T23:00:00Z",
        participant_count=4,
        duration_minutes=60,
        in_person=True,
        location='Oslo, "sentrum"',
    )
    act(org, "2026-01-01T10:00:00Z", participant_count=4, duration_minutes=60, in_person=True)
    act(org, "2026-03-29T01:30:00Z", participant_count=2, duration_minutes=None, in_person=False, status="planned")
    act(org, "2026-10-25T03:30:00Z", participant_count=9, duration_minutes=None, in_person=None)


def verdicts(api):  # type: ignore[no-untyped-def]
    body = api.get(SCHEME, {**PARAMS, "include": "activities", "limit": 100}).json()
    return body, body["activities"]["data"]


def test_csv_lists_every_activity_as_the_json(api, activities):
    body, data = verdicts(api)
    response = api.get(SCHEME, {**PARAMS, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{STEM}.csv"'
    text = response.content.decode("utf-8")
    assert "\r\n" in text
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == COLUMNS

    def parsed(value: str, column: str):  # type: ignore[no-untyped-def]
        if value == "" and column in {"duration_minutes", "in_person", "reason"}:
            return None
        if column in {"participant_count", "duration_minutes"}:
            return int(value)
        if column in {"in_person", "counted"}:
            return {"true": True, "false": False}[value]
        return value

    assert [{c: parsed(v, c) for c, v in zip(COLUMNS, row, strict=True)} for row in table[1:]] == data
    assert sum(1 for row in table[1:] if row[COLUMNS.index("counted")] == "true") == body["counted"]["activity_count"]


def test_an_accept_header_chooses_csv(api, activities):
    response = api.get(SCHEME, PARAMS, HTTP_ACCEPT="text/csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_xlsx_has_a_title_and_real_values(api, activities):
    body, data = verdicts(api)
    response = api.get(SCHEME, {**PARAMS, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == f'attachment; filename="{STEM}.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    title = " ".join(str(r[0]) for r in rows[:4])
    for part in ("Likepersonsarbeid (peer-support), rules version 1", "Familievernet Oslo (org-bufdir-42)",
                 "2026-01-01 00:00:00 to 2026-12-31 23:59:59", "reporting year 2026", "Europe/Oslo",
                 "Counted: 1 activities"):  # fmt: skip
        assert part in title
    header = rows.index(tuple(COLUMNS))
    got = []
    for row in rows[header + 1 :]:
        item = dict(zip(COLUMNS, row, strict=True))
        assert isinstance(item["recorded_at"], dt.datetime)
        item["recorded_at"] = item["recorded_at"].replace(tzinfo=OSLO).astimezone(dt.UTC)
        item["recorded_at"] = item["recorded_at"].isoformat().replace("+00:00", "Z")
        item["location"] = item["location"] or ""
        got.append(item)
    assert got == data
    assert all(isinstance(r["participant_count"], int) for r in got)
    assert [r["in_person"] for r in got] == [True, True, False, None]
    assert body["counted"]["activity_count"] == 1
