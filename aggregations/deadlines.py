"""Report deadlines: for each organisation and grant scheme, the next report due and
whether it has been submitted (a submitted period covering the reporting year).

The dates are the scheme's (``schemes.periods``); what counts as submitted is decided
here, beside the submitted periods, in ``_submits``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from activities.models import Organization
from aggregations.models import SubmittedPeriod
from schemes.models import GrantScheme
from schemes.periods import ReportingYear, years_due


@dataclass(frozen=True)
class Deadline:
    """The next report an organisation owes under a scheme."""

    org: Organization
    scheme: GrantScheme
    year: ReportingYear
    submitted: SubmittedPeriod | None
    today: dt.date

    @property
    def overdue(self) -> bool:
        return self.submitted is None and self.today > self.year.deadline

    @property
    def days_left(self) -> int:
        return (self.year.deadline - self.today).days

    @property
    def days_overdue(self) -> int:
        return max(-self.days_left, 0)


def _submits(period: SubmittedPeriod, scheme: GrantScheme, year: ReportingYear) -> bool:
    """Whether a submitted period is the report of ``year`` under ``scheme``: a period of
    the organisation that covers the whole reporting year and, when it names a scheme
    (its frozen rule version's), names this one. A plain period (no scheme) counts for
    every scheme, as before schemes could be named."""
    version = period.scheme_version
    if version is not None and version.scheme_id != scheme.pk:
        return False
    return period.period_start <= year.first_day and period.period_end >= year.last_day


def next_deadline(
    *, org: Organization, scheme: GrantScheme, periods: Iterable[SubmittedPeriod], today: dt.date
) -> Deadline | None:
    """The last ended reporting year while its report is not submitted, else the current
    one; None when the scheme was set up after both deadlines (never, in practice)."""
    since = timezone.localdate(scheme.created_at) if scheme.created_at else None
    years = years_due(scheme, today=today, since=since)
    periods = list(periods)
    for year in years:
        submitted = next((p for p in periods if _submits(p, scheme, year)), None)
        if submitted is None or year is years[-1]:
            return Deadline(org, scheme, year, submitted, today)
    return None


def deadlines(*, orgs: Iterable[Organization], today: dt.date | None = None) -> list[Deadline]:
    """Every (organisation, scheme)'s next report due, overdue ones first, then by
    deadline: two queries whatever the number of organisations and schemes."""
    today = today or timezone.localdate()
    orgs = list(orgs)
    schemes = list(GrantScheme.objects.order_by("code"))
    if not orgs or not schemes:
        return []
    by_org: dict[int, list[SubmittedPeriod]] = defaultdict(list)
    submitted = SubmittedPeriod.objects.filter(org__in=orgs).select_related("scheme_version")
    for period in submitted.order_by("period_start"):
        by_org[period.org_id].append(period)
    found = [
        due
        for org in orgs
        for scheme in schemes
        if (due := next_deadline(org=org, scheme=scheme, periods=by_org[org.pk], today=today)) is not None
    ]
    return sorted(found, key=lambda d: (not d.overdue, d.year.deadline, d.org.org_id, d.scheme.code))
