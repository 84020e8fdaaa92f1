"""Importing what Excel writes: `;` or `,` CSV in UTF-8 (BOM or not) or Windows-1252,
and .xlsx with typed cells; through the command and the admin upload alike."""

from __future__ import annotations

import csv
import datetime as dt
import io
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from openpyxl import Workbook

from activities.models import Activity
from tests.activities._jobs import upload as upload_job

COLUMNS = ["activity_id", "org_id", "activity_type", "recorded_at", "participant_count", "location", "status"]
URL = reverse("admin:activities_activity_import")
UTC = dt.UTC


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows([COLUMNS, *rows])
    return text.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], *, header: list[object] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(COLUMNS if header is None else header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(tmp_path, name: str, content: bytes, *args: str) -> tuple[str, str]:
    path = tmp_path / name
    path.write_bytes(content)
    out, err = StringIO(), StringIO()
    try:
        call_command("import_activities", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue() + f"\nCommandError: {exc}"
    return out.getvalue(), err.getvalue()


def upload(client, name: str, content: bytes, **fields):  # type: ignore[no-untyped-def]
    return upload_job(client, content, name, **fields)


@pytest.fixture
def admin_(admin_user, client_for, org, other_org):
    client = client_for(admin_user)
    # Django's own form errors asserted below are English: read admin in English, as a
    # user who picked English in the header does (Norwegian is the default).
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


LOCATION = "Kåre's hus; Ærøy, Å"  # both separators inside a quoted value, and æøå


# --- CSV: separators and encodings ----------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_with_either_separator_in_any_accepted_encoding(tmp_path, org, delimiter, encoding):
    content = csv_bytes(
        [["act-1", "org-bufdir-42", "family_guidance", "2026-01-15T10:30:00+01:00", "4", LOCATION, "completed"]],
        delimiter=delimiter,
        encoding=encoding,
    )
    out, err = run(tmp_path, "aktiviteter.csv", content)
    assert "1 created" in out, err
    activity = Activity.objects.get(activity_id="act-1")
    assert activity.location == LOCATION
    assert activity.recorded_at == dt.datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_a_bad_row_in_a_semicolon_file_is_reported_by_its_line(tmp_path, org, encoding):
    content = csv_bytes(
        [
            ["act-1", "org-bufdir-42", "family_guidance", "2026-01-15T10:30:00Z", "4", "Tromsø", ""],
            ["act-2", "org-bufdir-42", "family_guidance", "2026-01-15T10:30:00Z", "3,5", "Bodø", ""],
        ],
        encoding=encoding,
    )
    _, err = run(tmp_path, "a.csv", content)
    assert "line 3: participant_count: must be a whole number" in err
    assert not Activity.objects.exists()


def test_a_row_with_the_other_separator_is_a_bad_row_that_says_so(tmp_path, org):
    good = ["act-1", "org-bufdir-42", "family_guidance", "2026-01-15T10:30:00Z", "4", "Oslo", ""]
    content = csv_bytes([good]) + b"act-2,org-bufdir-42,family_guidance,2026-01-15T10:30:00Z,4,Oslo,\r\n"
    _, err = run(tmp_path, "a.csv", content)
    assert "line 3: fewer values than columns: this file separates them with “;”" in err


def test_a_short_row_with_a_comma_in_a_value_is_not_taken_for_the_other_separator(tmp_path, org):
    row = b"act-1;org-bufdir-42;peer_support;2026-01-15T10:30:00Z;1;Oslo, sentrum\r\n"  # no status column
    content = ";".join(COLUMNS).encode() + b"\r\n" + row
    out, err = run(tmp_path, "a.csv", content)
    assert "1 created" in out, err
    assert Activity.objects.get().location == "Oslo, sentrum"


def test_a_header_with_both_separators_is_refused(tmp_path, db):
    _, err = run(tmp_path, "a.csv", b"activity_id;org_id,activity_type;recorded_at\n")
    assert "Cannot tell the separator" in err


def test_a_file_mixing_utf8_and_windows_1252_is_refused_not_garbled(tmp_path, org):
    row = "act-{n};org-bufdir-42;peer_support;2026-01-15T10:30:00Z;1;{place};\r\n"
    content = (
        ";".join(COLUMNS).encode()
        + b"\r\n"
        + row.format(n=1, place="Tromsø").encode("utf-8")
        + row.format(n=2, place="Bodø").encode("cp1252")
    )
    _, err = run(tmp_path, "a.csv", content)
    assert "mixes UTF-8 with another encoding (line 3 is not UTF-8)" in err
    assert not Activity.objects.exists()


def test_a_file_in_neither_encoding_is_refused(tmp_path, db):
    _, err = run(tmp_path, "a.csv", ";".join(COLUMNS).encode() + b"\nx\x81y\n")
    assert "not UTF-8 or Windows-1252 text (line 2)" in err


def test_a_csv_without_line_breaks_is_refused_before_it_is_read_whole(tmp_path, db):
    _, err = run(tmp_path, "a.csv", b"x" * 100_000)
    assert "too long for a header row" in err


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_an_empty_csv_file_needs_a_header(tmp_path, db, content):
    _, err = run(tmp_path, "a.csv", content)
    assert "needs a header row" in err


# --- Excel ----------------------------------------------------------------------------


def test_xlsx_with_typed_cells(tmp_path, org):
    content = xlsx_bytes(
        [
            [10021, "org-bufdir-42", "family_guidance", dt.datetime(2026, 1, 15, 10, 30), 3.0, 7050, "planned"],
            ["act-2", "org-bufdir-42", "peer_support", dt.datetime(2026, 7, 1, 0, 0, 0), 4, "Oslo", None],
        ]
    )
    out, err = run(tmp_path, "aktiviteter.xlsx", content)
    assert "2 created" in out, err
    winter = Activity.objects.get(activity_id="10021")  # a number typed as an id is its digits
    # A naive Excel time is Oslo wall-clock time: +01:00 in winter, +02:00 in summer.
    assert winter.recorded_at == dt.datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    assert (winter.participant_count, winter.location, winter.status) == (3, "7050", "planned")
    summer = Activity.objects.get(activity_id="act-2")
    assert summer.recorded_at == dt.datetime(2026, 6, 30, 22, 0, tzinfo=UTC)
    assert summer.status == "completed"


def test_xlsx_with_text_cells_follows_the_csv_rules(tmp_path, org):
    content = xlsx_bytes(
        [
            ["act-1", "org-bufdir-42", "family_guidance", "2026-01-15T10:30:00Z", "4", "Bodø", "completed"],
            ["act-2", "org-bufdir-42", "family_guidance", "2026-01-15T10:30:00", "4", "Bodø", "completed"],
        ]
    )
    _, err = run(tmp_path, "a.xlsx", content)
    assert "line 3: recorded_at:" in err and "has no UTC offset" in err
    out, _ = run(tmp_path, "b.xlsx", content, "--skip-invalid")
    assert "1 created" in out
    assert Activity.objects.get().recorded_at == dt.datetime(2026, 1, 15, 10, 30, tzinfo=UTC)


def test_xlsx_bad_rows_carry_the_row_numbers_excel_shows(tmp_path, org):
    good = ["act-1", "org-bufdir-42", "family_guidance", dt.datetime(2026, 1, 15, 10, 30), 1, "Oslo", None]
    content = xlsx_bytes(
        [
            good,
            [None] * 7,  # a blank row 3: still counted, as in Excel
            ["act-4", "org-bufdir-42", "family_guidance", dt.datetime(2026, 1, 15, 10, 30), 3.5, "Oslo", None],
            ["act-5", "org-bufdir-42", "family_guidance", dt.date(2026, 1, 15), 1, "Oslo", None],
            ["act-6", "org-bufdir-42", "family_guidance", dt.datetime(2026, 3, 29, 2, 30), 1, "Oslo", None],
            ["act-7", "org-bufdir-42", "family_guidance", dt.datetime(2026, 10, 25, 2, 30), 1, "Oslo", None],
            ["act-8", "org-bufdir-42", "family_guidance", 46037.5, 1, "Oslo", None],
            ["act-9", "org-bufdir-42", "family_guidance", dt.datetime(2026, 1, 15, 10, 30), True, "Oslo", None],
            [*good[:6], None, "extra"],
        ]
    )
    _, err = run(tmp_path, "a.xlsx", content)
    lines = [line for line in err.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in lines] == [f"line {n}" for n in (4, 5, 6, 7, 8, 9, 10)]
    assert "line 4: participant_count: must be a whole number" in err
    assert "line 5: recorded_at: a date without a time of day" in err
    assert "line 6: recorded_at: 2026-03-29 02:30 does not exist in Europe/Oslo" in err
    assert "line 7: recorded_at: 2026-10-25 02:30 happens twice in Europe/Oslo" in err
    assert "2026-10-25T02:30:00+02:00 or 2026-10-25T02:30:00+01:00" in err
    assert "line 8: recorded_at: must be a date and time" in err
    assert "line 9: participant_count: must be a whole number" in err
    assert "line 10: more values than columns" in err
    assert not Activity.objects.exists()


def test_xlsx_times_just_around_the_dst_changes_are_accepted(tmp_path, org):
    rows = [
        ["act-1", "org-bufdir-42", "peer_support", dt.datetime(2026, 3, 29, 1, 59, 59), 1, "", None],
        ["act-2", "org-bufdir-42", "peer_support", dt.datetime(2026, 3, 29, 3, 0), 1, "", None],
        ["act-3", "org-bufdir-42", "peer_support", dt.datetime(2026, 10, 25, 3, 0), 1, "", None],
    ]
    out, err = run(tmp_path, "a.xlsx", xlsx_bytes(rows))
    assert "3 created" in out, err
    got = dict(Activity.objects.values_list("activity_id", "recorded_at"))
    assert got == {
        "act-1": dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
        "act-2": dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        "act-3": dt.datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
    }


def test_xlsx_outside_the_supported_dates_is_a_bad_row(tmp_path, org):
    rows = [["act-1", "org-bufdir-42", "peer_support", dt.datetime(2200, 1, 1, 12, 0), 1, "", None]]
    _, err = run(tmp_path, "a.xlsx", xlsx_bytes(rows))
    assert "line 2: recorded_at:" in err and "outside the supported dates" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable Excel workbook"),
        (b"activity_id,org_id\n", "not a readable Excel workbook"),
        (b"PK\x03\x04" + b"\x00" * 100, "not a readable Excel workbook"),
    ],
)
def test_a_file_named_xlsx_that_is_not_one_is_a_clean_error(tmp_path, db, content, message):
    _, err = run(tmp_path, "a.xlsx", content)
    assert f"CommandError: The file is {message}" in err


def test_an_xlsx_without_a_workbook_inside_is_a_clean_error(tmp_path, db):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    _, err = run(tmp_path, "a.xlsx", out.getvalue())
    assert "not a readable Excel workbook" in err


def test_an_empty_xlsx_needs_a_header(tmp_path, db):
    out = io.BytesIO()
    Workbook().save(out)
    _, err = run(tmp_path, "a.xlsx", out.getvalue())
    assert "first sheet is empty: it needs a header row" in err


def test_xlsx_header_columns_are_checked(tmp_path, db):
    _, err = run(tmp_path, "a.xlsx", xlsx_bytes([], header=["org_id", "activity_type", "recorded_at", "colour"]))
    assert "Unknown Excel columns: colour" in err
    _, err = run(tmp_path, "b.xlsx", xlsx_bytes([], header=["org_id", None, "recorded_at"]))
    assert "has an empty column" in err


@pytest.mark.parametrize("name", ["a.xls", "a.xlsm"])
def test_other_spreadsheet_formats_say_to_save_as_xlsx(tmp_path, db, name):
    _, err = run(tmp_path, name, b"whatever")
    assert "is not an .xlsx workbook" in err


def test_format_option_reads_an_xlsx_by_another_name(tmp_path, org):
    rows = [["act-1", "org-bufdir-42", "peer_support", dt.datetime(2026, 1, 15, 10, 30), 1, "", None]]
    out, err = run(tmp_path, "export.dat", xlsx_bytes(rows), "--format", "xlsx")
    assert "1 created" in out, err


# --- The admin upload -----------------------------------------------------------------


def test_upload_of_a_norwegian_excel_csv(admin_):
    content = csv_bytes(
        [
            ["act-1", "org-bufdir-42", "family_guidance", "2026-01-15T10:30:00+01:00", "4", "Tromsø", ""],
            ["act-2", "org-bufdir-7", "peer_support", "2026-01-15T10:30:00+01:00", "1", "Bodø", ""],
        ],
        encoding="cp1252",
    )
    page = upload(admin_, "aktiviteter.csv", content).content.decode()
    assert "2 created" in page
    assert Activity.objects.get(activity_id="act-1").location == "Tromsø"


def test_upload_of_an_xlsx_lists_bad_rows_by_excel_row(admin_):
    content = xlsx_bytes(
        [
            ["act-1", "org-bufdir-42", "family_guidance", dt.datetime(2026, 1, 15, 10, 30), 3.0, "Oslo", None],
            ["act-2", "org-bufdir-42", "family_guidance", dt.datetime(2026, 1, 15, 10, 30), 3.5, "Oslo", None],
        ]
    )
    page = upload(admin_, "aktiviteter.xlsx", content).content.decode()
    assert "<td>3</td><td>participant_count: must be a whole number" in page
    assert not Activity.objects.exists()
    page = upload(admin_, "aktiviteter.xlsx", content, skip_invalid="on").content.decode()
    assert "1 created" in page
    assert Activity.objects.get().recorded_at == dt.datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_big_xlsx_upload_is_read_from_its_temporary_file(admin_):
    at = dt.datetime(2026, 1, 15, 8, 0)
    rows = [[f"act-{n}", "org-bufdir-42", "peer_support", at + dt.timedelta(minutes=n), 1] for n in range(300)]
    content = xlsx_bytes(rows)
    assert len(content) > 1024  # spooled to disk by Django's TemporaryFileUploadHandler
    assert "300 created" in upload(admin_, "aktiviteter.xlsx", content).content.decode()
    assert Activity.objects.count() == 300


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("aktiviteter.xlsx", b"activity_id;org_id\n", "not a readable Excel workbook"),
        ("aktiviteter.xlsx", b"", "The submitted file is empty."),
        ("aktiviteter.csv", b"activity_id;org_id,activity_type\n", "Cannot tell the separator"),
        ("aktiviteter.csv", b"\xef\xbb\xbf", "needs a header row"),
    ],
)
def test_unusable_uploads_are_form_errors(admin_, name, content, message):
    response = upload(admin_, name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
