"""Import activities from CSV, Excel (.xlsx) or JSON Lines: every row checked, upserted in batches.

The command (a path) and the admin upload (an uploaded file) both call
``import_activities``. The file is streamed (memory is constant in its size) in one transaction, in batches,
through ``services.activities_upsert`` so live counts stay exact. Every bad row is
reported by line number; if there is any, nothing is imported (unless skip_invalid).
Re-importing a file changes nothing: rows are keyed by ``activity_id``, and a row
without one gets an id derived from its content and line number. Reading a file (its
format, encoding, separator, Excel cells) is ``activities.import_formats``.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet

from activities import rollup, services
from activities.fields import CLEANERS, FieldProblem
from activities.import_formats import (
    FIELD_SET,
    FIELDS,
    REQUIRED,
    ImportFileError,
    binary_source,
    detect_format,
    open_rows,
)
from activities.models import Activity, Organization

# ImportFileError is re-exported for the command and the admin.
__all__ = ["ImportFileError", "ImportResult", "RowError", "RowValidator", "import_activities"]

MAX_REPORTED_ERRORS = 1000
BATCH_SIZE = 10_000


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True)
class ImportProgress:
    """How far an import has got: rows read and checked, rows written so far (created,
    updated or found unchanged, inside the import's still open transaction), and the
    bytes of the file read (None where the reader cannot tell)."""

    checked: int
    written: int
    bytes_read: int | None


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    org_pks: set[int] = field(default_factory=set)  # organisations with a valid row

    @property
    def written(self) -> bool:
        return not self.dry_run and (self.created + self.updated) > 0


class RowValidator:
    """Checks one raw row with the same rules as the activities API.

    With ``orgs`` (a coordinator's organisations) a row for any other organisation is
    bad; unknown and not-yours read the same, so the message reveals no other org_id.
    """

    def __init__(self, orgs: QuerySet[Organization] | None = None) -> None:
        self.scoped = orgs is not None
        source = Organization.objects.all() if orgs is None else orgs
        self.orgs: dict[str, Organization] = {o.org_id: o for o in source}

    def validate(self, line: int, raw: dict[str, Any]) -> services.ActivityData | str:
        problems: list[str] = []
        unknown = raw.keys() - FIELD_SET
        if unknown:
            problems.append(f"unknown fields: {', '.join(sorted(map(str, unknown)))}")
        values = {name: raw.get(name) for name in FIELDS}
        # NUL bytes and every other field rule: activities.fields, below. org_id is only
        # looked up among the organisations loaded above (a dict), never sent to SQL.
        for name in REQUIRED:
            if values[name] in (None, ""):
                problems.append(f"{name}: required")
        if problems:
            return "; ".join(problems)

        org = self.orgs.get(str(values["org_id"]))
        if org is None and self.scoped:
            problems.append(f"org_id: {values['org_id']!r} is not one of your organisations")
        elif org is None:
            problems.append(f"org_id: unknown organisation {values['org_id']!r}")
        cleaned: dict[str, Any] = {}
        for name, clean in CLEANERS.items():  # the same rules as the API and admin
            try:
                cleaned[name] = clean(values[name])
            except FieldProblem as exc:
                problems.append(f"{name}: {exc}")
        if problems or org is None:
            return "; ".join(problems)
        activity_id = cleaned.pop("activity_id") or _derived_id(
            line, org.org_id, cleaned["activity_type"], str(values["recorded_at"]), cleaned["location"]
        )
        return services.ActivityData(activity_id=activity_id, org=org, **cleaned)


def _derived_id(line: int, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join([str(line), *parts]).encode()).hexdigest()[:32]
    return f"act-imp-{digest}"


def import_activities(
    *,
    path: Path | None = None,
    file: IO[bytes] | None = None,
    file_name: str = "",
    fmt: str | None = None,
    orgs: QuerySet[Organization] | None = None,
    skip_invalid: bool = False,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportProgress], None] | None = None,
    progress_every: int = 1000,
) -> ImportResult:
    """Check every row of ``path`` (or of the binary ``file`` named ``file_name``) and
    upsert them all, or nothing if any is bad.

    With ``skip_invalid`` the good rows are imported and the bad ones reported. The
    write is one transaction: an error part-way leaves nothing behind. With ``orgs``
    only those organisations' activities may be written: rows for others, or rows whose
    ``activity_id`` already belongs to another organisation, are bad rows.

    ``progress`` is called every ``progress_every`` rows checked and after every batch
    written, from inside the transaction (so it must not write to the database).
    """
    source: Path | IO[bytes] | None = path if file is None else file
    if source is None or (path is not None and file is not None):
        raise TypeError("pass exactly one of path and file")
    file_format = detect_format(path.name if path is not None else file_name, fmt)
    result = ImportResult(dry_run=dry_run)
    validator = RowValidator(orgs)
    # One pass: rows are checked and written as they stream by. At the first bad row
    # (without skip_invalid) writing stops, checking goes on so every bad row is
    # reported, and the transaction is rolled back: nothing is imported.
    state = _Writing(
        result=result,
        enabled=not dry_run,
        skip_invalid=skip_invalid,
        allowed_orgs=None if orgs is None else {o.pk for o in validator.orgs.values()},
    )
    with binary_source(source) as binary, open_rows(binary, file_format) as rows, transaction.atomic():

        def report() -> None:
            if progress is not None:
                written = result.created + result.updated + result.unchanged
                read = None if file_format == "xlsx" else _bytes_read(binary)  # a zip is not read in order
                progress(ImportProgress(checked=result.rows, written=written, bytes_read=read))

        state.on_flush = report
        try:
            for line, raw in rows:
                result.rows += 1
                outcome = raw if isinstance(raw, str) else validator.validate(line, raw)
                if isinstance(outcome, str):
                    state.bad(line, outcome)
                    continue
                result.org_pks.add(outcome.org.pk)
                # Scoped imports keep batching when not writing, to report taken ids too.
                if (state.enabled or state.allowed_orgs is not None) and outcome.activity_id is not None:
                    state.batch[outcome.activity_id] = (line, outcome)  # a later row with the same id wins
                    if len(state.batch) >= batch_size:
                        state.flush()
                if result.rows % progress_every == 0:
                    report()
        except UnicodeDecodeError:
            raise ImportFileError("The file is not UTF-8 text.") from None
        except csv.Error as exc:
            raise ImportFileError(f"Unreadable CSV at data row {result.rows + 1}: {exc}.") from None
        state.flush()
        report()
        result.errors.sort(key=lambda e: e.line)
        if not state.enabled:
            transaction.set_rollback(True)
            result.created = result.updated = result.unchanged = 0
    if result.created or result.updated:
        # Fold the import's rollup rows (one per batch and key) into one per local day.
        rollup.compact(orgs=sorted(result.org_pks))
    return result


@dataclass
class _Writing:
    """The rows waiting to be upserted, and whether writing is still on."""

    result: ImportResult
    enabled: bool
    skip_invalid: bool
    allowed_orgs: set[int] | None
    batch: dict[str, tuple[int, services.ActivityData]] = field(default_factory=dict)
    on_flush: Callable[[], None] | None = None

    def bad(self, line: int, message: str) -> None:
        self.result.invalid += 1
        if len(self.result.errors) < MAX_REPORTED_ERRORS:
            self.result.errors.append(RowError(line, message))
        self.enabled = self.enabled and self.skip_invalid

    def flush(self) -> None:
        batch, self.batch = self.batch, {}
        if self.allowed_orgs is not None and batch:
            # An upsert would move an activity to the row's organisation: a coordinator
            # must not take over (or overwrite) another organisation's activity.
            foreign = Activity.objects.filter(activity_id__in=list(batch)).exclude(org_id__in=self.allowed_orgs)
            for activity_id in foreign.values_list("activity_id", flat=True):
                line, _ = batch.pop(activity_id)
                self.bad(line, f"activity_id: {activity_id!r} belongs to another organisation")
        if not self.enabled or not batch:
            return
        stats = services.activities_upsert(items=[data for _, data in batch.values()])
        self.result.created += stats.created
        self.result.updated += stats.updated
        self.result.unchanged += stats.unchanged
        if self.on_flush is not None:
            self.on_flush()


def _bytes_read(binary: IO[bytes]) -> int | None:
    """How much of the binary file the reader has consumed (for "time left"); None when
    it cannot tell."""
    try:
        return int(binary.tell())
    except (AttributeError, OSError, ValueError):
        return None
