"""Property: the API's counts equal a count computed here, independently of our range parser.

The oracle reads SPEC.md's rules directly: an activity is inside ``{start, end}`` when
``start <= recorded_at`` and its whole second is at most the end's whole second; a bare
date start means "its local date in Europe/Oslo is on or after that day", a bare date
end "on or before that day". Bounds are written with random UTC offsets, fractions of
up to nine digits, comma or dot, and around Oslo's DST days.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activities import services
from activities.models import Organization

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC
NS = 1_000_000_000
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
# Spring forward (23-hour day), fall back (25-hour day), an ordinary winter day.
DAYS = [dt.date(2026, 3, 29), dt.date(2026, 10, 25), dt.date(2026, 1, 15)]
OFFSETS = [0, 60, 120, -330, 840, -720]  # minutes east of UTC

MAX_EXAMPLES = int(os.environ.get("PROPERTY_MAX_EXAMPLES", "40"))


@dataclass(frozen=True)
class Bound:
    """A bound as the client writes it: a bare date, or an instant (ns since epoch) shown
    at some UTC offset with some number of fraction digits."""

    day: dt.date | None = None
    ns: int = 0
    offset_minutes: int = 0
    digits: int = 0
    comma: bool = False
    colon: bool = True

    def text(self) -> str:
        if self.day is not None:
            return self.day.isoformat()
        seconds, frac = divmod(self.ns, NS)
        wall = EPOCH + dt.timedelta(seconds=seconds, minutes=self.offset_minutes)
        out = wall.strftime("%Y-%m-%dT%H:%M:%S")
        if self.digits:
            out += ("," if self.comma else ".") + f"{frac:09d}"[: self.digits]
        if self.offset_minutes == 0 and self.colon:
            return out + "Z"
        sign = "+" if self.offset_minutes >= 0 else "-"
        hours, minutes = divmod(abs(self.offset_minutes), 60)
        return out + f"{sign}{hours:02d}{':' if self.colon else ''}{minutes:02d}"

    def written_ns(self) -> int:
        """The instant as written (fraction cut to the digits shown)."""
        seconds, frac = divmod(self.ns, NS)
        kept = 10 ** (9 - self.digits)
        return seconds * NS + frac // kept * kept


def ns_of(instant: dt.datetime) -> int:
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS + delta.microseconds * 1000


def oslo_date(ns: int) -> dt.date:
    return (EPOCH + dt.timedelta(microseconds=ns // 1000)).astimezone(OSLO).date()


def inside(ns: int, start: Bound, end: Bound) -> bool:
    after_start = oslo_date(ns) >= start.day if start.day is not None else ns >= start.written_ns()
    before_end = oslo_date(ns) <= end.day if end.day is not None else ns // NS <= end.written_ns() // NS
    return after_start and before_end


def first_ns(bound: Bound, *, as_end: bool) -> int:
    """For validity only: a date's first instant (start) or last whole second (end)."""
    if bound.day is None:
        return bound.written_ns() // NS * NS if as_end else bound.written_ns()
    if not as_end:
        return ns_of(dt.datetime.combine(bound.day, dt.time(), tzinfo=OSLO))
    # The last second whose Oslo date is the day: scan back from the next day's 03:00 UTC.
    probe = ns_of(dt.datetime.combine(bound.day + dt.timedelta(days=1), dt.time(3), tzinfo=UTC))
    while oslo_date(probe) > bound.day:
        probe -= NS
    return probe


def around(day: dt.date) -> st.SearchStrategy[int]:
    midnight = ns_of(dt.datetime.combine(day, dt.time(), tzinfo=UTC))
    seconds = st.one_of(
        st.integers(-2 * 3600, 28 * 3600),  # anywhere on the day
        st.sampled_from([-3601, -3600, -7200, -1, 0, 1, 3599, 3600, 22 * 3600 - 1, 22 * 3600, 23 * 3600 - 1]),
    )
    frac = st.sampled_from([0, 1, 999, 1000, 123_456_789, 500_000_000, 999_999_000, 999_999_999])
    return st.builds(lambda s, f: midnight + s * NS + f, seconds, frac)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[int], Bound, Bound]:
    day = draw(st.sampled_from(DAYS))
    instants = draw(st.lists(around(day), max_size=12))
    # Activities are stored at microseconds: generate them there.
    activities = [ns // 1000 * 1000 for ns in instants]

    def bound() -> Bound:
        if draw(st.booleans()):
            return Bound(day=day + dt.timedelta(days=draw(st.integers(-1, 1))))
        source = draw(st.sampled_from(["any", "activity"])) if activities else "any"
        ns = draw(st.sampled_from(activities)) if source == "activity" else draw(around(day))
        return Bound(
            ns=ns,
            offset_minutes=draw(st.sampled_from(OFFSETS)),
            digits=draw(st.sampled_from([0, 3, 6, 9])),
            comma=draw(st.booleans()),
            colon=draw(st.booleans()),
        )

    return activities, bound(), bound()


@pytest.fixture
def property_org(db):
    return Organization.objects.create(org_id="org-prop", name="Property")


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    # The organisation is made once and shared by every example; each example's rows roll back.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=cases())
def test_api_counts_equal_an_independent_count(api, property_org, case):
    activities, start, end = case
    body = {"org_id": property_org.org_id, "range": {"start": start.text(), "end": end.text()}}
    valid = first_ns(start, as_end=False) <= first_ns(end, as_end=True)
    expected = sum(inside(ns, start, end) for ns in activities)
    with transaction.atomic():
        # Through the service, as every write path: it marks the change for the count cache.
        services.activities_create(
            items=[
                services.ActivityData(
                    activity_id=f"act-p{i}",
                    org=property_org,
                    activity_type="family_guidance",
                    recorded_at=EPOCH + dt.timedelta(microseconds=ns // 1000),
                )
                for i, ns in enumerate(activities)
            ]
        )
        aggregation = api.post("/api/v1/bufdir-aggregations/", body, format="json")
        count = api.post("/api/v1/period-record-counts/", body, format="json")
        listed = api.get(
            "/api/v1/bufdir-aggregations/activities", {"org_id": property_org.org_id, **body["range"], "limit": 100}
        )
        transaction.set_rollback(True)
    if not valid:
        assert (aggregation.status_code, count.status_code, listed.status_code) == (400, 400, 400), body
        return
    assert aggregation.status_code == 201, (body, aggregation.content)
    assert aggregation.json()["activity_count"] == expected, body
    assert count.status_code == 200, (body, count.content)
    assert count.json()["record_count"] == expected, body
    assert listed.json()["pagination"]["total"] == expected, body
