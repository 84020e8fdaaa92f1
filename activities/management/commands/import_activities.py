"""`manage.py import_activities FILE`: load activities from CSV, Excel (.xlsx) or JSON Lines."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from activities.importing import BATCH_SIZE, ImportFileError, ImportResult, import_activities
from lib.db import long_running_command


class Command(BaseCommand):
    help = (
        "Import activities from a CSV (header row; ';' or ',', UTF-8 or Windows-1252), Excel "
        "(.xlsx, first sheet) or JSON Lines file with the fields of the activities API. Every "
        "row is checked first; nothing is imported if any is bad "
        "unless --skip-invalid. Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", choices=["csv", "xlsx", "jsonl"], help="Default: from the file name's extension."
        )
        parser.add_argument("--skip-invalid", action="store_true", help="Import the good rows, report the bad ones.")
        parser.add_argument("--dry-run", action="store_true", help="Only check the file.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)

    @long_running_command  # lifts the web statement/lock timeouts (DB_COMMAND_STATEMENT_TIMEOUT)
    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")

        def progress(stage: str, rows: int) -> None:
            self.stdout.write(f"  {stage} {rows:,} rows")
            self.stdout.flush()

        try:
            result = import_activities(
                path=path,
                fmt=options["format"],
                skip_invalid=options["skip_invalid"],
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
                progress=progress,
            )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self._report(result, options["skip_invalid"])

    def _report(self, result: ImportResult, skip_invalid: bool) -> None:
        for error in result.errors:
            self.stderr.write(f"line {error.line}: {error.message}")
        if result.invalid > len(result.errors):
            self.stderr.write(f"... and {result.invalid - len(result.errors):,} more bad rows")
        summary = (
            f"{result.rows:,} rows: {result.created:,} created, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged, {result.invalid:,} invalid"
        )
        if result.dry_run:
            self.stdout.write(f"Dry run, nothing written. {summary}")
        elif result.invalid and not skip_invalid:
            self.stdout.write(f"Nothing imported. {summary}")
            sys.stdout.flush()
            raise CommandError(f"{result.invalid:,} bad rows; fix them or use --skip-invalid.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported. {summary}"))
