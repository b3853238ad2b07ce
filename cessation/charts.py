"""Chart geometry for server-rendered SVG: bars for a daily series, a line for a 0-10 scale.

Pure Python: returns numbers for templates/cessation/_chart.html to draw, so the charts need no
JavaScript and every value is also in the chart's text summary and its data table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 320
HEIGHT = 140
PAD_LEFT = 28
PAD_BOTTOM = 22
PAD_TOP = 8
LABEL_HALF_WIDTH = 17  # half of "30 Nov" at the 10 px the stylesheet sets


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int | None
    day: date


@dataclass(frozen=True)
class Chart:
    title: str
    summary: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    line: str  # SVG polyline points, "" when there is no second series
    y_ticks: tuple[tuple[float, int], ...]  # (y, label)
    x_labels: tuple[tuple[float, str], ...]  # (x, label)
    baseline_y: float
    bar_label: str
    line_label: str
    rows: tuple[tuple[date, int | None, int | None], ...]  # (day, bar value, line value)


def _scale_max(values: Sequence[int | None], floor: int) -> int:
    top = max([v for v in values if v is not None] or [0])
    return max(floor, top)


def daily_chart(
    *,
    title: str,
    summary: str,
    days: Sequence[date],
    bars: Sequence[int | None],
    line: Sequence[int | None] = (),
    bar_floor: int = 5,
    bar_label: str = "",
    line_label: str = "",
) -> Chart:
    """Bars (e.g. cigarettes a day, scaled to their own maximum) and an optional line on a 0-10
    scale (craving or mood) across the same days."""
    plot_w = WIDTH - PAD_LEFT - 4
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    baseline_y = PAD_TOP + plot_h
    slot = plot_w / max(1, len(days))
    top = _scale_max(bars, bar_floor)
    drawn = []
    for index, (day, value) in enumerate(zip(days, bars, strict=True)):
        h = 0.0 if not value else plot_h * value / top
        drawn.append(
            Bar(
                x=round(PAD_LEFT + index * slot + slot * 0.15, 1),
                y=round(baseline_y - h, 1),
                width=round(slot * 0.7, 1),
                height=round(h, 1),
                value=value,
                day=day,
            )
        )
    points = [
        f"{round(PAD_LEFT + i * slot + slot / 2, 1)},{round(baseline_y - plot_h * v / 10, 1)}"
        for i, v in enumerate(line)
        if v is not None
    ]
    ticks = tuple((round(baseline_y - plot_h * t / top, 1), t) for t in sorted({0, top // 2, top}))
    # A label is centred under its day; the last one is kept inside the picture's right edge.
    labels = tuple(
        (min(round(PAD_LEFT + i * slot + slot / 2, 1), WIDTH - LABEL_HALF_WIDTH), f"{day:%-d %b}")
        for i, day in enumerate(days)
        if i % 7 == 0 or i == len(days) - 1
    )
    return Chart(
        title=title,
        summary=summary,
        width=WIDTH,
        height=HEIGHT,
        bars=tuple(drawn),
        line=" ".join(points),
        y_ticks=ticks,
        x_labels=labels,
        baseline_y=baseline_y,
        bar_label=bar_label or title,
        line_label=line_label,
        rows=tuple(
            (day, value, line[i] if i < len(line) else None)
            for i, (day, value) in enumerate(zip(days, bars, strict=True))
        ),
    )
