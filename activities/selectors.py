"""Reads of activities: the one place that counts them."""

from __future__ import annotations

from activities.models import Activity, Organization
from bufdir_project.timeranges import DateTimeRange


def activity_count(*, org: Organization | int, time_range: DateTimeRange) -> int:
    """How many of the organisation's activities (any status) lie in the range; one query."""
    return Activity.objects.for_org(org).in_range(time_range).count()
