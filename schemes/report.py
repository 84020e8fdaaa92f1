"""The scheme report: an organisation's activities in a range, judged by one version of
a scheme's rules (``schemes.rules``), read with ``activities.selection.activity_rows``.

One query, streamed: the numbers are added up as the rows go by, and the verdicts are
kept only when asked for (``include=activities``, the exports).
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.models import Organization
from activities.selection import activity_rows
from lib.timeranges import DateTimeRange
from schemes.models import GrantScheme, SchemeVersion
from schemes.periods import ReportingYear
from schemes.rules import Summary, Verdict, judge, summarise


@dataclass(frozen=True)
class SchemeReport:
    org: Organization
    scheme: GrantScheme
    version: SchemeVersion
    time_range: DateTimeRange
    summary: Summary
    year: ReportingYear | None = None
    verdicts: list[Verdict] | None = None  # every activity of the range, in order, when kept


def scheme_report(
    *,
    org: Organization,
    version: SchemeVersion,
    time_range: DateTimeRange,
    year: ReportingYear | None = None,
    keep_verdicts: bool = False,
) -> SchemeReport:
    """Judge every activity of the organisation in the range by ``version``'s rules."""
    kept: list[Verdict] | None = [] if keep_verdicts else None
    summary = summarise(judge(version.rules, activity_rows(org=org, time_range=time_range)), keep=kept)
    return SchemeReport(org, version.scheme, version, time_range, summary, year, kept)
