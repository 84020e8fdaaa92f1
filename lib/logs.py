"""Log lines stamped in UTC with a ``Z``, like every time the API writes.

Django sets the process's local zone to ``TIME_ZONE`` (the reporting zone, Oslo), so the
standard formatter would stamp Oslo time, an hour or two off the API's UTC ``Z`` times
and ambiguous in the autumn's repeated hour. Milliseconds, unlike the API's whole
seconds, because log lines of one request are often within the same second.
"""

from __future__ import annotations

import datetime as dt
import logging


class UTCFormatter(logging.Formatter):
    """``2026-03-26T08:00:00.123Z INFO django.request ...``"""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
        return stamp.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
