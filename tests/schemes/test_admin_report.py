"""The admin's scheme report page: the API's numbers and files, own organisations only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.schemes.conftest import SCHEME


@pytest.fixture
def judged(org, other_org, make_scheme, act):  # type: ignore[no-untyped-def]
    make_scheme(min_participants=3)
    act(org, "2026-02-01T10:00:00Z", participant_count=4)
    act(org, "2026-02-02T10:00:00Z", participant_count=1)
    act(org, "2026-02-03T10:00:00Z", participant_count=5, status="planned")


def url(org) -> str:  # type: ignore[no-untyped-def]
    return reverse("org-scheme-report", args=[org.org_id])


def test_the_page_shows_the_apis_numbers(api, org, judged, coordinator_client):
    page = coordinator_client.get(url(org), {"scheme": "peer-support", "year": "2026"}).content.decode()
    body = api.get(SCHEME, {"org_id": org.org_id, "scheme": "peer-support", "year": "2026"}).json()
    assert f'<tr class="total" data-counted><td>Talt</td><td class="number">{body["counted"]["activity_count"]}' in page
    assert '<tr data-reason="participants"><td>&nbsp;&nbsp;For få deltakere <small>(participants)</small></td>' in page
    assert 'data-reason="status"' in page


def test_a_page_view_reads_the_numbers_only_and_a_download_every_verdict(org, judged, coordinator_client):
    params = {"scheme": "peer-support", "year": "2026"}
    page = coordinator_client.get(url(org), params)
    assert page.context["report"].verdicts is None  # one grouped statement, no activity listed
    assert page.context["report"].summary.activity_count == 1
    listed = coordinator_client.get(url(org), {**params, "download": "csv"})
    assert listed.content.decode().count("\r\n") == 1 + 3  # the header and every activity


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_downloads_are_the_apis_files(api, org, judged, coordinator_client, fmt):
    params = {"scheme": "peer-support", "year": "2026"}
    mine = coordinator_client.get(url(org), {**params, "download": fmt})
    theirs = api.get(SCHEME, {"org_id": org.org_id, **params, "format": fmt})
    assert mine["Content-Disposition"] == theirs["Content-Disposition"]
    if fmt == "csv":
        assert mine.content == theirs.content


def test_without_choices_it_shows_the_last_ended_year(org, judged, coordinator_client):
    response = coordinator_client.get(url(org))
    assert response.status_code == 200
    assert response.context["report"].year.year == response.context["form"].cleaned_data["year"]
    assert "data-counted" in response.content.decode()


def test_another_organisations_page_is_a_404(other_org, judged, coordinator_client):
    assert coordinator_client.get(url(other_org), {"scheme": "peer-support", "year": "2026"}).status_code == 404


def test_bad_choices_are_form_errors(org, judged, coordinator_client):
    response = coordinator_client.get(url(org), {"scheme": "nope", "year": "twenty"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"scheme", "year"}
