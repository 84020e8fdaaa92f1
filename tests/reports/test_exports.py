"""CSV and XLSX exports read back (csv, openpyxl) equal the JSON of the same report."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from lib.exports import XLSX_TYPE
from tests.reports.conftest import SERIES

OSLO = ZoneInfo("Europe/Oslo")
PARAMS = {"org_id": "org-bufdir-42", "start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture
def activities(org, make_activity):  # type: ignore[no-untyped-def]
    make_activity(org, "2025-12-31T23:00:00Z", activity_type="family_guidance", participant_count=4)
    make_activity(org, "2026-02-10T12:00:00Z", activity_type="peer_support", participant_count=2, status="planned")
    make_activity(org, "2026-03-31T21:59:59Z", activity_type="peer_support", location='Oslo, "sentrum"')
    make_activity(org, "2025-02-10T12:00:00Z", activity_type="family_guidance", participant_count=1)


def rows_of_json(body, group_by):  # type: ignore[no-untyped-def]
    """The JSON flattened to (period, start, end, *group values, count) rows."""
    rows = []
    for b in body["buckets"]:
        if not group_by:
            rows.append((b["period"], b["start"], b["end"], b["activity_count"]))
        elif len(group_by) == 1:
            rows += [(b["period"], b["start"], b["end"], v, n) for v, n in b["groups"].items()]
        else:
            rows += [
                (b["period"], b["start"], b["end"], v, w, n)
                for v, inner in b["groups"].items()
                for w, n in inner.items()
            ]
    return rows


@pytest.mark.parametrize("group_by", ["", "activity_type", "location", "activity_type,status"])
def test_csv_reads_back_as_the_json(api, activities, group_by):
    params = {**PARAMS, "group_by": group_by}
    body = api.get(SERIES, params).json()
    response = api.get(SERIES, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="report-org-bufdir-42-2026-01-01-to-2026-03-31-month.csv"'
    )
    text = response.content.decode("utf-8")
    assert "\r\n" in text
    table = list(csv.reader(io.StringIO(text, newline="")))
    dims = [d for d in group_by.split(",") if d]
    assert table[0] == ["period", "start", "end", *dims, "activity_count", "participant_total"]
    got = [(*row[: 3 + len(dims)], int(row[3 + len(dims)])) for row in table[1:]]
    assert got == rows_of_json(body, dims)
    # Participants per bucket add up to the JSON's.
    per_bucket: dict[str, int] = {}
    for row in table[1:]:
        per_bucket[row[0]] = per_bucket.get(row[0], 0) + int(row[-1])
    assert per_bucket == {b["period"]: b["participant_total"] for b in body["buckets"]}


def test_csv_with_a_comparison_has_a_series_column(api, activities):
    body = api.get(SERIES, {**PARAMS, "compare": "previous_year"}).json()
    table = list(
        csv.reader(
            io.StringIO(api.get(SERIES, {**PARAMS, "compare": "previous_year", "format": "csv"}).content.decode())
        )
    )
    assert table[0][0] == "series"
    assert [r[1] for r in table[1:] if r[0] == "current"] == [b["period"] for b in body["buckets"]]
    assert [int(r[4]) for r in table[1:] if r[0] == "comparison"] == [
        b["activity_count"] for b in body["comparison"]["buckets"]
    ]


def test_accept_header_chooses_the_format(api, activities):
    assert api.get(SERIES, PARAMS, HTTP_ACCEPT="text/csv")["Content-Type"].startswith("text/csv")
    assert api.get(SERIES, PARAMS, HTTP_ACCEPT=XLSX_TYPE)["Content-Type"] == XLSX_TYPE
    assert api.get(SERIES, {**PARAMS, "format": "json"}, HTTP_ACCEPT="text/csv")["Content-Type"] == "application/json"


def utc_z(value: dt.datetime) -> str:
    return value.replace(tzinfo=OSLO).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize("group_by", ["", "activity_type", "activity_type,status"])
def test_xlsx_reads_back_as_the_json(api, org, activities, group_by):
    params = {**PARAMS, "group_by": group_by}
    body = api.get(SERIES, params).json()
    response = api.get(SERIES, {**params, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-2026-01-01-to-2026-03-31-month.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert org.name in values[0][0] and org.org_id in values[0][0]
    assert "2026-01-01 00:00:00 to 2026-03-31 23:59:59" in values[1][0] and "Europe/Oslo" in values[1][0]
    dims = [d for d in group_by.split(",") if d]
    header = values.index(("period", "start", "end", *dims, "activity_count", "participant_total"))
    data, totals = values[header + 1 : -1], values[-1]
    for row in data:
        assert isinstance(row[1], dt.datetime) and isinstance(row[-2], int)  # real dates and numbers
    got = [(row[0], utc_z(row[1]), utc_z(row[2]), *row[3 : 3 + len(dims)], row[3 + len(dims)]) for row in data]
    assert got == rows_of_json(body, dims)
    assert totals[0] == "Total"
    assert totals[-2:] == (body["total"]["activity_count"], body["total"]["participant_total"])
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert widths[1] >= 19 and widths[2] >= 19  # a datetime fits


def test_xlsx_with_a_comparison_has_a_totals_row_per_series(api, activities):
    body = api.get(SERIES, {**PARAMS, "compare": "previous_year"}).json()
    content = api.get(SERIES, {**PARAMS, "compare": "previous_year", "format": "xlsx"}).content
    values = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert values[-2][0] == "Total (current)" and values[-2][-2] == body["total"]["activity_count"]
    assert values[-1][0] == "Total (comparison)" and values[-1][-2] == body["comparison"]["total"]["activity_count"]


def test_an_error_in_csv_format_is_still_problem_json(api, org):
    response = api.get(SERIES, {**PARAMS, "interval": "hour", "format": "csv"})
    assert response.status_code == 400
    assert response.json()["errors"]["interval"]


@pytest.mark.parametrize("group_by", ["activity_type", "location,status"])
def test_a_grouped_csv_of_a_range_without_activities_has_a_row_per_bucket(api, org, group_by):
    params = {**PARAMS, "group_by": group_by}
    body = api.get(SERIES, params).json()
    assert body["total"]["groups"] == {} and len(body["buckets"]) == 3
    table = list(csv.reader(io.StringIO(api.get(SERIES, {**params, "format": "csv"}).content.decode(), newline="")))
    dims = group_by.split(",")
    assert table[0] == ["period", "start", "end", *dims, "activity_count", "participant_total"]
    assert table[1:] == [[b["period"], b["start"], b["end"], *[""] * len(dims), "0", "0"] for b in body["buckets"]]


def test_a_grouped_xlsx_of_a_range_without_activities_has_a_row_per_bucket(api, org):
    params = {**PARAMS, "group_by": "activity_type", "compare": "previous_year"}
    body = api.get(SERIES, params).json()
    content = api.get(SERIES, {**params, "format": "xlsx"}).content
    values = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    header = values.index(("series", "period", "start", "end", "activity_type", "activity_count", "participant_total"))
    data = values[header + 1 : -2]
    expected = [("current", b) for b in body["buckets"]] + [("comparison", b) for b in body["comparison"]["buckets"]]
    assert [(r[0], r[1], utc_z(r[2]), utc_z(r[3]), r[4], r[5], r[6]) for r in data] == [
        (name, b["period"], b["start"], b["end"], None, 0, 0) for name, b in expected
    ]
    assert values[-2][0] == "Total (current)" and values[-2][-2:] == (0, 0)
