"""CSV (RFC 4180, UTF-8) and XLSX renderings of a report's table (SPEC.md, "Reports")."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from lib.exports import EXCEL_DATETIME, csv_bytes
from lib.timeranges import reporting_zone
from reports.render import table_columns, table_rows
from reports.series import Report


def report_csv(report: Report) -> bytes:
    """Header row, then one row per bucket (and group); datetimes in UTC with ``Z`` as in
    the JSON (lib.exports.csv_bytes: RFC 4180)."""
    return csv_bytes(table_columns(report), table_rows(report))


def report_xlsx(report: Report, *, time_zone: str) -> bytes:
    """One sheet: a title (organisation, range, time zone), the table with real local
    datetimes (Excel has no time zones: the title names the zone) and numbers, and a
    totals row per series."""
    zone = reporting_zone()

    def local(value: dt.datetime) -> dt.datetime:
        return value.astimezone(zone).replace(tzinfo=None)

    book = Workbook()
    sheet = book.create_sheet("Report", 0)
    book.remove(book.worksheets[1])  # the default empty sheet
    r = report.series.time_range
    sheet.append([f"Activities of {report.org.name} ({report.org.org_id})"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"{local(r.start):%Y-%m-%d %H:%M:%S} to {local(r.end):%Y-%m-%d %H:%M:%S}, times in {time_zone}"])
    extra = f", by {' and '.join(report.group_by)}" if report.group_by else ""
    compared = f", compared with the {report.compare.replace('_', ' ')}" if report.compare else ""
    sheet.append([f"Interval: {report.interval}{extra}{compared}"])
    sheet.append([])
    columns = table_columns(report)
    sheet.append(columns)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    rows = table_rows(report)
    for row in rows:
        sheet.append([local(v) if isinstance(v, dt.datetime) else v for v in row])
    for row_cells in sheet.iter_rows(min_row=header_row + 1, max_row=sheet.max_row):
        for cell in row_cells:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = EXCEL_DATETIME
    count_at = columns.index("activity_count")
    totals = [("current", report.series)]
    if report.comparison is not None:
        totals.append(("comparison", report.comparison))
    for name, series in totals:
        label = "Total" if report.comparison is None else f"Total ({name})"
        sheet.append([label, *[None] * (count_at - 1), series.total.activity_count, series.total.participant_total])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    _fit_columns(sheet, columns, rows, first_row=header_row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fit_columns(sheet: Any, columns: list[str], rows: list[list[Any]], *, first_row: int) -> None:
    """Each column as wide as its longest value below the title (datetimes print as 19)."""
    for index, name in enumerate(columns, start=1):
        widths = [len(name)]
        for row in rows:
            value = row[index - 1]
            widths.append(19 if isinstance(value, dt.datetime) else 0 if value is None else len(str(value)))
        widths.append(len("Total (comparison)") if index == 1 else 0)
        sheet.column_dimensions[get_column_letter(index)].width = max(widths) + 2
