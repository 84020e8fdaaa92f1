"""A scheme submission's evidence, and a submitted period's drift explained.

*Evidence.* ``evidence_for`` turns the ONE read of a submission (``schemes.report``'s
verdicts) into a ``SubmissionEvidence``: the counted totals, and every counted activity
with its id and counted fields as CSV and XLSX (``schemes.exports`` writes both), each
file stored as the bytes handed out with its SHA-256. XLSX bytes are not reproducible
(the workbook holds its own creation time), which is why the files are stored rather
than rebuilt: a download is byte-identical to what was digested.

*Drift.* ``changes_since`` lists the changes to the period's activities after the
submission read them (``activities.history.activity_events``): created, changed, moved
(to another organisation or across the period's edge) or deleted, each with when, by
whom and what changed. ``counted_now`` is today's count under the frozen rule version.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpResponse

from activities.counting import CACHE_SECONDS, committed_state
from activities.history import activity_events
from activities.models import ActivityEvent
from aggregations.models import SubmissionEvidence, SubmittedPeriod
from lib.exports import csv_bytes, download
from lib.timeranges import DateTimeRange, RangeError, isoformat_z, local_dates_range
from schemes.exports import ACTIVITY_COLUMNS, activity_cells, local_text, write_xlsx
from schemes.report import SchemeReport, scheme_report

FORMATS = ("csv", "xlsx")
CHANGES_SHOWN = 100  # the API and the admin list the newest this many, with the total


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_headers(hex_digest: str) -> dict[str, str]:
    """The digest of a file as HTTP says it (RFC 9530, and the older RFC 3230 name),
    and in hex as ``sha256sum`` prints it."""
    b64 = base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")
    return {"Repr-Digest": f"sha-256=:{b64}:", "Digest": f"sha-256=:{b64}:", "X-Evidence-SHA256": hex_digest}


def evidence_title(report: SchemeReport, *, period: SubmittedPeriod, time_zone: str) -> list[str]:
    org = report.org
    number = f", organisasjonsnummer {org.org_number}" if org.org_number else ""
    s = report.summary
    return [
        f"Submission evidence: {report.scheme.name} ({report.scheme.code}), rules version {report.version.number}",
        f"{org.name} ({org.org_id}){number}",
        f"Period {period.period_start} to {period.period_end}, times in {time_zone}",
        f"Counted: {s.activity_count} activities, {s.participant_total} participants",
        f"Submitted {local_text(period.submitted_at)} by {period.submitted_by} ({period.public_id})",
    ]


def evidence_for(report: SchemeReport, *, period: SubmittedPeriod, counted_at: dt.datetime) -> SubmissionEvidence:
    """The evidence of ``period`` (saved, with its key) from its report's verdicts
    (unsaved): only the counted activities are listed."""
    counted = [activity_cells(v.row) for v in report.verdicts or [] if v.counted]
    csv_file = csv_bytes(ACTIVITY_COLUMNS, counted)
    xlsx_bytes = write_xlsx(
        sheet_title="Submission evidence",
        title=evidence_title(report, period=period, time_zone=settings.REPORTING_TIME_ZONE),
        columns=ACTIVITY_COLUMNS,
        rows=counted,
    )
    s = report.summary
    return SubmissionEvidence(
        period=period,
        counted_at=counted_at,
        activity_count=s.activity_count,
        participant_total=s.participant_total,
        by_activity_type=s.by_activity_type,
        csv=csv_file,
        csv_sha256=sha256_hex(csv_file),
        xlsx=xlsx_bytes,
        xlsx_sha256=sha256_hex(xlsx_bytes),
    )


def evidence_of(period: SubmittedPeriod) -> SubmissionEvidence | None:
    """The period's evidence without its files (they load when read), or None; fetched
    once per period object."""
    if not hasattr(period, "_evidence"):
        period._evidence = (  # type: ignore[attr-defined]
            SubmissionEvidence.objects.defer("csv", "xlsx").filter(period=period.pk).first()
        )
    found: SubmissionEvidence | None = period._evidence  # type: ignore[attr-defined]
    return found


def evidence_file(evidence: SubmissionEvidence, fmt: str) -> tuple[bytes, str]:
    """(the stored bytes, their hex SHA-256) of one evidence file."""
    if fmt == "csv":
        return bytes(evidence.csv), evidence.csv_sha256
    return bytes(evidence.xlsx), evidence.xlsx_sha256


def evidence_response(period: SubmittedPeriod, found: SubmissionEvidence, fmt: str) -> HttpResponse:
    """The stored file as a download (what the API and admin both answer): the very bytes
    digested, named for what they are, with the digest in the headers."""
    data, digest = evidence_file(found, fmt)
    response = download(data, fmt=fmt, filename=evidence_file_name(period, fmt))
    for name, value in digest_headers(digest).items():
        response[name] = value
    return response


def evidence_file_name(period: SubmittedPeriod, fmt: str) -> str:
    """``evidence-sub-period-004-peer-support-v2-org-bufdir-42-2026-01-01-to-2026-12-31.csv``."""
    version = period.scheme_version
    scheme = f"-{version.scheme.code}-v{version.number}" if version is not None else ""
    return f"evidence-{period.public_id}{scheme}-{period.org.org_id}-{period.period_start}-to-{period.period_end}.{fmt}"


# --- Drift -----------------------------------------------------------------------------


def _range(period: SubmittedPeriod) -> DateTimeRange | None:
    try:
        return local_dates_range(period.period_start, period.period_end)
    except RangeError:  # stored before the supported window was enforced
        return None


def since_of(period: SubmittedPeriod) -> dt.datetime:
    """The instant the submission read the rows: exact for a scheme submission, else
    ``submitted_at`` (whole seconds)."""
    evidence = evidence_of(period)
    return evidence.counted_at if evidence is not None else period.submitted_at


def changes_since(period: SubmittedPeriod) -> QuerySet[ActivityEvent]:
    """The changes to the period's activities after its submission, oldest first."""
    time_range = _range(period)
    if time_range is None:
        return ActivityEvent.objects.none()
    if period.read_snapshot:  # PostgreSQL: exactly the writes the submission's read could not see
        return activity_events(
            org=period.org_id,
            time_range=time_range,
            unseen_by=period.read_snapshot,
            own_xid=period.read_xid,
            since=since_of(period),
        )
    return activity_events(org=period.org_id, time_range=time_range, since=since_of(period))


@dataclass(frozen=True)
class Changes:
    total: int
    newest: list[ActivityEvent]  # newest first, at most CHANGES_SHOWN


def recent_changes(period: SubmittedPeriod) -> Changes:
    """The newest ``CHANGES_SHOWN`` changes and how many there are; read once per period
    object (the admin page and the API show them and ``counted_now`` consults them)."""
    if not hasattr(period, "_changes"):
        events = changes_since(period)
        newest = list(events.order_by("-at", "-pk")[:CHANGES_SHOWN])
        total = len(newest) if len(newest) < CHANGES_SHOWN else events.count()
        period._changes = Changes(total, newest)  # type: ignore[attr-defined]
    changes: Changes = period._changes  # type: ignore[attr-defined]
    return changes


def change_json(event: ActivityEvent) -> dict[str, Any]:
    return {
        "activity_id": event.activity_id,
        "action": event.action,
        "at": isoformat_z(event.at.replace(microsecond=0)),
        "by": event.actor_label,
        "changes": event.changes,
    }


def counted_now(period: SubmittedPeriod) -> int | None:
    """Today's count of the period under its frozen rule version (None for a plain
    submission, or a period outside the supported dates). With no change to the
    period's activities since the submission it is the frozen count, read from no
    activity: the same rows judged by the same rules."""
    version = period.scheme_version
    time_range = _range(period)
    found = evidence_of(period)
    if version is None or time_range is None or found is None:
        return None
    if recent_changes(period).total == 0:
        return found.activity_count
    # A scheme report reads every activity of the period (seconds for a large one): keep
    # its count under the organisation's committed state, so a page or API read repeated
    # while nothing changed judges nothing again (docs/design.md, "The count cache").
    state = committed_state(org=period.org_id)
    key = f"scheme-now:{state}:{period.pk}:{version.pk}"
    if state is not None and (cached := cache.get(key)) is not None:
        return int(cached)
    counted = scheme_report(org=period.org, version=version, time_range=time_range).summary.activity_count
    if state is not None:
        cache.set(key, counted, timeout=CACHE_SECONDS)
    return counted
