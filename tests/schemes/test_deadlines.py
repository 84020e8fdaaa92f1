"""Reporting years and deadlines, the next report due per organisation and scheme, and
overdue ones highlighted on the admin home and the dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse

from aggregations.deadlines import deadlines
from aggregations.models import SubmittedPeriod
from schemes.models import GrantScheme
from schemes.periods import reporting_year, year_holding

D = dt.date


@pytest.mark.parametrize(
    ("start_month", "deadline", "year", "first", "last", "due", "label"),
    [
        (1, (1, 31), 2026, D(2026, 1, 1), D(2026, 12, 31), D(2027, 1, 31), "2026"),
        (1, (2, 15), 2026, D(2026, 1, 1), D(2026, 12, 31), D(2027, 2, 15), "2026"),
        (7, (10, 1), 2026, D(2026, 7, 1), D(2027, 6, 30), D(2027, 10, 1), "2026/27"),
        (7, (6, 30), 2026, D(2026, 7, 1), D(2027, 6, 30), D(2028, 6, 30), "2026/27"),  # due after the year ends
        (3, (2, 28), 2027, D(2027, 3, 1), D(2028, 2, 29), D(2029, 2, 28), "2027/28"),
    ],
)
def test_reporting_year_and_deadline(start_month, deadline, year, first, last, due, label):
    scheme = GrantScheme(year_start_month=start_month, deadline_month=deadline[0], deadline_day=deadline[1])
    got = reporting_year(scheme, year)
    assert (got.first_day, got.last_day, got.deadline, got.label) == (first, last, due, label)
    assert year_holding(scheme, first) == year_holding(scheme, last) == year


@pytest.fixture
def scheme(make_scheme):  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2025, 6, 1, tzinfo=dt.UTC)):
        return make_scheme()  # calendar year, due 31 January


def submit(org, first: dt.date, last: dt.date) -> SubmittedPeriod:  # type: ignore[no-untyped-def]
    return SubmittedPeriod.objects.create(
        org=org,
        period_start=first,
        period_end=last,
        submitted_at=dt.datetime(2027, 1, 20, tzinfo=dt.UTC),
        submitted_by="kari",
        activity_count=0,
    )


def test_before_the_deadline_the_ended_year_is_due(org, scheme):
    (due,) = deadlines(orgs=[org], today=D(2027, 1, 15))
    assert (due.year.year, due.year.deadline, due.overdue, due.days_left) == (2026, D(2027, 1, 31), False, 16)


def test_after_the_deadline_an_unsubmitted_year_is_overdue(org, scheme):
    (due,) = deadlines(orgs=[org], today=D(2027, 2, 3))
    assert (due.year.year, due.overdue, due.days_overdue) == (2026, True, 3)


def test_a_submitted_year_moves_on_to_the_current_one(org, other_org, scheme):
    submit(org, D(2026, 1, 1), D(2026, 12, 31))
    submit(other_org, D(2026, 1, 1), D(2026, 6, 30))  # half a year does not report the year
    found = {d.org.org_id: d for d in deadlines(orgs=[org, other_org], today=D(2027, 2, 3))}
    assert (found[org.org_id].year.year, found[org.org_id].overdue) == (2027, False)
    assert (found[other_org.org_id].year.year, found[other_org.org_id].overdue) == (2026, True)


def test_a_year_due_before_the_scheme_existed_is_not_owed(org, scheme):
    (due,) = deadlines(orgs=[org], today=D(2025, 9, 1))  # 2024 was due 31 January 2025
    assert (due.year.year, due.overdue) == (2025, False)


def test_overdue_first_then_by_deadline(org, other_org, make_scheme, scheme):
    with time_machine.travel(dt.datetime(2025, 6, 1, tzinfo=dt.UTC)):
        make_scheme("autumn", name="Høst", year_start_month=7, deadline_month=10, deadline_day=1)
    submit(org, D(2026, 1, 1), D(2026, 12, 31))
    found = deadlines(orgs=[org, other_org], today=D(2027, 2, 3))
    assert [(d.org.org_id, d.scheme.code, d.year.label, d.overdue) for d in found] == [
        ("org-bufdir-42", "autumn", "2025/26", True),  # due 2026-10-01
        ("org-bufdir-7", "autumn", "2025/26", True),
        ("org-bufdir-7", "peer-support", "2026", True),  # due 2027-01-31
        ("org-bufdir-42", "peer-support", "2027", False),
    ]


@pytest.fixture
def overdue(org, other_org, scheme):  # type: ignore[no-untyped-def]
    submit(other_org, D(2026, 1, 1), D(2026, 12, 31))


def page_on(day: dt.datetime, client, url: str) -> str:  # type: ignore[no-untyped-def]
    """The page as it reads on ``day`` (logged in again then: a session expires)."""
    with time_machine.travel(day):
        client.force_login(get_user_model().objects.get(username="kari"))
        response = client.get(url)
        assert response.status_code == 200
        return response.content.decode()


FEBRUARY = dt.datetime(2027, 2, 3, 12, tzinfo=dt.UTC)


def test_the_admin_home_highlights_overdue_reports(db, overdue, coordinator_client, client_for):
    page = page_on(FEBRUARY, coordinator_client, reverse("admin:index"))
    assert 'class="deadline overdue" data-org="org-bufdir-42" data-scheme="peer-support"' in page
    assert "org-bufdir-7" not in page  # not the coordinator's organisation
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw-not-used")
    with time_machine.travel(FEBRUARY):
        page = client_for(root).get(reverse("admin:index")).content.decode()
    assert 'class="deadline overdue" data-org="org-bufdir-42"' in page
    assert 'class="deadline" data-org="org-bufdir-7"' in page


def test_the_dashboard_highlights_overdue_reports(db, overdue, coordinator_client):
    page = page_on(FEBRUARY, coordinator_client, reverse("dashboard"))
    assert 'class="deadline overdue" data-org="org-bufdir-42" data-scheme="peer-support"' in page
    assert "errornote" in page


def test_nothing_is_highlighted_before_the_deadline(db, overdue, coordinator_client):
    page = page_on(dt.datetime(2027, 1, 15, 12, tzinfo=dt.UTC), coordinator_client, reverse("admin:index"))
    assert 'class="deadline" data-org="org-bufdir-42"' in page
    assert "deadline overdue" not in page
