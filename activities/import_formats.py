"""Reading an import file: its format, its encoding, its separator, its rows.

``open_rows`` turns a file (a path, or an uploaded binary file) into ``(line, row)``
pairs, whatever it is: CSV (``;`` or ``,``, UTF-8 with or without BOM, or
Windows-1252), JSON Lines (UTF-8), or an Excel workbook (``.xlsx``, its first sheet).
Rows are dicts of raw values for ``activities.fields``; the line is what the person who
made the file sees: the CSV line, the JSON Lines line, the Excel row (header = row 1).
Everything is read as it is consumed: memory does not grow with the file (except an
xlsx file's table of distinct texts, which openpyxl keeps; docs/coordinators.md).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import json
import re
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any, Literal

from django.utils.translation import gettext as _

from activities.fields import MAX_PARTICIPANTS, FieldProblem
from lib.timeranges import UTC, reporting_zone

Format = Literal["csv", "jsonl", "xlsx"]
FIELDS = (
    "activity_id",
    "org_id",
    "activity_type",
    "recorded_at",
    "participant_count",
    "location",
    "status",
    "duration_minutes",  # optional: empty or absent is unknown
    "in_person",  # optional: true/false, yes/no, ja/nei, 1/0; empty or absent is unknown
)
FIELD_SET = frozenset(FIELDS)
REQUIRED = ("org_id", "activity_type", "recorded_at")
Row = tuple[int, dict[str, Any] | str]  # (line, raw values) or (line, why the row is unreadable)

_CHUNK = 1 << 20
_MAX_HEADER = 64 * 1024  # characters; the real header is under 100
# UTF-8 as a Windows-1252 file never holds it: Ã or â€ followed by what UTF-8 puts after
# them (æ ø å é … are C3 xx, typographic quotes and dashes E2 80 xx, € E2 82 AC).
_UTF8_LETTER = re.compile(rb"\xc3[\x80-\xbf]|\xe2\x80[\x80-\xbf]|\xe2\x82\xac")


class ImportFileError(Exception):
    """The file as a whole cannot be read (missing, wrong format, no header)."""


def detect_format(file_name: str, explicit: str | None = None) -> Format:
    name = (explicit or Path(file_name).suffix.lstrip(".")).lower()
    if name in {"csv"}:
        return "csv"
    if name in {"jsonl", "ndjson", "json"}:
        return "jsonl"
    if name in {"xlsx"}:
        return "xlsx"
    if name in {"xls", "xlsm", "xlsb", "ods"}:
        raise ImportFileError(
            _("%(name)s is not an .xlsx workbook: save it in Excel as “Excel Workbook (.xlsx)” or as CSV.")
            % {"name": file_name}
        )
    raise ImportFileError(
        _("Cannot tell the format of %(name)s: use a .csv, .xlsx or .jsonl file, or choose the format.")
        % {"name": file_name}
    )


@contextmanager
def open_rows(source: Path | IO[bytes], fmt: Format) -> Iterator[Iterator[Row]]:
    """The rows of ``source`` as ``(line, row)``, read as they are consumed.

    A path is opened and closed here; an uploaded file is read from its start and left
    open (its owner closes it).
    """
    with binary_source(source) as binary:
        if fmt == "xlsx":
            with closing(_xlsx_rows(binary)) as rows:
                yield rows
            return
        encoding = "utf-8-sig" if fmt == "jsonl" else sniff_encoding(binary)
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        try:
            yield _csv_rows(text) if fmt == "csv" else _jsonl_rows(text)
        finally:
            text.detach()  # leave the binary file to its owner


@contextmanager
def binary_source(source: Path | IO[bytes]) -> Iterator[IO[bytes]]:
    """``source`` as a binary file from its start: a path opened (and closed) here, an
    open file rewound and left open."""
    if not isinstance(source, Path):
        source.seek(0)
        yield source
        return
    try:
        file = source.open("rb")
    except OSError as exc:
        raise ImportFileError(_("Cannot open %(path)s: %(why)s.") % {"path": source, "why": exc.strerror}) from None
    with file:
        yield file


# --- Text: encoding, separator ---------------------------------------------------------


def sniff_encoding(binary: IO[bytes]) -> str:
    """The encoding of a CSV file: UTF-8 (a BOM is dropped) if all of it is valid UTF-8,
    else Windows-1252 (what Excel's plain "CSV" writes on Norwegian Windows) if it
    decodes as that and nothing before the first non-UTF-8 byte was UTF-8 beyond ASCII
    (nor anything after looks like UTF-8 letters). A file that mixes the two is refused
    rather than imported half garbled. One pass over the bytes, in chunks; the file is
    left at its start.
    """
    head = binary.read(4)
    binary.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # UTF-32 LE starts the same
        raise ImportFileError(
            _("The file is UTF-16 text (Excel's “Unicode text”): save it as “CSV UTF-8” or as .xlsx.")
        )
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_seen = head.startswith(codecs.BOM_UTF8)  # UTF-8 beyond ASCII before the first bad byte
    utf8_bad_line = cp1252_bad_line = None
    lines, tail = 1, b""
    while True:
        chunk = binary.read(_CHUNK)
        if utf8_bad_line is None:
            carry = utf8.getstate()[0]  # the start of a character cut by the last chunk
            try:
                utf8.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                good = chunk[: max(exc.start - len(carry), 0)]
                utf8_bad_line = lines + good.count(b"\n")
                utf8_seen = utf8_seen or not good.isascii()
                chunk = carry + chunk
            else:
                utf8_seen = utf8_seen or not chunk[: len(chunk) - len(utf8.getstate()[0])].isascii()
        if utf8_bad_line is not None:  # Windows-1252, unless UTF-8 shows up
            utf8_seen = utf8_seen or _UTF8_LETTER.search(tail + chunk) is not None
            if utf8_seen:
                break
            if cp1252_bad_line is None:
                try:
                    chunk.decode("cp1252")
                except UnicodeDecodeError as exc:
                    cp1252_bad_line = lines + chunk.count(b"\n", 0, exc.start)
        if not chunk:
            break
        tail = chunk[-2:]
        lines += chunk.count(b"\n")
    binary.seek(0)
    if utf8_bad_line is None:
        return "utf-8-sig"
    if utf8_seen:
        raise ImportFileError(
            _("The file mixes UTF-8 with another encoding (line %(line)s is not UTF-8): save it again as “CSV UTF-8”.")
            % {"line": utf8_bad_line}
        )
    if cp1252_bad_line is None:
        return "cp1252"
    raise ImportFileError(
        _("The file is not UTF-8 or Windows-1252 text (line %(line)s): save it as “CSV UTF-8”.")
        % {"line": cp1252_bad_line}
    )


def sniff_delimiter(header: str) -> str:
    """``;`` or ``,``, from the header line (no column name holds either)."""
    found = [d for d in ";," if d in header]
    if len(found) == 1:
        return found[0]
    if not found:
        return ","  # one column: the header check names what is missing
    fitting = [d for d in found if set(next(csv.reader([header], delimiter=d))) <= FIELD_SET]
    if len(fitting) == 1:
        return fitting[0]
    raise ImportFileError(
        _("Cannot tell the separator: the header line has both “;” and “,”. Use one of them between all columns.")
    )


def check_header(columns: Iterable[str], kind: str = "CSV") -> None:
    names = set(columns)
    unknown = names - FIELD_SET
    if unknown:
        raise ImportFileError(
            _("Unknown %(kind)s columns: %(unknown)s. Allowed: %(allowed)s.")
            % {"kind": kind, "unknown": ", ".join(sorted(unknown)), "allowed": ", ".join(FIELDS)}
        )
    missing = set(REQUIRED) - names
    if missing:
        raise ImportFileError(
            _("Missing %(kind)s columns: %(missing)s.") % {"kind": kind, "missing": ", ".join(sorted(missing))}
        )


def _csv_rows(stream: IO[str]) -> Iterator[Row]:
    header = stream.readline(_MAX_HEADER)
    if len(header) == _MAX_HEADER and not header.endswith("\n"):
        raise ImportFileError(_("The first line is too long for a header row: is this a CSV file?"))
    if not header.strip():
        raise ImportFileError(_("The CSV file is empty: it needs a header row."))
    delimiter = sniff_delimiter(header.rstrip("\r\n"))
    other = "," if delimiter == ";" else ";"
    reader = csv.DictReader(itertools.chain([header], stream), delimiter=delimiter)
    if not reader.fieldnames:
        raise ImportFileError(_("The CSV file is empty: it needs a header row."))
    check_header(reader.fieldnames)
    for row in reader:
        if None in row:
            yield reader.line_num, _("more values than columns")
            continue
        filled = [value for value in row.values() if value is not None]
        if len(filled) == 1 < len(row) and other in filled[0]:
            # One value holding the other separator: a row saved with "," in a ";" file
            # (or the reverse), which would otherwise read as missing fields.
            yield (
                reader.line_num,
                _("fewer values than columns: this file separates them with “%(sep)s” (its header line)")
                % {"sep": delimiter},
            )
            continue
        yield reader.line_num, row


def _jsonl_rows(stream: IO[str]) -> Iterator[Row]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, _("not valid JSON (%(why)s)") % {"why": exc.msg}
            continue
        if not isinstance(value, dict):
            yield number, _("each line must be a JSON object")
            continue
        yield number, value


# --- Excel -----------------------------------------------------------------------------


def _xlsx_rows(binary: IO[bytes]) -> Generator[Row, None, None]:
    """The first sheet's rows, numbered as Excel shows them; the first non-empty row is
    the header. openpyxl's read-only mode parses the sheet as it goes."""
    from openpyxl import load_workbook  # only an xlsx import pays for loading it

    unreadable = ImportFileError(
        _("The file is not a readable Excel workbook (.xlsx): open it in Excel and save it again, or save it as CSV.")
    )
    try:
        book = load_workbook(binary, read_only=True, data_only=True)
    except Exception:  # not a zip, no workbook in it, broken XML, openpyxl's own errors
        raise unreadable from None
    try:
        if not book.worksheets:
            raise ImportFileError(_("The workbook has no sheet."))
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read every row, whatever size the file claims
        try:
            yield from _sheet_rows(sheet.iter_rows())
        except ImportFileError:
            raise
        except Exception:  # a broken part found while reading on (zip, XML)
            raise unreadable from None
    finally:
        book.close()


def _sheet_rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[Row]:
    columns: list[str] | None = None
    for number, cells in enumerate(rows, start=1):
        values = [getattr(cell, "value", None) for cell in cells]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if columns is None:
            columns = _xlsx_header(values, number)
            continue
        extra = values[len(columns) :]
        if any(v is not None and v != "" for v in extra):
            yield number, _("more values than columns")
            continue
        raw = {name: _cell_value(name, cell) for name, cell in zip(columns, cells, strict=False)}
        problems = [f"{name}: {value}" for name, value in raw.items() if isinstance(value, FieldProblem)]
        yield number, "; ".join(problems) if problems else raw
    if columns is None:
        raise ImportFileError(_("The workbook's first sheet is empty: it needs a header row."))


def _xlsx_header(values: list[Any], number: int) -> list[str]:
    while values and values[-1] in (None, ""):
        values.pop()
    if any(v in (None, "") for v in values):
        raise ImportFileError(
            _("Row %(row)s (the header) has an empty column: every column needs a name.") % {"row": number}
        )
    columns = [str(v).strip() for v in values]
    check_header(columns, kind="Excel")
    return columns


def _cell_value(name: str, cell: Any) -> Any:
    """A typed Excel value as the field rules expect it (the same rules as CSV text), or
    a ``FieldProblem`` for a value no rule could accept."""
    value = cell.value
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_PARTICIPANTS + 1:
        value = int(value)  # Excel keeps every number as a float: 3.0 is 3 (3.5 stays, and is refused)
    if name == "recorded_at":
        return _recorded_at(value, getattr(cell, "number_format", ""))
    if name != "participant_count" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number typed into a text column (an id, a postcode)
    return value


def _recorded_at(value: Any, number_format: str) -> Any:
    if value is None or isinstance(value, str):
        return value  # text: the CSV rule (ISO 8601 with an offset)
    if isinstance(value, dt.datetime) and _has_time(number_format):
        return excel_local_time(value)
    if isinstance(value, dt.datetime):
        return FieldProblem(_("a date without a time of day; give the time too (format the cell as date and time)"))
    return FieldProblem(
        _("must be a date and time: a date-time cell, or text with an offset such as 2026-01-15T10:30:00+01:00")
    )


def _has_time(number_format: str) -> bool:
    """Whether an Excel number format shows a time (hours or seconds; "m" is ambiguous)."""
    bare = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", number_format or "")
    return bool(re.search(r"[hHsS]", bare))


def excel_local_time(value: dt.datetime) -> dt.datetime | FieldProblem:
    """An Excel date-time (Excel has no time zones) as the wall-clock time it shows in the
    reporting time zone. An hour the clocks skip (spring) does not exist, and one they
    repeat (autumn) is ambiguous: both are refused, never guessed, as a CSV time
    without an offset is (text with an offset says which)."""
    if value.tzinfo is not None:
        return value
    zone = reporting_zone()
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = value.strftime("%Y-%m-%d %H:%M")
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        return FieldProblem(
            _("%(time)s does not exist in %(zone)s (the clocks skip that hour); check the time")
            % {"time": shown, "zone": zone.key}
        )
    return FieldProblem(
        _(
            "%(time)s happens twice in %(zone)s (the clocks go back); write it as text with "
            "its offset, e.g. %(first)s or %(second)s"
        )
        % {"time": shown, "zone": zone.key, "first": first.isoformat(), "second": second.isoformat()}
    )
