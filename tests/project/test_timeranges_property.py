"""Property: the range parser puts every bound where the written text says, on any offset,
fraction and DST day (oracle and strategies in tests/aggregations/test_counting_property.py)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.timeranges import parse_bound
from tests.aggregations.test_counting_property import DAYS, NS, OFFSETS, Bound, around, ns_of, oslo_date

datetime_bounds = st.builds(
    Bound,
    ns=st.sampled_from(DAYS).flatmap(around),
    offset_minutes=st.sampled_from(OFFSETS),
    digits=st.sampled_from([0, 1, 3, 6, 7, 9]),
    comma=st.booleans(),
    colon=st.booleans(),
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(bound=datetime_bounds)
def test_a_start_is_the_written_instant_rounded_up_to_the_microsecond(bound):
    written = bound.written_ns()
    parsed = ns_of(parse_bound(bound.text(), bound="start"))
    assert parsed - written in range(0, 1000)
    assert parsed % 1000 == 0


@settings(max_examples=200, deadline=None, derandomize=True)
@given(bound=datetime_bounds)
def test_an_end_is_the_written_instant_to_the_microsecond(bound):
    # The range cuts it to its second later; the parser itself only drops digits.
    assert ns_of(parse_bound(bound.text(), bound="end")) == bound.written_ns() // 1000 * 1000


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    day=st.sampled_from(DAYS).flatmap(lambda d: st.integers(-400, 400).map(lambda n: d.fromordinal(d.toordinal() + n)))
)
def test_a_bare_date_covers_exactly_its_oslo_day(day):
    start = ns_of(parse_bound(day.isoformat(), bound="start"))
    end = ns_of(parse_bound(day.isoformat(), bound="end"))
    assert oslo_date(start) == day and oslo_date(start - 1) < day
    assert oslo_date(end) == day and oslo_date(end + NS) > day
    assert (end + NS - start) // NS in (23 * 3600, 24 * 3600, 25 * 3600)
