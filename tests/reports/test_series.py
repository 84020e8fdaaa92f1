"""GET /api/v1/reports/series: buckets, zero-filling, partial edges, labels, grouping."""

from __future__ import annotations

import pytest

UTC_Z = "Z"


def test_month_buckets_of_a_year_are_local_months(series, org, make_activity):
    make_activity(org, "2025-12-31T23:30:00Z", participant_count=3)  # 00:30 on 1 January in Oslo
    make_activity(org, "2026-03-31T21:59:59Z")  # 23:59:59 on 31 March (summer time)
    body = series(org_id=org.org_id, start="2026-01-01", end="2026-12-31")
    assert body["interval"] == "month"
    assert body["time_zone"] == "Europe/Oslo"
    assert body["range"] == {"start": "2025-12-31T23:00:00Z", "end": "2026-12-31T22:59:59Z"}
    assert [b["period"] for b in body["buckets"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert body["buckets"][0] == {
        "period": "2026-01",
        "start": "2025-12-31T23:00:00Z",
        "end": "2026-01-31T22:59:59Z",
        "partial": False,
        "activity_count": 1,
        "participant_total": 3,
    }
    assert body["buckets"][2]["activity_count"] == 1
    assert body["buckets"][3]["start"] == "2026-03-31T22:00:00Z"  # April starts in summer time
    assert body["total"] == {"activity_count": 2, "participant_total": 3}
    assert "groups" not in body["buckets"][0]
    assert "comparison" not in body


def test_a_range_without_activities_is_all_zero_buckets(series, org):
    body = series(org_id=org.org_id, start="2026-01-01", end="2026-01-07", interval="day")
    assert len(body["buckets"]) == 7
    assert all(b["activity_count"] == 0 and b["participant_total"] == 0 for b in body["buckets"])
    assert body["total"] == {"activity_count": 0, "participant_total": 0}


def test_edge_buckets_are_clipped_and_marked_partial(series, org, make_activity):
    make_activity(org, "2026-01-10T12:00:00Z")
    make_activity(org, "2026-01-20T12:00:00Z")  # outside
    body = series(org_id=org.org_id, start="2026-01-10T10:00:00Z", end="2026-03-15", interval="month")
    first, middle, last = body["buckets"]
    assert (first["start"], first["end"], first["partial"]) == ("2026-01-10T10:00:00Z", "2026-01-31T22:59:59Z", True)
    assert middle["partial"] is False
    assert (last["start"], last["end"], last["partial"]) == ("2026-02-28T23:00:00Z", "2026-03-15T22:59:59Z", True)
    assert first["activity_count"] == 2


@pytest.mark.parametrize(
    ("interval", "start", "end", "labels"),
    [
        ("day", "2026-03-28", "2026-03-30", ["2026-03-28", "2026-03-29", "2026-03-30"]),
        ("week", "2026-01-01", "2026-01-12", ["2026-W01", "2026-W02", "2026-W03"]),
        ("week", "2026-12-28", "2027-01-04", ["2026-W53", "2027-W01"]),
        ("quarter", "2026-02-01", "2026-10-01", ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]),
        ("year", "2025-06-01", "2027-01-01", ["2025", "2026", "2027"]),
        ("none", "2026-01-01", "2026-12-31", ["all"]),
    ],
)
def test_period_labels(series, org, interval, start, end, labels):
    body = series(org_id=org.org_id, start=start, end=end, interval=interval)
    assert [b["period"] for b in body["buckets"]] == labels


def test_dst_days_are_23_and_25_hours(series, org):
    spring = series(org_id=org.org_id, start="2026-03-29", end="2026-03-29", interval="day")["buckets"]
    assert (spring[0]["start"], spring[0]["end"]) == ("2026-03-28T23:00:00Z", "2026-03-29T21:59:59Z")
    autumn = series(org_id=org.org_id, start="2026-10-25", end="2026-10-25", interval="day")["buckets"]
    assert (autumn[0]["start"], autumn[0]["end"]) == ("2026-10-24T22:00:00Z", "2026-10-25T22:59:59Z")


def test_weeks_start_on_monday_in_oslo(series, org, make_activity):
    make_activity(org, "2026-01-04T23:30:00Z")  # Monday 5 January 00:30 in Oslo: week 2
    body = series(org_id=org.org_id, start="2026-01-01", end="2026-01-11", interval="week")
    first, second = body["buckets"]
    assert first["start"] == "2025-12-31T23:00:00Z" and first["partial"] is True  # week 1 began on 29 December
    assert second == {**second, "period": "2026-W02", "start": "2026-01-04T23:00:00Z", "activity_count": 1}


def test_group_values_seen_anywhere_appear_in_every_bucket(series, org, make_activity):
    make_activity(org, "2026-01-10T12:00:00Z", activity_type="family_guidance", status="completed")
    make_activity(org, "2026-02-10T12:00:00Z", activity_type="peer_support", status="planned")
    body = series(org_id=org.org_id, start="2026-01-01", end="2026-03-31", group_by="activity_type")
    assert body["group_by"] == ["activity_type"]
    assert [b["groups"] for b in body["buckets"]] == [
        {"family_guidance": 1, "peer_support": 0},
        {"family_guidance": 0, "peer_support": 1},
        {"family_guidance": 0, "peer_support": 0},
    ]
    assert body["total"]["groups"] == {"family_guidance": 1, "peer_support": 1}


def test_two_dimensions_nest_the_second_in_the_first(series, org, make_activity):
    make_activity(org, "2026-01-10T12:00:00Z", activity_type="family_guidance", status="completed")
    make_activity(org, "2026-01-11T12:00:00Z", activity_type="peer_support", status="planned")
    body = series(org_id=org.org_id, start="2026-01-01", end="2026-01-31", group_by="activity_type,status")
    assert body["group_by"] == ["activity_type", "status"]
    assert body["buckets"][0]["groups"] == {
        "family_guidance": {"completed": 1, "planned": 0},
        "peer_support": {"completed": 0, "planned": 1},
    }


def test_other_organisations_activities_are_not_counted(series, org, other_org, make_activity):
    make_activity(other_org, "2026-01-10T12:00:00Z")
    assert series(org_id=org.org_id, start="2026-01-01", end="2026-01-31")["total"]["activity_count"] == 0


def test_previous_period_is_the_equal_length_before_start(series, org, make_activity):
    make_activity(org, "2025-12-15T12:00:00Z")
    body = series(org_id=org.org_id, start="2026-01-01", end="2026-01-31", compare="previous_period")
    comparison = body["comparison"]
    assert body["compare"] == "previous_period"
    assert comparison["range"] == {"start": "2025-11-30T23:00:00Z", "end": "2025-12-31T22:59:59Z"}  # 31 days
    assert comparison["total"] == {"activity_count": 1, "participant_total": 0}
    assert "comparison" not in comparison


def test_previous_year_of_a_range_starting_29_february(series, org, make_activity):
    make_activity(org, "2027-02-28T12:00:00Z")
    body = series(org_id=org.org_id, start="2028-02-29", end="2028-03-31", compare="previous_year")
    assert body["comparison"]["range"] == {"start": "2027-02-27T23:00:00Z", "end": "2027-03-31T21:59:59Z"}
    assert [b["period"] for b in body["comparison"]["buckets"]] == ["2027-02", "2027-03"]
    assert body["comparison"]["buckets"][0]["partial"] is True
    assert body["comparison"]["total"]["activity_count"] == 1


def test_comparison_groups_line_up_with_the_reports(series, org, make_activity):
    make_activity(org, "2025-01-10T12:00:00Z", activity_type="peer_support")
    make_activity(org, "2026-01-10T12:00:00Z", activity_type="family_guidance")
    body = series(
        org_id=org.org_id, start="2026-01-01", end="2026-01-31", group_by="activity_type", compare="previous_year"
    )
    assert body["total"]["groups"] == {"family_guidance": 1, "peer_support": 0}
    assert body["comparison"]["total"]["groups"] == {"family_guidance": 0, "peer_support": 1}


def test_a_slash_after_series_answers_the_same(api, org):
    response = api.get("/api/v1/reports/series/", {"org_id": org.org_id, "start": "2026-01-01", "end": "2026-01-31"})
    assert response.status_code == 200


def test_one_counting_query_per_series(api, org, make_activity, django_assert_num_queries):
    make_activity(org, "2026-01-10T12:00:00Z")
    params = {"org_id": org.org_id, "start": "2026-01-01", "end": "2026-12-31", "group_by": "activity_type,status"}
    with django_assert_num_queries(2):  # the organisation, the buckets
        assert api.get("/api/v1/reports/series", params).status_code == 200
    with django_assert_num_queries(3):  # and the comparison's buckets
        assert api.get("/api/v1/reports/series", {**params, "compare": "previous_year"}).status_code == 200
