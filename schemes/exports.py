"""A scheme report as the API shows it: JSON, and CSV/XLSX listing every activity with
its verdict and reason."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from activities.judging import ActivityRow, Verdict
from lib.exports import EXCEL_DATETIME, csv_bytes, csv_value
from lib.timeranges import isoformat_z, reporting_zone
from schemes.report import SchemeReport

COLUMNS = [
    "activity_id",
    "recorded_at",
    "activity_type",
    "status",
    "participant_count",
    "duration_minutes",
    "in_person",
    "location",
    "counted",
    "reason",
]


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    row = verdict.row
    return {
        "activity_id": row.activity_id,
        "recorded_at": isoformat_z(row.recorded_at),
        "activity_type": row.activity_type,
        "status": row.status,
        "participant_count": row.participant_count,
        "duration_minutes": row.duration_minutes,
        "in_person": row.in_person,
        "location": row.location,
        "counted": verdict.counted,
        "reason": verdict.reason,
    }


def report_json(report: SchemeReport, *, time_zone: str) -> dict[str, Any]:
    s = report.summary
    version = report.version
    return {
        "org_id": report.org.org_id,
        "scheme": {"code": report.scheme.code, "name": report.scheme.name},
        "rule_version": {
            "number": version.number,
            "created_at": isoformat_z(version.created_at.replace(microsecond=0)),
            **version.rules_json(),
        },
        "year": report.year.label if report.year is not None else None,
        "range": {"start": isoformat_z(report.time_range.start), "end": isoformat_z(report.time_range.end)},
        "time_zone": time_zone,
        "counted": {
            "activity_count": s.activity_count,
            "participant_total": s.participant_total,
            "by_activity_type": s.by_activity_type,
        },
        "excluded": {"activity_count": s.excluded_count, "by_reason": dict(s.excluded)},
    }


ACTIVITY_COLUMNS = COLUMNS[:8]  # an activity's id and counted fields (the evidence's columns)
RECORDED_AT_COLUMN = 1  # the index of recorded_at in every row below


def activity_cells(row: ActivityRow) -> list[Any]:
    """An activity's ``ACTIVITY_COLUMNS`` as Python values (``csv_bytes`` and ``write_xlsx`` format them)."""
    return [
        row.activity_id,
        row.recorded_at,
        row.activity_type,
        row.status,
        row.participant_count,
        row.duration_minutes,
        row.in_person,
        row.location,
    ]


def _cells(verdict: Verdict) -> list[Any]:
    return [*activity_cells(verdict.row), verdict.counted, verdict.reason]


def report_csv(report: SchemeReport) -> bytes:
    """One row per activity of the range in time order, with its verdict and reason."""
    return csv_bytes(COLUMNS, (_cells(v) for v in report.verdicts or []))


def local_text(value: dt.datetime) -> str:
    """An instant as the reporting time zone's wall clock, for titles."""
    return f"{value.astimezone(reporting_zone()):%Y-%m-%d %H:%M:%S}"


def title_lines(report: SchemeReport, *, time_zone: str) -> list[str]:
    r = report.time_range
    year = f", reporting year {report.year.label}" if report.year is not None else ""
    s = report.summary
    return [
        f"{report.scheme.name} ({report.scheme.code}), rules version {report.version.number}",
        f"Activities of {report.org.name} ({report.org.org_id})",
        f"{local_text(r.start)} to {local_text(r.end)}{year}, times in {time_zone}",
        f"Counted: {s.activity_count} activities, {s.participant_total} participants; excluded: {s.excluded_count}",
    ]


def write_xlsx(*, sheet_title: str, title: list[str], columns: list[str], rows: Iterable[list[Any]]) -> bytes:
    """One sheet: the title lines (the first in bold), a blank row, a header row, then
    the rows with real numbers and booleans, and ``recorded_at`` (``RECORDED_AT_COLUMN``)
    as a local datetime (Excel has no time zones: the title names the zone)."""
    zone = reporting_zone()
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title
    for i, line in enumerate(title):
        sheet.append([line])
        if i == 0:
            sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(columns)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    widths = [len(name) for name in columns]
    at = RECORDED_AT_COLUMN
    for cells in rows:
        cells = list(cells)
        cells[at] = cells[at].astimezone(zone).replace(tzinfo=None)
        sheet.append(cells)
        sheet.cell(row=sheet.max_row, column=at + 1).number_format = EXCEL_DATETIME
        for i, v in enumerate(cells):
            widths[i] = max(widths[i], 19 if i == at else len(str(csv_value(v))))
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(width, 60) + 2
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_xlsx(report: SchemeReport, *, time_zone: str) -> bytes:
    """One sheet: a title (scheme and version, organisation, range, time zone, totals),
    then one row per activity with real local datetimes, numbers and booleans."""
    return write_xlsx(
        sheet_title="Scheme report",
        title=title_lines(report, time_zone=time_zone),
        columns=COLUMNS,
        rows=(_cells(v) for v in report.verdicts or []),
    )


def file_stem(report: SchemeReport) -> str:
    """``scheme-peer-support-v2-org-bufdir-42-2026-01-01-to-2026-12-31``."""
    zone = reporting_zone()
    r = report.time_range
    first, last = r.start.astimezone(zone).date(), r.end.astimezone(zone).date()
    return f"scheme-{report.scheme.code}-v{report.version.number}-{report.org.org_id}-{first}-to-{last}"
