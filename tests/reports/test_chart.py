"""The report chart (reports.chart): ticks, stacked bars, legend, axis titles and x labels,
as the report page and the dashboard draw it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from lib.timeranges import local_dates_range
from reports.chart import COMPARISON_COLOUR, MAX_LABELS, PALETTE, report_chart
from reports.series import report_series


def chart_of(org, first, last, **options):  # type: ignore[no-untyped-def]
    report = report_series(org=org, time_range=local_dates_range(first, last), **options)
    return report_chart(report)


def current(chart):  # type: ignore[no-untyped-def]
    return [b for b in chart.bars if not b.comparison]


@pytest.fixture(autouse=True)
def english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


def test_the_chart_has_round_ticks_and_bars_in_proportion(org, make_activity):
    for day in range(1, 20):
        make_activity(org, f"2026-01-{day:02d}T12:00:00Z")
    make_activity(org, "2026-02-02T12:00:00Z")
    chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert [t.value for t in chart.ticks] == [0, 5, 10, 15, 20]
    january, february, march = chart.bars
    assert (january.count, february.count, march.count) == (19, 1, 0)
    assert january.height == pytest.approx(february.height * 19, abs=0.2)
    assert march.height == 0 and january.y + january.height == chart.bottom_y
    assert all(not bar.segments for bar in chart.bars)  # not grouped: not stacked


@pytest.fixture
def grouped(org, make_activity):  # type: ignore[no-untyped-def]
    for when, kind, status in [
        ("2026-01-05T12:00:00Z", "family_guidance", "completed"),
        ("2026-01-06T12:00:00Z", "family_guidance", "planned"),
        ("2026-01-07T12:00:00Z", "peer_support", "completed"),
        ("2026-02-07T12:00:00Z", "peer_support", "cancelled"),
        ("2026-03-09T12:00:00Z", "group_session", "completed"),
        ("2025-01-09T12:00:00Z", "parent_course", "completed"),  # the comparison's only
    ]:
        make_activity(org, when, activity_type=kind, status=status)


@pytest.mark.parametrize("group_by", [("activity_type",), ("activity_type", "status")])
def test_grouped_bars_are_stacked_by_the_first_grouping_and_add_up_to_the_bucket(org, grouped, group_by):
    chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31), group_by=group_by)
    january, february, march = current(chart)
    assert [(s.label, s.count) for s in january.segments] == [
        ("family_guidance", 2),
        ("group_session", 0),
        ("peer_support", 1),
    ]
    for bar in (january, february, march):
        assert sum(s.count for s in bar.segments) == bar.count
        assert sum(s.height for s in bar.segments) == pytest.approx(bar.height, abs=0.05)
        assert bar.segments[0].y + bar.segments[0].height == pytest.approx(chart.bottom_y)
        assert bar.segments[-1].y == pytest.approx(bar.y)
        for lower, upper in zip(bar.segments, bar.segments[1:], strict=False):
            assert upper.y + upper.height == pytest.approx(lower.y)  # they meet, no gap or overlap
    assert [s.colour for s in january.segments] == list(PALETTE[:3])
    assert [(e.label, e.kind, e.colour) for e in chart.legend] == [
        ("family_guidance", "group", PALETTE[0]),
        ("group_session", "group", PALETTE[1]),
        ("peer_support", "group", PALETTE[2]),
    ]
    assert chart.legend_title == "Activity type:"


def test_a_grouped_comparison_is_a_grey_total_beside_the_stack(org, grouped):
    chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31), group_by=("activity_type",),
                     compare="previous_year")  # fmt: skip
    january, last_january = chart.bars[:2]
    assert not january.comparison and last_january.comparison
    assert last_january.count == 1 and not last_january.segments
    assert last_january.x == pytest.approx(january.x + january.width)
    # parent_course has activities in the comparison only: it is no part of the stacks.
    assert [(e.label, e.kind) for e in chart.legend][-2:] == [("peer_support", "group"), ("Comparison", "comparison")]
    assert chart.legend[-1].colour == COMPARISON_COLOUR


def test_the_legend_names_the_series_without_grouping(org, grouped):
    plain = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert [(e.label, e.kind) for e in plain.legend] == [("Activities", "series")]
    compared = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31), compare="previous_period")
    assert [(e.label, e.kind) for e in compared.legend] == [("Activities", "series"), ("Comparison", "comparison")]


def test_a_grouped_chart_of_an_empty_range_still_has_a_legend(org):
    chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31), group_by=("status",))
    assert [e.label for e in chart.legend] == ["Activities"] and chart.legend_title == ""
    assert [t.value for t in chart.ticks] == [0, 1]


def test_statuses_are_named_as_in_the_admin(org, grouped):
    with translation.override("nb"):
        chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31), group_by=("status",))
    assert [e.label for e in chart.legend] == ["Avlyst", "Gjennomført", "Planlagt"]
    assert chart.legend_title == "Status:"


def test_beyond_the_palette_the_smallest_values_are_drawn_together(org, make_activity):
    kinds = [f"type_{i}" for i in range(len(PALETTE) + 2)]
    for i, kind in enumerate(kinds):
        for n in range(1 + (i == 0)):  # type_0 is the largest
            make_activity(org, f"2026-01-{2 + n:02d}T12:00:00Z", activity_type=kind)
    chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 1, 31), group_by=("activity_type",))
    labels = [e.label for e in chart.legend]
    assert len(labels) == len(PALETTE) and labels[0] == "type_0" and labels[-1] == "Other"
    (january,) = chart.bars
    assert january.segments[-1].count == len(kinds) - (len(PALETTE) - 1)
    assert sum(s.count for s in january.segments) == january.count == len(kinds) + 1


@pytest.mark.parametrize(
    ("interval", "first", "last", "english", "norwegian"),
    [
        ("month", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "Month", "Måned"),
        ("week", dt.date(2026, 1, 5), dt.date(2026, 3, 29), "Week", "Uke"),
        ("day", dt.date(2026, 1, 1), dt.date(2026, 1, 31), "Day", "Dag"),
        ("quarter", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "Quarter", "Kvartal"),
        ("year", dt.date(2024, 1, 1), dt.date(2026, 12, 31), "Year", "År"),
    ],
)
def test_the_axes_have_titles(org, interval, first, last, english, norwegian):
    chart = chart_of(org, first, last, interval=interval)
    assert (chart.x_title, chart.y_title) == (english, "Activities")
    with translation.override("nb"):
        chart = chart_of(org, first, last, interval=interval)
    assert (chart.x_title, chart.y_title) == (norwegian, "Aktiviteter")
    assert chart.x_title_y > chart.label_y


def test_every_month_has_its_short_local_name_and_january_its_year(org):
    # The dashboard's 24 months, from December 2024.
    chart = chart_of(org, dt.date(2024, 12, 1), dt.date(2026, 11, 30))
    assert len(chart.labels) == 24
    assert [label.text for label in chart.labels[:3]] == ["Dec", "Jan", "Feb"]
    assert {label.year for label in chart.labels} == {"", "2024", "2025", "2026"}
    assert [(label.text, label.year) for label in chart.labels if label.year] == [
        ("Dec", "2024"),
        ("Jan", "2025"),
        ("Jan", "2026"),
    ]
    with translation.override("nb"):
        norwegian = chart_of(org, dt.date(2024, 12, 1), dt.date(2026, 11, 30))
    assert [label.text for label in norwegian.labels[:6]] == ["des", "jan", "feb", "mar", "apr", "mai"]


def test_a_grant_year_of_months_has_its_year_once(org):
    chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [label.text for label in chart.labels][:3] == ["Jan", "Feb", "Mar"]
    assert [label.year for label in chart.labels] == ["2026", *[""] * 11]


def test_many_months_are_thinned_keeping_januaries(org):
    chart = chart_of(org, dt.date(2017, 1, 1), dt.date(2026, 12, 31))  # 120 months
    assert [label.text for label in chart.labels][:4] == ["Jan", "May", "Sep", "Jan"]
    assert [label.year for label in chart.labels if label.text == "Jan"] == [str(y) for y in range(2017, 2027)]
    gaps = [b.x - a.x for a, b in zip(chart.labels, chart.labels[1:], strict=False)]
    assert min(gaps) >= 22


def test_decades_of_months_show_only_years(org):
    chart = chart_of(org, dt.date(1943, 5, 1), dt.date(2026, 8, 31))  # 1000 months
    years = [label.text for label in chart.labels]
    # Every 4th year, ending at the last; May 1943 is too close to January 1946 for its own.
    assert years[:2] == ["1946", "1950"] and years[-1] == "2026" and len(years) < 30
    gaps = [b.x - a.x for a, b in zip(chart.labels, chart.labels[1:], strict=False)]
    assert min(gaps) >= 28


def test_day_labels_are_thinned_and_do_not_overlap(org):
    chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31), interval="day")
    assert chart.labels[0].text == "2026-01-01" and len(chart.labels) <= MAX_LABELS
    gaps = [b.x - a.x for a, b in zip(chart.labels, chart.labels[1:], strict=False)]
    assert min(gaps) > len("2026-01-01") * 6
    assert not chart.show_values  # 90 bars: no values over them


def test_the_svg_has_the_legend_axis_titles_and_segments(rf, org, grouped):
    from django.template.loader import render_to_string

    chart = chart_of(org, dt.date(2026, 1, 1), dt.date(2026, 3, 31), group_by=("activity_type",),
                     compare="previous_year")  # fmt: skip
    svg = render_to_string("admin/reports/chart.html", {"chart": chart, "label": "A chart"})
    assert svg.count('class="legend-entry"') == 4 and ">Comparison</text>" in svg
    assert 'class="axis-title y"' in svg and ">Activities</text>" in svg and ">Month</text>" in svg
    assert svg.count('class="bar stacked"') == 3 and svg.count('class="bar comparison"') == 3
    assert f'style="fill: {PALETTE[0]}"' in svg
    assert 'data-group="family_guidance" data-count="2"' in svg
    assert 'data-period="2026-01" data-count="3"' in svg
    assert ">Jan</text>" in svg and ">2026</text>" in svg
    assert "http" not in svg.replace("http://www.w3.org", "")  # nothing fetched from elsewhere
