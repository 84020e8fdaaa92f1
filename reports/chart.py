"""The report's bar chart as server-side SVG geometry (no chart library, no CDN): the admin
report page's and the dashboard's (``templates/admin/reports/chart.html``).

A bar per bucket, stacked by the first grouping's values when the report is grouped, the
comparison's total as a grey bar beside it; a y axis of round ticks, period labels along
the x axis, axis titles, each bar's value over it, and a legend. Texts are translated
here, in the request's language.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext

from lib.timeranges import reporting_zone
from reports.labels import DIMENSION_LABELS, value_label
from reports.series import Bucket, Report

WIDTH = 760
LEFT, RIGHT = 64, 12  # room on the left for the tick values and the y axis title
PLOT_HEIGHT = 180
LEGEND_ROW = 16
MAX_LABELS = 12  # labels other than months are thinned out to about this many
MAX_VALUES = 40  # values are printed over the bars up to this many buckets
MIN_MONTH_SLOT = 22.0  # px: a short month name ("sep", 11 px) needs about this much
MIN_YEAR_GAP = 28.0  # px between two years' centres ("2026" is about 25 px wide)
CHAR_WIDTH = 6.2  # px: an estimate of an 11 px sans-serif character, for laying out texts
MAX_LEGEND_CHARS = 24

# Okabe and Ito's colour-blind safe palette (without black), most distinct first. Grey is
# the comparison's; beyond len(PALETTE) values the smallest are drawn together as "Other".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442")
SERIES_COLOUR = "#79aec8"  # the admin's primary colour (the stylesheet uses the theme's)
COMPARISON_COLOUR = "#999999"


@dataclass(frozen=True)
class Segment:
    """One group value's part of a stacked bar."""

    label: str
    count: int
    y: float
    height: float
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    comparison: bool
    segments: tuple[Segment, ...] = ()  # bottom first; empty when not stacked

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class XLabel:
    text: str
    x: float
    year: str = ""  # month buckets: the year, under January and under the first bar


@dataclass(frozen=True)
class LegendEntry:
    label: str
    kind: Literal["series", "group", "comparison"]
    colour: str
    x: float
    y: float  # the swatch's top

    @property
    def text_x(self) -> float:
        return self.x + 14

    @property
    def text_y(self) -> float:
        return self.y + 9


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    bottom_y: int
    right_x: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[XLabel]
    legend: list[LegendEntry]
    legend_title: str  # the grouping stacked by, before its entries ("" when not grouped)
    x_title: str
    x_title_y: int
    y_title: str
    show_values: bool

    @property
    def label_y(self) -> int:
        return self.bottom_y + 15

    @property
    def year_y(self) -> int:
        return self.bottom_y + 28

    @property
    def plot_center(self) -> float:
        return (self.left + self.right_x) / 2

    @property
    def y_title_y(self) -> float:
        return (self.top + self.bottom_y) / 2


def _step(peak: int) -> int:
    """A round tick step giving at most about five ticks."""
    raw = max(1, math.ceil(peak / 5))
    magnitude = 10 ** int(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _text_width(text: str) -> float:
    return CHAR_WIDTH * len(text)


def _short(text: str) -> str:
    return text if len(text) <= MAX_LEGEND_CHARS else text[: MAX_LEGEND_CHARS - 1] + "…"


def _unit_title(interval: str) -> str:
    titles = {
        "day": gettext("Day"),
        "week": gettext("Week"),
        "month": gettext("Month"),
        "quarter": gettext("Quarter"),
        "year": gettext("Year"),
    }
    return titles.get(interval, gettext("Period"))


# --- stacks -----------------------------------------------------------------------------

Stack = tuple[str, tuple[str, ...], str]  # (label, the first dimension's values drawn, colour)


def _stacks(report: Report) -> list[Stack]:
    """What a stacked bar is made of: each value of the first grouping with activities in
    the report's range, in the table's order; beyond the palette, the largest keep a
    colour of their own and the rest are drawn together as "Other"."""
    if not report.group_by:
        return []
    dimension = report.group_by[0]
    totals: dict[str, int] = {}
    for key, cell in report.series.total.groups.items():
        totals[key[0]] = totals.get(key[0], 0) + cell.activity_count
    present = [value for value, n in totals.items() if n > 0]
    if len(present) > len(PALETTE):
        kept = set(sorted(present, key=lambda v: (-totals[v], v))[: len(PALETTE) - 1])
        named = [v for v in present if v in kept]
        rest = tuple(v for v in present if v not in kept)
    else:
        named, rest = present, ()
    stacks: list[Stack] = [(_short(value_label(dimension, v)), (v,), PALETTE[i]) for i, v in enumerate(named)]
    if rest:
        stacks.append((gettext("Other"), rest, PALETTE[len(named)]))
    return stacks


def _per_value(bucket: Bucket) -> dict[str, int]:
    """A bucket's counts per value of the first grouping (summed over the second)."""
    out: dict[str, int] = {}
    for key, cell in bucket.tally.groups.items():
        out[key[0]] = out.get(key[0], 0) + cell.activity_count
    return out


# --- x labels ---------------------------------------------------------------------------


def _local_first_day(bucket: Bucket) -> dt.date:
    return bucket.start.astimezone(reporting_zone()).date()


def _month_labels(buckets: list[Bucket], centers: list[float], slot: float) -> list[XLabel]:
    """Every month by its short local name while they fit (else every 2nd, 3rd, … month,
    Januaries always), with the year under January and under the first bar; over decades,
    only the years."""
    days = [_local_first_day(b) for b in buckets]
    every = next((k for k in (1, 2, 3, 4, 6, 12) if k * slot >= MIN_MONTH_SLOT), None)
    if every is None or 12 * slot < MIN_YEAR_GAP:
        years = math.ceil(MIN_YEAR_GAP / (12 * slot))
        januaries = [i for i, day in enumerate(days) if day.month == 1 and (day.year - days[-1].year) % years == 0]
        first = [0] if not januaries or januaries[0] * slot >= MIN_YEAR_GAP else []
        return [XLabel(str(days[i].year), centers[i]) for i in sorted({*first, *januaries})]
    month_format = pgettext("the chart's month labels: a Django date format", "M")
    shown = [i for i, day in enumerate(days) if i == 0 or ((day.month - 1) % every == 0 and i >= every)]
    januaries = [i for i in shown if days[i].month == 1]
    first_year = days[0].month == 1 or not januaries or januaries[0] * slot >= MIN_YEAR_GAP
    return [
        XLabel(
            date_format(days[i], month_format),
            centers[i],
            str(days[i].year) if (i == 0 and first_year) or i in januaries else "",
        )
        for i in shown
    ]


def _period_labels(buckets: list[Bucket], centers: list[float], slot: float) -> list[XLabel]:
    """The periods' own labels (2026-01-15, 2026-W03, 2026-Q1, 2026), thinned out to about
    a dozen and so that they do not overlap."""
    widest = max((_text_width(b.period) for b in buckets), default=0.0) + 8
    every = max(1, math.ceil(len(buckets) / MAX_LABELS), math.ceil(widest / slot))
    return [XLabel(b.period, centers[i]) for i, b in enumerate(buckets) if i % every == 0]


# --- legend -----------------------------------------------------------------------------


def _legend(report: Report, stacks: list[Stack], title: str) -> list[LegendEntry]:
    """Entries flowing from the left, on as many rows as they need."""
    items: list[tuple[str, Literal["series", "group", "comparison"], str]] = (
        [(label, "group", colour) for label, _values, colour in stacks]
        if stacks
        else [(gettext("Activities"), "series", SERIES_COLOUR)]
    )
    if report.comparison is not None:
        items.append((gettext("Comparison"), "comparison", COMPARISON_COLOUR))
    entries: list[LegendEntry] = []
    x, row = LEFT + (_text_width(title) + 10 if title else 0), 0
    for label, kind, colour in items:
        width = 14 + _text_width(label) + 16
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, row = LEFT, row + 1
        entries.append(LegendEntry(label, kind, colour, x, 4 + row * LEGEND_ROW))
        x += width
    return entries


# --- the chart --------------------------------------------------------------------------


def _bar(bucket: Bucket, *, x: float, width: float, scale: float, bottom: float, comparison: bool,
         stacks: list[Stack]) -> Bar:  # fmt: skip
    """A bar, its segments' edges rounded to a tenth of a pixel, so that stacked segments
    meet exactly (the template draws coordinates to one decimal)."""
    count = bucket.tally.activity_count
    top = round(bottom - count * scale, 1)
    segments: list[Segment] = []
    if stacks and not comparison:
        per_value = _per_value(bucket)
        below, base = 0, round(bottom, 1)
        for label, values, colour in stacks:
            n = sum(per_value.get(v, 0) for v in values)
            upper = round(bottom - (below + n) * scale, 1)
            segments.append(Segment(label, n, upper, round(base - upper, 1), colour))
            below, base = below + n, upper
    return Bar(bucket.period, count, x, top, width, round(round(bottom, 1) - top, 1), comparison, tuple(segments))


def report_chart(report: Report) -> Chart:
    """The chart of a report (and of its comparison, when it has one)."""
    buckets = report.series.buckets
    earlier: list[Bucket] = report.comparison.buckets if report.comparison is not None else []
    stacks = _stacks(report)
    legend_title = f"{DIMENSION_LABELS[report.group_by[0]]}:" if stacks else ""
    legend = _legend(report, stacks, legend_title)
    rows = 1 + int((max(e.y for e in legend) - 4) // LEGEND_ROW)
    top = 4 + rows * LEGEND_ROW + 12  # the legend, then room for the value over the tallest bar
    bottom = top + PLOT_HEIGHT
    peak = max([b.tally.activity_count for b in [*buckets, *earlier]] or [0])
    step = _step(peak)
    top_value = max(step, math.ceil(peak / step) * step)
    scale = PLOT_HEIGHT / top_value
    plot_w = WIDTH - LEFT - RIGHT
    slot = plot_w / max(1, len(buckets))
    per = 2 if report.comparison is not None else 1
    bar_w = max(1.0, (slot * 0.8) / per)
    bars: list[Bar] = []
    for i, bucket in enumerate(buckets):
        x = LEFT + i * slot + slot * 0.1
        bars.append(_bar(bucket, x=x, width=bar_w, scale=scale, bottom=bottom, comparison=False, stacks=stacks))
        if i < len(earlier):
            bars.append(_bar(earlier[i], x=x + bar_w, width=bar_w, scale=scale, bottom=bottom, comparison=True,
                             stacks=stacks))  # fmt: skip
    ticks = [Tick(v, bottom - v * scale) for v in range(0, top_value + 1, step)]
    centers = [LEFT + i * slot + slot / 2 for i in range(len(buckets))]
    if report.interval == "month":
        labels = _month_labels(buckets, centers, slot)
    else:
        labels = _period_labels(buckets, centers, slot)
    x_title_y = bottom + (28 if any(label.year for label in labels) else 15) + 18
    return Chart(
        width=WIDTH,
        height=x_title_y + 8,
        left=LEFT,
        top=top,
        bottom_y=bottom,
        right_x=WIDTH - RIGHT,
        bars=bars,
        ticks=ticks,
        labels=labels,
        legend=legend,
        legend_title=legend_title,
        x_title=_unit_title(report.interval),
        x_title_y=x_title_y,
        y_title=gettext("Activities"),
        show_values=len(buckets) <= MAX_VALUES,
    )
