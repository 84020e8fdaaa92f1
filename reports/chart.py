"""The admin report's bar chart as server-side SVG geometry (no chart library, no CDN)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from reports.series import Report

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 24, 36
MAX_LABELS = 12
MAX_VALUES = 40  # values are printed over the bars up to this many buckets


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    comparison: bool

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


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    bottom_y: int
    right_x: int
    bars: list[Bar]
    ticks: list[Tick]
    labels: list[XLabel]
    show_values: bool


def _step(peak: int) -> int:
    """A round tick step giving at most about five ticks."""
    raw = max(1, math.ceil(peak / 5))
    magnitude = 10 ** int(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def report_chart(report: Report) -> Chart:
    """Bars per bucket (the comparison's beside them), a y axis with round ticks, and
    period labels along the x axis (thinned out to about a dozen)."""
    buckets = report.series.buckets
    earlier = report.comparison.buckets if report.comparison is not None else []
    peak = max([b.tally.activity_count for b in [*buckets, *earlier]] or [0])
    step = _step(peak)
    top = max(step, math.ceil(peak / step) * step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(buckets))
    per = 2 if report.comparison is not None else 1
    bar_w = max(1.0, (slot * 0.8) / per)
    bars: list[Bar] = []
    for i, bucket in enumerate(buckets):
        pairs = [(bucket.period, bucket.tally.activity_count, False)]
        if i < len(earlier):
            pairs.append((earlier[i].period, earlier[i].tally.activity_count, True))
        for j, (label, count, is_comparison) in enumerate(pairs):
            height = plot_h * count / top
            x = LEFT + i * slot + slot * 0.1 + j * bar_w
            bars.append(Bar(label, count, x, TOP + plot_h - height, bar_w, height, is_comparison))
    ticks = [Tick(v, TOP + plot_h - plot_h * v / top) for v in range(0, top + 1, step)]
    every = max(1, math.ceil(len(buckets) / MAX_LABELS))
    labels = [XLabel(b.period, LEFT + i * slot + slot / 2) for i, b in enumerate(buckets) if i % every == 0]
    return Chart(WIDTH, HEIGHT, LEFT, TOP + plot_h, WIDTH - RIGHT, bars, ticks, labels, len(buckets) <= MAX_VALUES)
