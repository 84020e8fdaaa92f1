"""Properties of GET /api/v1/reports/series over random activities around Oslo midnights,
the DST switches (2026-03-29, 2026-10-25), year ends and a leap day.

For every interval: the buckets add up to the total, which equals the contract count
(POST /api/v1/period-record-counts) of the same range and an independent count made here;
every bucket starts at Oslo local midnight of its unit (the first may be clipped to the
range start); buckets are contiguous; day buckets add up to month buckets; grouped totals
add up to the ungrouped one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities import services
from activities.models import Organization
from tests.reports.conftest import SERIES

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC
DAYS = [dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2025, 12, 31), dt.date(2026, 12, 31), dt.date(2028, 2, 29)]
INTERVALS = ["day", "week", "month", "quarter", "year", "none"]
MAX_EXAMPLES = int(os.environ.get("PROPERTY_MAX_EXAMPLES", "25"))


def z(instant: dt.datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_z(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def around(day: dt.date) -> st.SearchStrategy[dt.datetime]:
    """Instants near that day's Oslo midnight (both sides), the DST hours and anywhere on it."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=OSLO).astimezone(UTC)
    seconds = st.one_of(
        st.integers(-3 * 3600, 27 * 3600),
        st.sampled_from([-3601, -3600, -1, 0, 1, 3600, 7199, 7200, 23 * 3600 - 1, 23 * 3600, 24 * 3600 - 1]),
    )
    micros = st.sampled_from([0, 1, 500_000, 999_999])
    return st.builds(lambda s, us: midnight + dt.timedelta(seconds=s, microseconds=us), seconds, micros)


activity = st.fixed_dictionaries(
    {
        "day": st.sampled_from(DAYS),
        "activity_type": st.sampled_from(["family_guidance", "peer_support", "group_session"]),
        "status": st.sampled_from(["planned", "completed", "cancelled"]),
        "location": st.sampled_from(["", "Oslo", "Bergen"]),
        "participant_count": st.integers(0, 9),
    }
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[dict], str, str]:
    specs = draw(st.lists(activity, max_size=14))
    items = [{**{k: v for k, v in s.items() if k != "day"}, "recorded_at": draw(around(s["day"]))} for s in specs]

    def bound() -> str:
        day = draw(st.sampled_from(DAYS)) + dt.timedelta(days=draw(st.integers(-2, 2)))
        if draw(st.booleans()):
            return day.isoformat()
        return z(draw(around(day)))

    first, second = bound(), bound()
    # Bare dates compare as their day's first (start) or last (end) instant: order by that.
    key = lambda b: dt.date.fromisoformat(b) if len(b) == 10 else parse_z(b).astimezone(OSLO).date()  # noqa: E731
    start, end = sorted([first, second], key=key)
    if key(start) == key(end) and len(start) > 10 and len(end) > 10 and parse_z(start) > parse_z(end):
        start, end = end, start
    return items, start, end


@pytest.fixture
def property_org(db):  # type: ignore[no-untyped-def]
    return Organization.objects.create(org_id="org-prop", name="Property")


def starts_its_unit(day: dt.date, interval: str) -> bool:
    """Whether ``day`` is the first day of its local calendar unit, said independently of
    the code under test (which computes unit starts its own way)."""
    return {
        "day": True,
        "week": day.isoweekday() == 1,  # ISO weeks start on Monday
        "month": day.day == 1,
        "quarter": day.day == 1 and day.month in (1, 4, 7, 10),
        "year": (day.month, day.day) == (1, 1),
    }[interval]


def flat(groups: dict) -> int:  # type: ignore[type-arg]
    return sum(flat(v) if isinstance(v, dict) else v for v in groups.values())


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_buckets_add_up_and_match_the_contract_count(api, property_org, case):
    items, start, end = case
    with transaction.atomic():
        services.activities_create(
            items=[
                services.ActivityData(activity_id=f"act-r{i}", org=property_org, **item) for i, item in enumerate(items)
            ]
        )
        count = api.post(
            "/api/v1/period-record-counts/",
            {"org_id": property_org.org_id, "range": {"start": start, "end": end}},
            format="json",
        )
        reports = {
            interval: api.get(SERIES, {"org_id": property_org.org_id, "start": start, "end": end, "interval": interval})
            for interval in INTERVALS
        }
        grouped = {
            dims: api.get(SERIES, {"org_id": property_org.org_id, "start": start, "end": end, "group_by": dims})
            for dims in ("activity_type", "status,location")
        }
        transaction.set_rollback(True)
    if count.status_code == 400:  # e.g. a start after the end within one day
        assert all(r.status_code == 400 for r in reports.values())
        return
    assert count.status_code == 200, count.content
    bodies = {interval: r.json() for interval, r in reports.items()}
    range_start, range_end = parse_z(bodies["none"]["range"]["start"]), parse_z(bodies["none"]["range"]["end"])
    inside = [
        i for i in items if range_start <= i["recorded_at"] < range_end.replace(microsecond=0) + dt.timedelta(seconds=1)
    ]
    expected = len(inside)
    assert count.json()["record_count"] == expected

    for interval, body in bodies.items():
        buckets = body["buckets"]
        assert body["total"]["activity_count"] == expected, interval
        assert body["total"]["participant_total"] == sum(i["participant_count"] for i in inside), interval
        assert sum(b["activity_count"] for b in buckets) == expected, interval
        assert sum(b["participant_total"] for b in buckets) == body["total"]["participant_total"], interval
        # Contiguous, in order, from the range start to the range end.
        assert parse_z(buckets[0]["start"]) == range_start and parse_z(buckets[-1]["end"]) == range_end, interval
        for before, after in itertools.pairwise(buckets):
            assert parse_z(after["start"]) == parse_z(before["end"]) + dt.timedelta(seconds=1), interval
        if interval == "none":
            continue
        for position, b in enumerate(buckets):
            local = parse_z(b["start"]).astimezone(OSLO)
            if position == 0 and b["partial"]:
                continue
            assert local.time() == dt.time(0), (interval, b)  # Oslo local midnight...
            assert starts_its_unit(local.date(), interval), (interval, b)  # ...of its unit's first day
            assert not (0 < position < len(buckets) - 1 and b["partial"]), (interval, b)

    # Day buckets add up to month buckets (and to an independent per-day count).
    by_month: Counter[str] = Counter()
    for b in bodies["day"]["buckets"]:
        by_month[b["period"][:7]] += b["activity_count"]
    assert {b["period"]: b["activity_count"] for b in bodies["month"]["buckets"]} == {
        month: by_month[month] for month in by_month
    }
    per_day = Counter(i["recorded_at"].astimezone(OSLO).date().isoformat() for i in inside)
    assert {b["period"]: b["activity_count"] for b in bodies["day"]["buckets"] if b["activity_count"]} == dict(per_day)

    # Grouped totals add up to the ungrouped one, bucket by bucket.
    for dims, response in grouped.items():
        body = response.json()
        assert flat(body["total"]["groups"]) == expected, dims
        for b, plain in zip(body["buckets"], bodies["month"]["buckets"], strict=True):
            assert flat(b["groups"]) == b["activity_count"] == plain["activity_count"], dims
        keys = {tuple(b["groups"]) for b in body["buckets"]}
        assert len(keys) <= 1, dims  # every value in every bucket
