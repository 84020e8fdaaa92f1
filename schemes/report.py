"""The scheme report: an organisation's activities in a range, judged by one version of
a scheme's rules (``schemes.rules.judgement``) and counted by the counting core
(``activities.judging``).

The numbers alone are one grouped statement. With the verdicts (the exports, the admin
page, a submission's evidence) it is one statement too, the numbers summed from the very
rows listed; the API's ``include=activities`` reads one page of them (``verdict_page``).
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.judging import Judged, Verdict, judged_listing, judged_rows, judged_tally
from activities.models import Organization
from lib.timeranges import DateTimeRange
from schemes.models import GrantScheme, SchemeVersion
from schemes.periods import ReportingYear
from schemes.rules import judgement, summary


@dataclass(frozen=True)
class SchemeReport:
    org: Organization
    scheme: GrantScheme
    version: SchemeVersion
    time_range: DateTimeRange
    summary: Judged  # every reason listed (schemes.rules.summary)
    year: ReportingYear | None = None
    verdicts: list[Verdict] | None = None  # every activity of the range, in order, when kept

    @property
    def judged_count(self) -> int:
        """Every activity of the range: counted or excluded."""
        return self.summary.activity_count + self.summary.excluded_count

    def verdict_page(self, offset: int, limit: int) -> list[Verdict]:
        """One page of the verdicts, in the listing's order (one statement)."""
        if self.verdicts is not None:
            return self.verdicts[offset : offset + limit]
        rules = judgement(self.version.rules)
        return list(judged_rows(org=self.org, time_range=self.time_range, judgement=rules, offset=offset, limit=limit))


def scheme_report(
    *,
    org: Organization,
    version: SchemeVersion,
    time_range: DateTimeRange,
    year: ReportingYear | None = None,
    keep_verdicts: bool = False,
) -> SchemeReport:
    """Judge every activity of the organisation in the range by ``version``'s rules."""
    rules = judgement(version.rules)
    if keep_verdicts:
        judged, verdicts = judged_listing(org=org, time_range=time_range, judgement=rules)
        return SchemeReport(org, version.scheme, version, time_range, summary(judged), year, verdicts)
    judged = judged_tally(org=org, time_range=time_range, judgement=rules)
    return SchemeReport(org, version.scheme, version, time_range, summary(judged), year)
