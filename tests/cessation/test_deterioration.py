"""Deterioration against the person's own baseline (cessation/deterioration.py): pure, no database.

Each rule fires at its threshold and not one step below; no comparison is made before there is a
baseline; a person whose mood is always low is not flagged for it; the reasons carry the numbers;
every threshold can be changed.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cessation.deterioration import DEFAULTS, Finding, Reading, assess

LAST = date(2025, 7, 15)


def history(
    baseline: list[tuple[int, int, str]],
    recent: list[tuple[int, int, str]],
    *,
    gap: int = 0,
) -> list[Reading]:
    """Daily readings of (mood, craving, sleep): the baseline days, then `gap` empty days, then
    the recent ones, the last of them on LAST."""
    days = len(baseline) + gap + len(recent)
    first = LAST - timedelta(days=days - 1)
    readings = [
        Reading(first + timedelta(days=i), mood, craving, sleep)
        for i, (mood, craving, sleep) in enumerate(baseline)
    ]
    start = first + timedelta(days=len(baseline) + gap)
    readings += [
        Reading(start + timedelta(days=i), mood, craving, sleep)
        for i, (mood, craving, sleep) in enumerate(recent)
    ]
    return readings


def moods(baseline: list[int], recent: list[int]) -> list[Reading]:
    """Mood only; cravings steady at 3 and sleep OK throughout."""
    return history([(m, 3, "ok") for m in baseline], [(m, 3, "ok") for m in recent])


def rules_of(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


GOOD_WEEK = [7, 7, 7, 7, 7, 7, 7]


# --- Mood dropping below the usual -----------------------------------------------------------


def test_mood_exactly_3_below_the_usual_at_each_of_the_last_3_check_ins_is_a_drop():
    findings = assess(moods(GOOD_WEEK, [4, 4, 4]))

    assert rules_of(findings) == ["mood_drop"]
    assert findings[0].severity == "medium"


def test_mood_2_below_the_usual_is_not_a_drop():
    assert assess(moods(GOOD_WEEK, [5, 5, 5])) == []


@pytest.mark.parametrize("recent", [[7, 4, 4], [4, 7, 4], [4, 4, 5], [4, 4, 7]])
def test_a_low_mood_at_only_2_of_the_last_3_check_ins_is_nothing(recent):
    assert assess(moods(GOOD_WEEK, recent)) == []


def test_the_usual_is_the_median_not_the_mean():
    # Median 7 (a bad day in the baseline does not drag the usual down); the mean would be 6.
    findings = assess(moods([7, 7, 7, 7, 7, 1], [4, 4, 4]))

    assert rules_of(findings) == ["mood_drop"]
    assert "usual 7" in findings[0].reason


def test_a_person_whose_mood_is_always_low_is_not_flagged_for_low_mood():
    assert assess(moods([3, 3, 3, 3, 3, 3, 3], [3, 3, 3])) == []
    assert assess(moods([2, 3, 2, 3, 2, 3, 2], [2, 2, 2])) == []


def test_a_person_usually_at_8_is_noticed_at_5():
    assert rules_of(assess(moods([8] * 7, [5, 5, 5]))) == ["mood_drop"]


def test_the_mood_drop_reason_spells_out_the_usual_and_the_recent_moods():
    (finding,) = assess(moods(GOOD_WEEK, [4, 3, 2]))

    assert (
        finding.reason == "Mood has fallen from their usual 7 to 4, 3, 2 over the last 3 check-ins."
    )


def test_a_half_point_usual_is_written_as_it_is():
    (finding,) = assess(moods([6, 7, 6, 7], [3, 3, 3]))

    assert "usual 6.5" in finding.reason


# --- No comparison without a baseline --------------------------------------------------------


def test_no_comparison_with_fewer_baseline_check_ins_than_the_minimum():
    # 3 baseline check-ins (the minimum is 4): nothing, however large the fall.
    assert DEFAULTS["min_baseline"] == 4
    assert assess(moods([9, 9, 9], [0, 0, 0])) == []
    # 4 baseline check-ins: compared.
    assert rules_of(assess(moods([9, 9, 9, 9], [0, 0, 0]))) == ["mood_drop"]


@pytest.mark.parametrize("recent", [[], [1], [1, 1]])
def test_no_comparison_with_fewer_recent_check_ins_than_sustained(recent):
    # With 2 readings in all there is no "last 3", and no baseline either.
    assert assess(moods([], recent)) == []


def test_no_readings_at_all_is_nothing():
    assert assess([]) == []


def test_check_ins_older_than_the_baseline_window_are_not_the_usual():
    baseline = [(9, 3, "ok")] * 5
    recent = [(3, 3, "ok")] * 3

    # The baseline ended 10 days before the recent check-ins: inside the 14-day window.
    assert rules_of(assess(history(baseline, recent, gap=10))) == ["mood_drop"]
    # Ended 15 days before: outside it, so there is no baseline to compare with.
    assert assess(history(baseline, recent, gap=15)) == []


def test_the_readings_may_come_in_any_order():
    readings = moods(GOOD_WEEK, [4, 4, 4])

    assert rules_of(assess(list(reversed(readings)))) == ["mood_drop"]


def test_only_the_latest_check_ins_are_recent():
    # Three bad days, then a good one: the last three are not all low.
    assert assess(moods([*GOOD_WEEK, 4, 4], [4, 7])) == []


# --- Sleep collapsing ------------------------------------------------------------------------


def sleeps(baseline: list[str], recent: list[str]) -> list[Reading]:
    """Sleep only; mood steady at 6 and cravings at 3."""
    return history([(6, 3, s) for s in baseline], [(6, 3, s) for s in recent])


def test_sleep_collapsing_after_mostly_sleeping_well_is_noticed():
    findings = assess(sleeps(["well", "ok", "well", "ok", "well"], ["poorly", "hardly", "poorly"]))

    assert rules_of(findings) == ["sleep_collapse"]
    assert findings[0].severity == "medium"
    assert "last 3 check-ins" in findings[0].reason
    assert "poor or hardly any" in findings[0].reason


def test_sleep_collapse_needs_at_least_half_of_the_usual_nights_good():
    # 2 good nights of 4 (exactly the share of 0.5): noticed.
    assert rules_of(assess(sleeps(["well", "ok", "poorly", "hardly"], ["poorly"] * 3))) == [
        "sleep_collapse"
    ]
    # 1 of 4: this person usually sleeps badly; nothing has collapsed.
    assert assess(sleeps(["well", "poorly", "poorly", "hardly"], ["poorly"] * 3)) == []


@pytest.mark.parametrize(
    "recent",
    [["poorly", "poorly", "ok"], ["well", "hardly", "hardly"], ["poorly", "well", "poorly"]],
)
def test_sleep_must_be_poor_at_every_recent_check_in(recent):
    assert assess(sleeps(["well"] * 6, recent)) == []


# --- Cravings and mood both worsening --------------------------------------------------------


def cravings_and_moods(recent: list[tuple[int, int]]) -> list[Reading]:
    """A usual of mood 7 and craving 3, then (mood, craving) pairs; sleep OK throughout."""
    return history([(7, 3, "ok")] * 6, [(m, c, "ok") for m, c in recent])


def test_cravings_2_up_with_mood_2_down_is_noticed():
    findings = assess(cravings_and_moods([(5, 5), (5, 5), (5, 5)]))

    assert rules_of(findings) == ["cravings_and_mood"]
    assert findings[0].reason == (
        "Cravings are up (about 5/10 against a usual 3) "
        "while mood is down (about 5/10 against a usual 7)."
    )


def test_cravings_and_mood_use_the_recent_average():
    # Mood averages 5 (6, 5, 4) and cravings 5 (4, 5, 6): noticed, though no single day is
    # 3 below the usual.
    assert rules_of(assess(cravings_and_moods([(6, 4), (5, 5), (4, 6)]))) == ["cravings_and_mood"]


def test_cravings_up_by_less_than_2_on_average_is_not_enough():
    # Cravings 4.67 on average (5, 5, 4): not 2 above the usual 3.
    assert assess(cravings_and_moods([(5, 5), (5, 5), (5, 4)])) == []


def test_mood_down_by_less_than_2_on_average_is_not_enough():
    # Mood 5.33 on average (5, 5, 6): not 2 below the usual 7.
    assert assess(cravings_and_moods([(5, 8), (5, 8), (6, 8)])) == []


def test_cravings_up_alone_is_not_the_rule():
    assert assess(cravings_and_moods([(7, 9), (7, 9), (7, 9)])) == []


def test_mood_down_alone_is_only_the_mood_rule():
    assert rules_of(assess(cravings_and_moods([(4, 3), (4, 3), (4, 3)]))) == ["mood_drop"]


def test_several_rules_can_fire_together_with_each_reason():
    readings = history([(7, 3, "well")] * 6, [(3, 8, "hardly")] * 3)

    findings = assess(readings)

    assert rules_of(findings) == ["mood_drop", "sleep_collapse", "cravings_and_mood"]
    assert all(f.reason for f in findings)
    assert len({f.reason for f in findings}) == 3


# --- Thresholds from settings ----------------------------------------------------------------


def test_the_mood_drop_threshold_can_be_changed():
    readings = moods(GOOD_WEEK, [5, 5, 5])

    assert assess(readings) == []
    assert rules_of(assess(readings, {"mood_drop": 2})) == ["mood_drop"]
    assert assess(moods(GOOD_WEEK, [4, 4, 4]), {"mood_drop": 4}) == []


def test_how_long_a_change_must_last_can_be_changed():
    readings = moods(GOOD_WEEK, [7, 4, 4])

    assert assess(readings) == []
    findings = assess(readings, {"sustained": 2})
    assert rules_of(findings) == ["mood_drop"]
    assert "4, 4 over the last 2 check-ins" in findings[0].reason


def test_the_minimum_baseline_can_be_changed():
    readings = moods([8, 8], [4, 4, 4])

    assert assess(readings) == []
    assert rules_of(assess(readings, {"min_baseline": 2})) == ["mood_drop"]


def test_the_baseline_window_can_be_changed():
    readings = history([(9, 3, "ok")] * 5, [(3, 3, "ok")] * 3, gap=10)

    assert rules_of(assess(readings)) == ["mood_drop"]
    assert assess(readings, {"baseline_days": 7}) == []


def test_the_cravings_and_mood_thresholds_can_be_changed():
    readings = cravings_and_moods([(6, 4), (6, 4), (6, 4)])

    assert assess(readings) == []
    assert rules_of(assess(readings, {"craving_rise": 1, "mood_fall": 1})) == ["cravings_and_mood"]


def test_the_good_sleep_share_can_be_changed():
    readings = sleeps(["well", "poorly", "poorly", "poorly"], ["hardly"] * 3)

    assert assess(readings) == []
    assert rules_of(assess(readings, {"good_sleep_share": 0.25})) == ["sleep_collapse"]


def test_settings_given_override_only_what_they_name():
    readings = moods(GOOD_WEEK, [4, 4, 4])

    assert assess(readings, {}) == assess(readings) == assess(readings, None)
    assert rules_of(assess(readings, {"craving_rise": 9})) == ["mood_drop"]
