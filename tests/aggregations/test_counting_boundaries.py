"""A snapshot's count is right at every boundary of SPEC.md's Time section."""

from __future__ import annotations

import pytest

from tests.aggregations.conftest import URL


def count(api, org, start, end):
    response = api.post(URL, {"org_id": org.org_id, "range": {"start": start, "end": end}}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["activity_count"]


def test_start_instant_is_included(api, org, make_activity):
    make_activity(org, "2026-01-01T00:00:00Z")
    make_activity(org, "2025-12-31T23:59:59.999999Z")
    assert count(api, org, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z") == 1


def test_last_second_with_a_fraction_is_included_next_second_is_not(api, org, make_activity):
    make_activity(org, "2026-03-31T23:59:59.5Z")
    make_activity(org, "2026-04-01T00:00:00Z")
    assert count(api, org, "2026-03-01T00:00:00Z", "2026-03-31T23:59:59Z") == 1
    assert count(api, org, "2026-03-01T00:00:00Z", "2026-03-31T23:59:59.2Z") == 1


def test_offsets_are_the_same_instant(api, org, make_activity):
    make_activity(org, "2026-01-31T23:30:00Z")
    assert count(api, org, "2026-02-01T00:00:00+01:00", "2026-02-01T00:59:59+01:00") == 1


@pytest.mark.parametrize(
    ("day", "inside", "outside"),
    [
        # Spring forward (23 h): Oslo day = 2026-03-28T23:00Z .. 2026-03-29T21:59:59Z
        (
            "2026-03-29",
            ["2026-03-28T23:00:00Z", "2026-03-29T21:59:59.9Z"],
            ["2026-03-28T22:59:59Z", "2026-03-29T22:00:00Z"],
        ),
        # Fall back (25 h): Oslo day = 2026-10-24T22:00Z .. 2026-10-25T22:59:59Z
        (
            "2026-10-25",
            ["2026-10-24T22:00:00Z", "2026-10-25T22:59:59.9Z"],
            ["2026-10-24T21:59:59Z", "2026-10-25T23:00:00Z"],
        ),
    ],
)
def test_bare_dates_on_dst_days(api, org, make_activity, day, inside, outside):
    for instant in inside + outside:
        make_activity(org, instant)
    assert count(api, org, day, day) == len(inside)


def test_counts_every_status_and_only_this_organisation(api, org, other_org, make_activity):
    for status in ("planned", "completed", "cancelled"):
        make_activity(org, "2026-05-05T12:00:00Z", status=status)
    make_activity(other_org, "2026-05-05T12:00:00Z")
    assert count(api, org, "2026-05-05", "2026-05-05") == 3
