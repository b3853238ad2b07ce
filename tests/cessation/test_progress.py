"""The progress arithmetic (cessation/progress.py): pure functions, no database.

Days since quitting, money saved and cigarettes not smoked, the Russell Standard (5 cigarettes in
total allowed after a two-week grace period), the 4-week CO window (25 to 42 days, verified under
10 ppm), milestones and badges, the health timeline, the Heaviness of Smoking Index, and the daily
series with its text summary. hypothesis is not installed, so the property checks are explicit
loops over ranges.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cessation.progress import (
    CO_CUTOFF_PPM,
    DAY_MILESTONES,
    GRACE_DAYS,
    RUSSELL_ALLOWANCE,
    Baseline,
    CORead,
    DayPoint,
    co_window,
    compute_progress,
    daily_series,
    health_timeline,
    heaviness_of_smoking_index,
    milestone_label,
    next_milestone,
    russell_status,
    series_summary,
)

QUIT = date(2025, 3, 3)  # a Monday


def day(offset: int) -> date:
    """The date `offset` days after the quit date."""
    return QUIT + timedelta(days=offset)


def baseline(
    product: str = "cigarettes",
    per_day: str = "20",
    pack_price: str = "15.00",
    pack_size: int = 20,
    quit_date: date = QUIT,
) -> Baseline:
    """20 cigarettes a day at £15 for 20, i.e. 75p a cigarette, unless told otherwise."""
    return Baseline(
        quit_date=quit_date,
        product=product,
        per_day=Decimal(per_day),
        pack_price=Decimal(pack_price),
        pack_size=pack_size,
    )


def progress_on(offset: int, smoked=(), co_readings=(), **baseline_fields):
    return compute_progress(
        baseline=baseline(**baseline_fields),
        today=day(offset),
        smoked=list(smoked),
        co_readings=list(co_readings),
    )


# --- Days since quitting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "days_quit", "started", "days_until_quit"),
    [
        (-30, 0, False, 30),
        (-1, 0, False, 1),
        (0, 0, True, 0),
        (1, 1, True, 0),
        (10, 10, True, 0),
        (400, 400, True, 0),
    ],
)
def test_days_since_the_quit_date(offset, days_quit, started, days_until_quit):
    result = progress_on(offset)

    assert result.today == day(offset)
    assert result.days_quit == days_quit
    assert result.started is started
    assert result.days_until_quit == days_until_quit


def test_a_slip_does_not_reset_the_days_since_quitting():
    result = progress_on(10, smoked=[(day(2), 4), (day(9), 1)])

    assert result.days_quit == 10
    assert result.cigarettes_smoked == 5
    assert result.days_with_smoking == 2


def test_only_smoking_from_the_quit_date_to_today_counts():
    smoked = [(day(-3), 20), (day(-1), 15), (day(0), 2), (day(4), 3), (day(4 + 1), 50)]

    result = progress_on(4, smoked=smoked)

    assert result.cigarettes_smoked == 5  # the quit day and today; before and after are not
    assert result.days_with_smoking == 2
    assert result.cigarettes_not_smoked == 4 * 20 - 5


def test_days_with_zero_cigarettes_are_not_days_with_smoking():
    result = progress_on(5, smoked=[(day(1), 0), (day(2), 0), (day(3), 1)])

    assert result.days_with_smoking == 1


# --- Money saved and cigarettes not smoked -----------------------------------------------------


@pytest.mark.parametrize(
    ("product", "per_day", "pack_price", "pack_size", "days", "smoked", "not_smoked", "money"),
    [
        # 20 a day at 75p: 10 days is 200 cigarettes and £150.
        ("cigarettes", "20", "15.00", 20, 10, 0, 200, "150.00"),
        # What was smoked is taken off both.
        ("cigarettes", "20", "15.00", 20, 10, 7, 193, "144.75"),
        ("cigarettes", "10", "12.50", 20, 1, 0, 10, "6.25"),
        # On the quit day itself nothing is saved yet.
        ("cigarettes", "20", "15.00", 20, 0, 0, 0, "0.00"),
        # Roll-ups: counted one for one, from a pouch sold by the gram at 0.5 g a roll-up:
        # £12 for 40 g is 30p a gram, 15p a roll-up.
        ("rollups", "15", "12.00", 40, 4, 0, 60, "9.00"),
        ("rollups", "15", "12.00", 40, 4, 10, 50, "7.50"),
        # Grams: 0.5 g makes a roll-up, so 10 g a day is 20 roll-ups, at 25p each from a
        # 30 g pouch costing £15.
        ("grams", "10", "15.00", 30, 2, 0, 40, "10.00"),
        ("grams", "10", "15.00", 30, 2, 5, 35, "8.75"),
        # 2.5 g a day is 5 roll-ups; £9.99 for 25 g is 19.98p a roll-up; 15 of them £2.997.
        ("grams", "2.5", "9.99", 25, 3, 0, 15, "3.00"),
        # Never negative: smoking more than before saves nothing, and owes nothing.
        ("cigarettes", "20", "15.00", 20, 2, 100, 0, "0.00"),
        ("grams", "5", "15.00", 30, 1, 11, 0, "0.00"),
        # Rounded half up to the penny: 62.5p is 63p (banker's rounding would say 62p).
        ("cigarettes", "1", "12.50", 20, 1, 0, 1, "0.63"),
        # Half a cigarette a day is a cigarette every two days: whole cigarettes, exact money.
        ("cigarettes", "12.5", "15.00", 20, 1, 0, 12, "9.38"),
        # A free pack (a price of 0) saves no money but still counts cigarettes.
        ("cigarettes", "20", "0", 20, 3, 0, 60, "0.00"),
    ],
)
def test_money_saved_and_cigarettes_not_smoked(
    product, per_day, pack_price, pack_size, days, smoked, not_smoked, money
):
    slips = [(day(days), smoked)] if smoked else []

    result = progress_on(
        days,
        smoked=slips,
        product=product,
        per_day=per_day,
        pack_price=pack_price,
        pack_size=pack_size,
    )

    assert result.cigarettes_not_smoked == not_smoked
    assert result.money_saved == Decimal(money)
    assert result.money_saved.as_tuple().exponent == -2  # always pounds and pence


def test_before_the_quit_date_nothing_is_saved_whatever_was_smoked():
    result = progress_on(-5, smoked=[(day(-6), 20), (day(-5), 20)])

    assert result.money_saved == Decimal("0.00")
    assert result.cigarettes_not_smoked == 0
    assert result.cigarettes_smoked == 0


@pytest.mark.parametrize(
    ("product", "cigarettes_per_day", "cost_per_cigarette"),
    [
        ("cigarettes", Decimal("20"), Decimal("0.75")),  # £15 for a pack of 20
        ("rollups", Decimal("20"), Decimal("0.375")),  # £15 for a 20 g pouch: 0.5 g each
        ("grams", Decimal("40"), Decimal("0.375")),  # 20 g a day; £15 for 20 g is 75p a gram
    ],
)
def test_baseline_conversions(product, cigarettes_per_day, cost_per_cigarette):
    plan = baseline(product=product, per_day="20", pack_price="15.00", pack_size=20)

    assert plan.cigarettes_per_day == cigarettes_per_day
    assert plan.cost_per_cigarette == cost_per_cigarette


def test_a_pack_size_of_zero_costs_nothing_rather_than_dividing_by_zero():
    assert baseline(pack_size=0).cost_per_cigarette == Decimal(0)


def test_money_is_never_negative_and_grows_with_each_smoke_free_day():
    for product in ("cigarettes", "rollups", "grams"):
        for smoked in (0, 1, 5, 19, 20, 21, 100, 1000):
            previous = Decimal("-1")
            for days in range(0, 60):
                result = progress_on(days, smoked=[(day(0), smoked)], product=product, per_day="20")
                assert result.money_saved >= 0
                assert result.cigarettes_not_smoked >= 0
                assert result.money_saved >= previous, (product, smoked, days)
                previous = result.money_saved
                expected_not_smoked = max(
                    Decimal(0), baseline(product=product).cigarettes_per_day * days - smoked
                )
                assert result.cigarettes_not_smoked == int(expected_not_smoked)


# --- The Russell Standard ----------------------------------------------------------------------


def test_the_russell_standard_has_not_started_before_the_quit_date():
    status = russell_status(quit_date=QUIT, today=day(-1), smoked=[(day(-1), 20)])

    assert status.state == "not_started"
    assert status.smoked_since_grace == 0
    assert status.allowance_left == RUSSELL_ALLOWANCE
    assert "still to come" in status.message


@pytest.mark.parametrize("offset", [0, 1, 7, 13])
def test_slips_in_the_first_two_weeks_do_not_count(offset):
    smoked = [(day(0), 10), (day(offset), 10), (day(13), 10)]

    status = russell_status(quit_date=QUIT, today=day(offset), smoked=smoked)

    assert status.state == "grace"
    assert status.smoked_since_grace == 0
    assert status.allowance_left == RUSSELL_ALLOWANCE
    assert "do not count against you" in status.message


def test_the_grace_period_is_fourteen_days():
    assert GRACE_DAYS == 14
    assert RUSSELL_ALLOWANCE == 5
    assert russell_status(quit_date=QUIT, today=day(13), smoked=[]).state == "grace"
    assert russell_status(quit_date=QUIT, today=day(14), smoked=[]).state == "on_track"


@pytest.mark.parametrize(
    ("smoked_after_grace", "state", "allowance_left"),
    [
        (0, "on_track", 5),
        (1, "on_track", 4),
        (2, "on_track", 3),
        (3, "on_track", 2),
        (4, "on_track", 1),
        (5, "on_track", 0),  # exactly five is still on track
        (6, "off_track", 0),
        (7, "off_track", 0),
        (40, "off_track", 0),
    ],
)
def test_up_to_five_cigarettes_in_total_after_the_grace_period(
    smoked_after_grace, state, allowance_left
):
    smoked = [(day(3), 20)]  # a heavy slip in the grace period does not count
    if smoked_after_grace:
        smoked.append((day(14), smoked_after_grace))

    status = russell_status(quit_date=QUIT, today=day(30), smoked=smoked)

    assert status.state == state
    assert status.smoked_since_grace == smoked_after_grace
    assert status.allowance_left == allowance_left


def test_the_allowance_counts_cigarettes_across_days():
    smoked = [(day(14), 2), (day(20), 2), (day(28), 1)]

    assert russell_status(quit_date=QUIT, today=day(28), smoked=smoked).state == "on_track"
    off = russell_status(quit_date=QUIT, today=day(29), smoked=[*smoked, (day(29), 1)])
    assert off.state == "off_track"
    assert off.smoked_since_grace == 6


def test_the_last_day_of_the_grace_period_is_free_and_the_first_day_after_it_counts():
    status = russell_status(quit_date=QUIT, today=day(20), smoked=[(day(13), 30), (day(14), 6)])

    assert status.state == "off_track"
    assert status.smoked_since_grace == 6


def test_smoking_after_today_or_before_the_quit_date_is_not_counted():
    smoked = [(day(-2), 40), (day(21), 6)]

    status = russell_status(quit_date=QUIT, today=day(20), smoked=smoked)

    assert status.state == "on_track"
    assert status.smoked_since_grace == 0


@pytest.mark.parametrize(
    ("smoked_after_grace", "says", "never_says"),
    [
        (0, "Still on track: no cigarettes since the end of week two.", None),
        (1, "Still on track: 1 cigarette since the end of week two", "1 cigarettes"),
        (2, "Still on track: 2 cigarettes since the end of week two", None),
        (5, "the standard allows up to 5 in total", None),
        (6, "6 cigarettes since the end of week two, more than the 5", "on track"),
    ],
)
def test_russell_messages_are_honest_and_grammatical(smoked_after_grace, says, never_says):
    smoked = [(day(15), smoked_after_grace)] if smoked_after_grace else []

    message = russell_status(quit_date=QUIT, today=day(20), smoked=smoked).message

    assert says in message
    if never_says:
        assert never_says not in message


def test_off_track_is_said_without_blame_and_points_to_a_new_attempt():
    message = russell_status(quit_date=QUIT, today=day(20), smoked=[(day(15), 10)]).message

    assert "not failure" in message
    assert "new quit date" in message


def test_russell_status_against_a_plain_count_for_every_total_and_day():
    """Property: whatever the day and the total, the state follows the rule in words."""
    for today_offset in range(-3, 45):
        for total in range(0, 12):
            # Spread the total across days 14.. so it also checks counting across days.
            smoked = [(day(14 + n), 1) for n in range(total)]
            status = russell_status(quit_date=QUIT, today=day(today_offset), smoked=smoked)
            counted = sum(n for when, n in smoked if day(14) <= when <= day(today_offset))
            if today_offset < 0:
                expected = "not_started"
            elif today_offset < 14:
                expected = "grace"
            elif counted <= 5:
                expected = "on_track"
            else:
                expected = "off_track"
            assert status.state == expected, (today_offset, total)
            if expected in ("on_track", "off_track"):
                assert status.smoked_since_grace == counted
                assert status.allowance_left == max(0, 5 - counted)
            else:
                assert (status.smoked_since_grace, status.allowance_left) == (0, 5)


def test_compute_progress_uses_the_russell_status_of_the_same_days():
    smoked = [(day(2), 10), (day(16), 3)]

    result = progress_on(20, smoked=smoked)

    assert result.russell == russell_status(quit_date=QUIT, today=day(20), smoked=smoked)
    assert result.russell.state == "on_track"
    assert result.russell.smoked_since_grace == 3


# --- The CO window -----------------------------------------------------------------------------


def window(offset: int, *readings: tuple[int, int]):
    return co_window(
        quit_date=QUIT,
        today=day(offset),
        readings=[CORead(day(taken), ppm) for taken, ppm in readings],
    )


def test_the_co_window_is_25_to_42_days_after_the_quit_date():
    result = window(0)

    assert result.opens == day(25)
    assert result.closes == day(42)


@pytest.mark.parametrize(
    ("offset", "state"),
    [
        (-5, "upcoming"),
        (0, "upcoming"),
        (24, "upcoming"),
        (25, "open"),
        (30, "open"),
        (42, "open"),
        (43, "closed"),
        (200, "closed"),
    ],
)
def test_co_window_states(offset, state):
    assert window(offset).state == state


@pytest.mark.parametrize(
    ("taken", "counted"),
    [(0, False), (24, False), (25, True), (33, True), (42, True), (43, False), (60, False)],
)
def test_only_readings_inside_the_window_count(taken, counted):
    result = window(60, (taken, 3))

    assert (result.reading is not None) is counted
    assert result.verified is counted


@pytest.mark.parametrize(
    ("ppm", "verified"), [(0, True), (5, True), (9, True), (10, False), (11, False), (40, False)]
)
def test_a_reading_verifies_only_under_10_ppm(ppm, verified):
    assert CO_CUTOFF_PPM == 10
    result = window(30, (28, ppm))

    assert result.reading == CORead(day(28), ppm)
    assert result.verified is verified
    assert ("Under 10 ppm" in result.message) is verified


def test_the_lowest_reading_in_the_window_is_used():
    result = window(40, (26, 15), (30, 6), (35, 8), (20, 1), (50, 0))

    assert result.reading == CORead(day(30), 6)
    assert result.verified


def test_of_two_equal_readings_the_earlier_is_used():
    assert window(40, (35, 6), (30, 6)).reading == CORead(day(30), 6)


def test_a_high_reading_after_a_low_one_still_verifies():
    assert window(40, (27, 4), (38, 25)).verified


@pytest.mark.parametrize(
    ("offset", "readings", "says"),
    [
        (10, [], "Your 4-week CO check is due between 28 March and 14 April."),
        (25, [], "Your 4-week CO check is due now, until 14 April."),
        (30, [(28, 12)], "4-week CO check done: 12 ppm."),
        (30, [(28, 4)], "4-week CO check done: 4 ppm. Under 10 ppm: your quit is confirmed"),
        (43, [], "The 4-week CO check window has passed without a reading."),
        (43, [(40, 14)], "4-week CO check: 14 ppm."),
        (43, [(40, 2)], "4-week CO check: 2 ppm. Under 10 ppm"),
    ],
)
def test_co_window_messages(offset, readings, says):
    assert says in window(offset, *readings).message


def test_an_unverified_reading_does_not_claim_the_quit_is_confirmed():
    assert "confirmed" not in window(30, (28, 10)).message


def test_compute_progress_carries_the_co_window_and_its_badge():
    verified = progress_on(30, co_readings=[CORead(day(27), 3)])
    not_verified = progress_on(30, co_readings=[CORead(day(27), 10)])
    outside = progress_on(30, co_readings=[CORead(day(20), 3)])

    assert verified.co_window.verified
    assert "Quit confirmed by CO reading" in verified.badges
    assert not not_verified.co_window.verified
    assert "Quit confirmed by CO reading" not in not_verified.badges
    assert outside.co_window.reading is None
    assert "Quit confirmed by CO reading" not in outside.badges


# --- Milestones and badges ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (1, "1 day"),
        (3, "3 days"),
        (7, "7 days"),
        (10, "10 days"),
        (14, "2 weeks"),
        (15, "15 days"),
        (21, "3 weeks"),
        (28, "4 weeks"),
        (42, "6 weeks"),
        (90, "3 months"),
        (182, "6 months"),
        (365, "1 year"),
        (730, "2 years"),
    ],
)
def test_milestone_labels(days, label):
    assert milestone_label(days) == label


@pytest.mark.parametrize(
    ("days_quit", "next_days", "fraction"),
    [
        (0, 1, 0.0),
        (1, 3, 0.0),
        (2, 3, 0.5),
        (3, 7, 0.0),
        (5, 7, 0.5),
        (13, 14, 6 / 7),
        (14, 28, 0.0),
        (21, 28, 0.5),
        (41, 42, 13 / 14),
        (42, 90, 0.0),
        (66, 90, 0.5),
        (364, 365, 182 / 183),
        (365, 730, 0.0),
        (729, 730, 364 / 365),
    ],
)
def test_the_next_milestone_and_the_way_to_it(days_quit, next_days, fraction):
    milestone, progress_fraction = next_milestone(days_quit)

    assert milestone.days == next_days
    assert milestone.label == milestone_label(next_days)
    assert progress_fraction == pytest.approx(fraction)


@pytest.mark.parametrize("days_quit", [730, 731, 5000])
def test_after_the_last_milestone_there_is_none_and_the_bar_is_full(days_quit):
    assert next_milestone(days_quit) == (None, 1.0)


def test_the_fraction_to_the_next_milestone_stays_between_0_and_1_and_resets_at_each():
    for days_quit in range(0, 800):
        milestone, fraction = next_milestone(days_quit)
        assert 0.0 <= fraction <= 1.0
        if days_quit in DAY_MILESTONES:
            assert fraction == (1.0 if milestone is None else 0.0)
        if milestone is not None:
            assert milestone.days > days_quit
            assert not any(days_quit < d < milestone.days for d in DAY_MILESTONES)


def test_compute_progress_rounds_the_fraction_and_starts_at_the_first_milestone():
    before = progress_on(-3)
    two_days = progress_on(2)
    thirteen = progress_on(13)

    assert before.next_milestone.days == 1
    assert before.milestone_fraction == 0.0
    assert two_days.next_milestone.days == 3
    assert two_days.milestone_fraction == 0.5
    assert thirteen.milestone_fraction == 0.857  # 6/7, to three places


def test_badges_for_days_and_money():
    result = progress_on(7)  # 7 days of 20 at 75p: £105

    assert result.money_saved == Decimal("105.00")
    assert result.badges == (
        "1 day smoke-free",
        "3 days smoke-free",
        "7 days smoke-free",
        "£10 saved",
        "£25 saved",
        "£50 saved",
        "£100 saved",
    )


def test_no_badges_before_the_quit_date_or_on_the_day_itself():
    assert progress_on(-2).badges == ()
    assert progress_on(0).badges == ()


def test_a_money_badge_is_earned_at_exactly_its_amount():
    # £10 a day: one cigarette a day from a pack of one at £10.
    exactly = progress_on(1, per_day="1", pack_price="10.00", pack_size=1)
    just_under = progress_on(1, per_day="1", pack_price="9.99", pack_size=1)

    assert exactly.money_saved == Decimal("10.00")
    assert "£10 saved" in exactly.badges
    assert "£10 saved" not in just_under.badges


def test_a_day_badge_is_earned_on_its_day_and_not_before():
    for milestone in DAY_MILESTONES:
        label = f"{milestone_label(milestone)} smoke-free"
        assert label not in progress_on(milestone - 1).badges
        assert label in progress_on(milestone).badges


# --- The health timeline -----------------------------------------------------------------------

STEPS = [
    (20, "20 minutes", "Your pulse starts to settle."),
    (8 * 60, "8 hours", "Carbon monoxide has halved."),
    (48 * 60, "48 hours", "Carbon monoxide has left your body."),
    (365 * 24 * 60, "1 year", "Heart attack risk halves."),
]
QUIT_AT = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed", "reached"),
    [
        (timedelta(minutes=-60), [False, False, False, False]),
        (timedelta(0), [False, False, False, False]),
        (timedelta(minutes=19, seconds=59), [False, False, False, False]),
        (timedelta(minutes=20), [True, False, False, False]),
        (timedelta(hours=8) - timedelta(seconds=1), [True, False, False, False]),
        (timedelta(hours=8), [True, True, False, False]),
        (timedelta(hours=48), [True, True, True, False]),
        (timedelta(days=365) - timedelta(minutes=1), [True, True, True, False]),
        (timedelta(days=365), [True, True, True, True]),
    ],
)
def test_health_timeline_steps_are_reached_at_their_time(elapsed, reached):
    steps = health_timeline(quit_at=QUIT_AT, now=QUIT_AT + elapsed, steps=STEPS)

    assert [step.reached for step in steps] == reached
    assert [(s.after_minutes, s.when_label, s.text) for s in steps] == STEPS


# --- Heaviness of Smoking Index ----------------------------------------------------------------

TIME_TO_FIRST_POINTS = {"5": 3, "30": 2, "60": 1, "61": 0}
CIGARETTES_PER_DAY_POINTS = [
    (Decimal("1"), 0),
    (Decimal("10"), 0),
    (Decimal("10.5"), 1),
    (Decimal("11"), 1),
    (Decimal("20"), 1),
    (Decimal("21"), 2),
    (Decimal("30"), 2),
    (Decimal("31"), 3),
    (Decimal("60"), 3),
]
HSI_LEVELS = {0: "low", 1: "low", 2: "moderate", 3: "moderate", 4: "moderate"} | {
    5: "high",
    6: "high",
}


@pytest.mark.parametrize(("time_to_first", "first_points"), TIME_TO_FIRST_POINTS.items())
@pytest.mark.parametrize(("per_day", "per_day_points"), CIGARETTES_PER_DAY_POINTS)
def test_heaviness_of_smoking_index(time_to_first, first_points, per_day, per_day_points):
    score, level = heaviness_of_smoking_index(
        time_to_first=time_to_first, cigarettes_per_day=per_day
    )

    assert score == first_points + per_day_points
    assert level == HSI_LEVELS[score]


@pytest.mark.parametrize(
    ("time_to_first", "per_day", "expected"),
    [
        ("61", Decimal("10"), (0, "low")),
        ("60", Decimal("10"), (1, "low")),
        ("61", Decimal("21"), (2, "moderate")),
        ("5", Decimal("11"), (4, "moderate")),
        ("30", Decimal("31"), (5, "high")),
        ("5", Decimal("40"), (6, "high")),
    ],
)
def test_hsi_level_boundaries(time_to_first, per_day, expected):
    assert (
        heaviness_of_smoking_index(time_to_first=time_to_first, cigarettes_per_day=per_day)
        == expected
    )


@pytest.mark.parametrize("time_to_first", ["", "0", "15", "never", None])
def test_hsi_is_unknown_without_a_valid_time_to_first_cigarette(time_to_first):
    assert (
        heaviness_of_smoking_index(time_to_first=time_to_first, cigarettes_per_day=Decimal(20))
        is None
    )


# --- Daily series and its summary --------------------------------------------------------------

TODAY = date(2025, 3, 31)


def ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_daily_series_fills_missing_days_and_takes_the_strongest_craving():
    checkins = [
        (ago(7), 9, 9, 9),  # before the window
        (ago(6), 0, 4, 6),
        (ago(3), 2, 7, 5),
        (ago(0), 0, 2, 8),
        (TODAY + timedelta(days=1), 5, 5, 5),  # after it
    ]
    cravings = [
        (ago(3), 9),
        (ago(3), 5),  # the strongest of the day wins over the check-in's 7
        (ago(5), 6),  # no check-in that day: the logged craving alone
        (ago(0), 1),  # weaker than the check-in's 2
        (ago(10), 10),  # before the window
    ]

    points = daily_series(today=TODAY, days=7, checkins=checkins, cravings=cravings)

    assert points == [
        DayPoint(ago(6), 0, 4, 6),
        DayPoint(ago(5), None, 6, None),
        DayPoint(ago(4), None, None, None),
        DayPoint(ago(3), 2, 9, 5),
        DayPoint(ago(2), None, None, None),
        DayPoint(ago(1), None, None, None),
        DayPoint(ago(0), 0, 2, 8),
    ]


@pytest.mark.parametrize("days", [1, 7, 28, 90])
def test_daily_series_has_exactly_the_asked_days_oldest_first_ending_today(days):
    points = daily_series(today=TODAY, days=days, checkins=[])

    assert len(points) == days
    assert points[0].day == TODAY - timedelta(days=days - 1)
    assert points[-1].day == TODAY
    assert [p.day for p in points] == sorted(p.day for p in points)
    assert all(p.cigarettes is None and p.craving is None and p.mood is None for p in points)


def test_a_craving_of_zero_is_recorded_not_missing():
    [point] = daily_series(today=TODAY, days=1, checkins=[], cravings=[(TODAY, 0)])

    assert point.craving == 0


def points_of(*rows: tuple[int | None, int | None, int | None]) -> list[DayPoint]:
    """DayPoints for consecutive days ending today, from (cigarettes, craving, mood)."""
    return [DayPoint(ago(len(rows) - 1 - i), *row) for i, row in enumerate(rows)]


def test_summary_without_check_ins():
    assert (
        series_summary(points_of(*[(None, None, None)] * 7)) == "No check-ins in the last 7 days."
    )


def test_summary_when_smoke_free():
    points = points_of((0, 4, 6), (None, None, None), (0, 4, 6), (0, 4, 6))

    assert series_summary(points) == (
        "In the last 4 days you checked in on 3 days and smoked on none of them. "
        "Cravings averaged 4 out of 10, mood averaged 6 out of 10."
    )


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([(1, 5, 5), (0, 5, 5)], "smoked 1 cigarette on 1 of them"),
        ([(1, 5, 5), (2, 5, 5), (0, 5, 5)], "smoked 3 cigarettes on 2 of them"),
        ([(0, 5, 5)], "checked in on 1 day and"),
        ([(0, 5, 5), (0, 5, 5)], "checked in on 2 days and"),
    ],
)
def test_summary_singular_and_plural(rows, says):
    assert says in series_summary(points_of(*rows))


@pytest.mark.parametrize(
    ("cravings", "trend"),
    [
        ([8, 8, 2, 2], " and falling"),
        ([2, 2, 8, 8], " and rising"),
        ([5, 5, 6, 6], " and rising"),  # late average 6 is more than half a point above 5
        ([5, 5, 5, 6], ""),  # 5.5 is not more than half a point above 5
        ([6, 6, 5, 5], " and falling"),
        ([6, 5, 6, 5], ""),
        ([9, 1], ""),  # too few cravings to call a trend
        ([9, 1, 1], ""),
    ],
)
def test_summary_craving_trend(cravings, trend):
    points = points_of(*[(0, craving, 5) for craving in cravings])

    summary = series_summary(points)

    average = sum(cravings) / len(cravings)
    assert f"Cravings averaged {average:.0f} out of 10{trend}," in summary


def test_summary_counts_logged_cravings_on_days_without_a_check_in():
    points = points_of((None, 8, None), (0, 2, 7))

    summary = series_summary(points)

    assert "checked in on 1 day " in summary
    assert "Cravings averaged 5 out of 10" in summary
    assert "mood averaged 7 out of 10" in summary


def test_no_day_badges_once_past_the_russell_allowance_but_money_badges_stay():
    """A day badge says "smoke-free": after more than 5 cigarettes since week two it would not be
    true. Money saved is still real."""
    on_track = progress_on(30, smoked=[(day(20), 5)])
    off_track = progress_on(30, smoked=[(day(20), 6)])

    assert "4 weeks smoke-free" in on_track.badges
    assert not [badge for badge in off_track.badges if "smoke-free" in badge]
    assert "£100 saved" in off_track.badges
