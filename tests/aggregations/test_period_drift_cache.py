"""The submitted-period list and the dashboard read today's counts through the count
cache: a page shown again with nothing changed costs the marker lookup only."""

from __future__ import annotations

import datetime as dt

from activities import services
from aggregations.models import SubmittedPeriod
from aggregations.selectors import periods_current_counts


def test_drift_is_counted_once_per_committed_state(org, django_assert_num_queries, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_create(
            data=services.ActivityData(org=org, activity_type="x", recorded_at=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
        )
    period = SubmittedPeriod.objects.create(
        org=org, period_start=dt.date(2025, 1, 1), period_end=dt.date(2025, 12, 31),
        submitted_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), submitted_by="x", activity_count=0,
    )  # fmt: skip
    with django_assert_num_queries(2):  # the marker, the count
        assert periods_current_counts(periods=[period]) == {period.pk: 1}
    with django_assert_num_queries(1):  # the marker: nothing committed since
        assert periods_current_counts(periods=[period]) == {period.pk: 1}
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_create(
            data=services.ActivityData(org=org, activity_type="x", recorded_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
        )
    assert periods_current_counts(periods=[period]) == {period.pk: 2}  # a new state: counted again
