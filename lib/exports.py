"""File downloads shared by every export (reports, scheme reports, submission evidence):
the media types, RFC 4180 CSV with the API's value spellings, the Excel datetime format,
and the attachment response. Imports no app."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

from lib.timeranges import isoformat_z

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"csv": f"{CSV_TYPE}; charset=utf-8", "xlsx": XLSX_TYPE}
EXCEL_DATETIME = "yyyy-mm-dd hh:mm:ss"  # a cell's number format for local datetimes


def csv_value(value: Any) -> Any:
    """As the JSON says it: instants in UTC with ``Z``, ``true``/``false``, unknown empty."""
    if isinstance(value, dt.datetime):
        return isoformat_z(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def csv_bytes(columns: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """RFC 4180 in UTF-8: a header row, then the rows; CRLF line ends, minimal quoting."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for cells in rows:
        writer.writerow([csv_value(v) for v in cells])
    return out.getvalue().encode("utf-8")


def download(data: bytes, *, fmt: str, filename: str) -> HttpResponse:
    """The bytes as an attachment of ``fmt`` (``csv`` or ``xlsx``) named ``filename``."""
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
