"""Chart geometry (cessation/charts.py): bars and a 0-10 line drawn inside the plot, for SVG
rendered on the server. Pure, no database."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from cessation import charts
from cessation.charts import daily_chart

START = date(2025, 3, 3)  # a Monday
PLOT_HEIGHT = charts.HEIGHT - charts.PAD_BOTTOM - charts.PAD_TOP
PLOT_WIDTH = charts.WIDTH - charts.PAD_LEFT - 4
BASELINE = charts.PAD_TOP + PLOT_HEIGHT


def days(n: int) -> list[date]:
    return [START + timedelta(days=i) for i in range(n)]


def chart(bars, line=(), **kwargs):
    return daily_chart(
        title="Cigarettes each day",
        summary="A summary",
        days=days(len(bars)),
        bars=bars,
        line=line,
        **kwargs,
    )


def test_bars_are_proportional_to_their_values_and_the_tallest_fills_the_plot():
    result = chart([2, 4, 8, 0, 1, 6, 3])

    top = 8
    for bar in result.bars:
        assert bar.height == pytest.approx(PLOT_HEIGHT * bar.value / top, abs=0.1)
        assert bar.y + bar.height == pytest.approx(BASELINE, abs=0.1)  # standing on the axis
    tallest = result.bars[2]
    assert tallest.height == pytest.approx(PLOT_HEIGHT)
    assert tallest.y == pytest.approx(charts.PAD_TOP)
    assert result.bars[1].height == pytest.approx(result.bars[2].height / 2, abs=0.1)


def test_small_values_are_scaled_to_the_floor_so_one_cigarette_is_not_a_full_bar():
    result = chart([1, 0, 0], bar_floor=5)

    assert result.bars[0].height == pytest.approx(PLOT_HEIGHT / 5, abs=0.1)
    assert [label for _, label in result.y_ticks] == [0, 2, 5]


def test_every_bar_stays_inside_the_plot():
    for values in ([0] * 28, [200] + [0] * 27, list(range(28)), [None, 3, 150, None, 0] * 4):
        result = chart(values)
        for bar in result.bars:
            assert charts.PAD_TOP <= bar.y <= BASELINE
            assert 0 <= bar.height <= PLOT_HEIGHT
            assert bar.x >= charts.PAD_LEFT
            assert bar.x + bar.width <= charts.PAD_LEFT + PLOT_WIDTH + 0.1


@pytest.mark.parametrize("value", [0, None])
def test_zero_and_missing_days_draw_no_bar_but_keep_their_value(value):
    result = chart([3, value, 3])

    bar = result.bars[1]
    assert bar.height == 0
    assert bar.y == BASELINE
    assert bar.value == value


def test_a_chart_of_nothing_but_missing_days_draws_nothing():
    result = chart([None] * 7, line=[None] * 7)

    assert all(bar.height == 0 for bar in result.bars)
    assert result.line == ""
    assert [label for _, label in result.y_ticks] == [0, 2, 5]


def test_bars_are_evenly_spaced_in_day_order():
    result = chart([1] * 28)

    xs = [bar.x for bar in result.bars]
    assert xs == sorted(xs)
    gaps = {round(b - a, 1) for a, b in pairwise(xs)}
    assert max(gaps) - min(gaps) <= 0.15  # each x is rounded to 0.1
    assert [bar.day for bar in result.bars] == days(28)


def test_the_line_has_a_point_only_for_days_with_a_value_on_a_0_to_10_scale():
    line = [0, None, 5, None, 10, 7, None]

    result = chart([0] * 7, line=line)

    points = [tuple(map(float, point.split(","))) for point in result.line.split()]
    assert len(points) == 4
    ys = [y for _, y in points]
    assert ys[0] == pytest.approx(BASELINE)  # 0 on the axis
    assert ys[1] == pytest.approx(BASELINE - PLOT_HEIGHT / 2, abs=0.1)  # 5 half way
    assert ys[2] == pytest.approx(charts.PAD_TOP)  # 10 at the top
    # Each point sits over the middle of its own day's bar, not the next point's slot.
    bars = result.bars
    for (x, _), index in zip(points, [0, 2, 4, 5], strict=True):
        assert x == pytest.approx(bars[index].x + bars[index].width / 2, abs=0.2)


def test_the_line_is_independent_of_the_bar_scale():
    low = chart([1, 1], line=[5, 5])
    high = chart([100, 100], line=[5, 5])

    assert low.line == high.line


def test_no_line_without_a_second_series():
    assert chart([1, 2, 3]).line == ""


def test_x_labels_are_weekly_and_mark_the_last_day():
    result = chart([0] * 28)

    labels = [label for _, label in result.x_labels]
    assert labels == ["3 Mar", "10 Mar", "17 Mar", "24 Mar", "30 Mar"]
    xs = [x for x, _ in result.x_labels]
    assert xs == sorted(xs)


def test_a_week_of_days_labels_the_first_and_the_last():
    assert [label for _, label in chart([0] * 7).x_labels] == ["3 Mar", "9 Mar"]


def test_rows_are_aligned_with_the_days_for_the_data_table():
    result = chart([1, None, 0], line=[4, 5, None])

    assert result.rows == (
        (START, 1, 4),
        (START + timedelta(days=1), None, 5),
        (START + timedelta(days=2), 0, None),
    )


def test_rows_without_a_line_have_no_line_values():
    result = chart([2, 3])

    assert [line for _, _, line in result.rows] == [None, None]


def test_days_and_bars_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="argument 2 is shorter"):
        daily_chart(title="t", summary="s", days=days(3), bars=[1, 2])


def test_labels_title_and_summary_are_carried_for_the_template():
    result = chart([1], line=[2], bar_label="Cigarettes", line_label="Mood (0 to 10)")
    unlabelled = chart([1])

    assert (result.title, result.summary) == ("Cigarettes each day", "A summary")
    assert (result.bar_label, result.line_label) == ("Cigarettes", "Mood (0 to 10)")
    assert unlabelled.bar_label == "Cigarettes each day"
    assert (result.width, result.height, result.baseline_y) == (
        charts.WIDTH,
        charts.HEIGHT,
        BASELINE,
    )


@pytest.mark.parametrize("top", [5, 6, 9, 20, 150])
def test_y_ticks_run_from_the_axis_to_the_top_of_the_scale(top):
    result = chart([top, 0])

    ticks = result.y_ticks
    assert [label for _, label in ticks] == sorted({0, top // 2, top})
    assert ticks[0][0] == pytest.approx(BASELINE)
    assert ticks[-1][0] == pytest.approx(charts.PAD_TOP)
    assert ticks[-1][0] == pytest.approx(result.bars[0].y)  # the tallest bar reaches the top tick
