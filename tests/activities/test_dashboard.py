"""The coordinators' dashboard: monthly chart, current period, last submitted period."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from aggregations.dashboard import current_period, monthly_counts
from aggregations.models import SubmittedPeriod

UTC = dt.UTC


@time_machine.travel(dt.datetime(2026, 11, 22, 12, tzinfo=UTC), tick=False)
def test_monthly_counts_use_local_months(org, make_activity):
    # 2026-10-31 23:30Z is 00:30 on 1 November in Oslo: a November activity.
    make_activity(org, "2026-10-31T23:30:00Z")
    make_activity(org, "2026-10-31T22:30:00Z")  # 23:30 on 31 October in Oslo
    make_activity(org, "2024-12-01T00:00:00Z")  # 01:00 on 1 Dec 2024: the first month shown
    make_activity(org, "2024-11-30T22:30:00Z")  # 23:30 on 30 Nov 2024: before the 24 months
    counts = dict(monthly_counts(org=org, today=dt.date(2026, 11, 22)))
    assert next(iter(counts)) == dt.date(2024, 12, 1)
    assert list(counts)[-1] == dt.date(2026, 11, 1)
    assert len(counts) == 24
    assert counts[dt.date(2026, 11, 1)] == 1
    assert counts[dt.date(2026, 10, 1)] == 1
    assert counts[dt.date(2024, 12, 1)] == 1
    assert sum(counts.values()) == 3


def test_current_period_starts_after_the_last_submitted_one(org):
    today = dt.date(2026, 11, 22)
    assert current_period(org=org, today=today)[:2] == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    SubmittedPeriod.objects.create(
        org=org,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 6, 30),
        submitted_at=dt.datetime(2026, 7, 2, tzinfo=UTC),
        submitted_by="kari",
        activity_count=5,
    )
    start, end, last = current_period(org=org, today=today)
    assert (start, end) == (dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    assert last is not None and last.activity_count == 5


@time_machine.travel(dt.datetime(2026, 11, 22, 12, tzinfo=UTC), tick=False)
def test_dashboard_draws_a_bar_per_month_and_the_current_count(admin_user, client_for, org, make_activity):
    make_activity(org, "2026-11-02T10:00:00Z")
    make_activity(org, "2026-11-03T10:00:00Z")
    response = client_for(admin_user).get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="bar"') == 24
    assert 'data-period="2026-11" data-count="2"' in html
    assert ">2</text>" in html  # the value over November's bar, readable without hovering
    # Axis titles, a legend, and every month by its short Norwegian name (the admin's
    # language), with the year under the first month and under January.
    assert ">Aktiviteter</text>" in html and ">Måned</text>" in html and 'data-kind="series"' in html
    assert html.count('class="x-label"') == 24 and ">des</text>" in html and ">nov</text>" in html
    assert html.count('class="x-year"') == 3 and ">2024</text>" in html and ">2026</text>" in html
    assert ">2</span>" in html  # the current period's count, before the stream takes over
    assert "/api/v1/period-record-counts/stream?org_id=org-bufdir-42" in html
    assert "http://" not in html.replace("http://www.w3.org", "")  # no CDN or external asset


def test_dashboard_shows_only_the_coordinators_organisations(client_for, org, other_org):
    user = get_user_model().objects.create_user("kari", password="pw-unused", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_activity"))
    org.coordinators.add(user)
    html = client_for(user).get(reverse("dashboard")).content.decode()
    assert org.org_id in html
    assert other_org.org_id not in html


def test_dashboard_needs_a_staff_login(db):
    response = Client(SERVER_NAME="localhost").get(reverse("dashboard"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_index_links_the_dashboard(admin_user, client_for):
    assert reverse("dashboard") in client_for(admin_user).get(reverse("admin:index")).content.decode()
