"""The admin report page: choices, table, chart, downloads and coordinator scoping."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings

from reports.admin_views import preset_dates

PAGE = "/admin/reports/{}/"


@pytest.fixture
def coordinator_client(coordinator_client):  # type: ignore[no-untyped-def]
    """The coordinator, reading the admin in English (it defaults to Norwegian)."""
    coordinator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return coordinator_client


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with time_machine.travel(dt.datetime(2026, 5, 10, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("this_year", dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ("last_year", dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        ("this_quarter", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        ("last_quarter", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ],
)
def test_presets(preset, first, last):
    assert preset_dates(preset, dt.date(2026, 5, 10)) == (first, last)


def test_last_quarter_in_january_is_last_years_fourth():
    assert preset_dates("last_quarter", dt.date(2026, 1, 5)) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))


def test_the_page_shows_this_grant_year_by_month(coordinator_client, org, make_activity):
    make_activity(org, "2026-02-10T12:00:00Z", participant_count=3)
    response = coordinator_client.get(PAGE.format(org.org_id))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and html.count('class="bar"') >= 12
    assert 'data-period="2026-02" data-count="1"' in html
    assert "2026-12" in html and "Europe/Oslo" in html
    assert "download=csv" in html and "download=xlsx" in html


def test_the_page_and_the_api_give_the_same_csv(coordinator_client, api, org, make_activity):
    make_activity(org, "2026-04-10T12:00:00Z", activity_type="peer_support")
    make_activity(org, "2025-04-11T12:00:00Z")
    query = "preset=this_quarter&interval=week&group_1=activity_type&group_2=status&compare=previous_year"
    page = coordinator_client.get(f"{PAGE.format(org.org_id)}?{query}&download=csv")
    assert page.status_code == 200
    assert page["Content-Disposition"].endswith('-2026-04-01-to-2026-06-30-week.csv"')
    from_api = api.get(
        "/api/v1/reports/series",
        {
            "org_id": org.org_id,
            "start": "2026-04-01",
            "end": "2026-06-30",
            "interval": "week",
            "group_by": "activity_type,status",
            "compare": "previous_year",
            "format": "csv",
        },
    )
    assert page.content == from_api.content
    xlsx = coordinator_client.get(f"{PAGE.format(org.org_id)}?{query}&download=xlsx")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_table_has_groups_comparison_and_totals(coordinator_client, org, make_activity):
    make_activity(org, "2026-01-10T12:00:00Z", activity_type="peer_support", participant_count=2)
    make_activity(org, "2025-01-10T12:00:00Z", activity_type="family_guidance")
    response = coordinator_client.get(
        PAGE.format(org.org_id),
        {
            "preset": "custom",
            "start": "2026-01-01",
            "end": "2026-02-28",
            "interval": "month",
            "group_1": "activity_type",
            "compare": "previous_year",
        },
    )
    html = response.content.decode()
    assert '<th class="number">family_guidance</th>' in html and '<th class="number">peer_support</th>' in html
    total = re.search(r'<tr class="total">(.*?)</tr>', html, re.S)
    assert total is not None
    assert [int(n) for n in re.findall(r'class="number">(\d+)<', total.group(1))] == [0, 1, 1, 2, 1]
    assert "Comparison" in html


def test_a_comparison_bucket_without_activities_shows_0(coordinator_client, org, make_activity):
    make_activity(org, "2026-02-10T12:00:00Z")
    make_activity(org, "2025-01-10T12:00:00Z")  # last January only: last February is 0
    response = coordinator_client.get(
        PAGE.format(org.org_id),
        {"preset": "custom", "start": "2026-01-01", "end": "2026-02-28", "interval": "month",
         "compare": "previous_year"},
    )  # fmt: skip
    html = response.content.decode()
    february = re.search(r"<tr>\s*<td>2026-02</td>(.*?)</tr>", html, re.S)
    assert february is not None
    assert "<td>2025-02</td>" in february.group(1)
    assert re.findall(r'class="number">(\d*)<', february.group(1)) == ["1", "0", "0"]


def test_a_grouped_page_stacks_the_bars_and_names_statuses_as_the_admin_does(coordinator_client, org, make_activity):
    make_activity(org, "2026-01-10T12:00:00Z", status="planned")
    make_activity(org, "2026-01-11T12:00:00Z")
    html = coordinator_client.get(
        PAGE.format(org.org_id),
        {"preset": "custom", "start": "2026-01-01", "end": "2026-01-31", "interval": "month", "group_1": "status"},
    ).content.decode()
    assert '<th class="number">Completed</th>' in html and '<th class="number">Planned</th>' in html
    assert 'data-group="Completed" data-count="1"' in html and 'data-group="Planned" data-count="1"' in html
    assert 'class="bar stacked"' in html and ">Status:</text>" in html


def test_bad_choices_are_shown_on_the_form(coordinator_client, org):
    response = coordinator_client.get(
        PAGE.format(org.org_id),
        {"preset": "custom", "start": "2020-01-01", "end": "2026-01-01", "interval": "day"},
    )
    assert response.status_code == 200
    assert "2193 buckets" in response.content.decode()
    missing = coordinator_client.get(PAGE.format(org.org_id), {"preset": "custom", "interval": "month"})
    assert missing.status_code == 200 and "errornote" in missing.content.decode()


def test_a_coordinator_cannot_open_another_organisations_report(coordinator_client, org, other_org):
    assert coordinator_client.get(PAGE.format(other_org.org_id)).status_code == 404
    assert coordinator_client.get(PAGE.format(other_org.org_id) + "?download=csv").status_code == 404
    index = coordinator_client.get("/admin/reports/").content.decode()
    assert org.org_id in index and other_org.org_id not in index


def test_superusers_open_every_report_and_reach_it_from_home_and_the_organisation(admin_client, org, other_org):
    assert admin_client.get(PAGE.format(other_org.org_id)).status_code == 200
    assert "/admin/reports/" in admin_client.get("/admin/").content.decode()
    organisations = admin_client.get("/admin/activities/organization/").content.decode()
    assert PAGE.format(org.org_id) in organisations


def test_the_page_needs_a_staff_login(client, org):
    response = client.get(PAGE.format(org.org_id))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
