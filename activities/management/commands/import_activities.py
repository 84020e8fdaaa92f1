"""`manage.py import_activities FILE`: load activities from CSV, Excel (.xlsx) or JSON Lines."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from activities.history import acting_as
from activities.importing import BATCH_SIZE, ImportFileError, ImportProgress, ImportResult, import_activities
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

        # A progress bar only on a terminal: piped or redirected output stays the summary.
        bar = ProgressBar(self.stdout, _file_size(path)) if self.stdout.isatty() else None
        try:
            with acting_as(f"command import_activities {path.name}"):
                result = import_activities(
                    path=path,
                    fmt=options["format"],
                    skip_invalid=options["skip_invalid"],
                    dry_run=options["dry_run"],
                    batch_size=options["batch_size"],
                    progress=bar,
                )
        except ImportFileError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        finally:
            if bar is not None:
                bar.close()
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


def _file_size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None  # the import says why it cannot open it


class ProgressBar:
    """One line, redrawn in place: ``[#####-----]  48%  12,000 checked  10,000 written  0:21 left``."""

    WIDTH = 30
    INTERVAL = 0.2  # seconds between redraws

    def __init__(self, out: OutputWrapper, total_bytes: int | None) -> None:
        self.out = out
        self.total = total_bytes
        self.started = time.monotonic()
        self.last = 0.0
        self.drawn = False
        self.latest: ImportProgress | None = None

    def __call__(self, progress: ImportProgress) -> None:
        now = time.monotonic()
        self.latest = progress
        if now - self.last < self.INTERVAL:
            return
        self.draw(progress, now)

    def draw(self, progress: ImportProgress, now: float) -> None:
        self.last = now
        self.latest = None
        figures = f"{progress.checked:,} checked  {progress.written:,} written"
        if self.total and progress.bytes_read is not None:
            fraction = min(progress.bytes_read / self.total, 1.0)
            filled = round(self.WIDTH * fraction)
            bar = "[" + "#" * filled + "-" * (self.WIDTH - filled) + f"] {fraction:4.0%}"
            elapsed = now - self.started
            left = f"  {_clock(elapsed / fraction - elapsed)} left" if fraction > 0.01 else ""
            line = f"{bar}  {figures}{left}"
        else:
            line = figures
        self.out.write("\r" + line + "\x1b[K", ending="")  # \x1b[K: clear the rest of the line
        self.out.flush()
        self.drawn = True

    def close(self) -> None:
        latest = self.latest
        if latest is not None:  # the last figures were throttled away: show them
            self.draw(latest, time.monotonic())
        if self.drawn:
            self.out.write("")  # end the bar's line


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"
