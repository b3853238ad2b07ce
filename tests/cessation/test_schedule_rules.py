"""The check-in schedule arithmetic (cessation/schedule.py): pure functions, no database.

The next reminder after a moment, daily and weekly, in London (GMT and BST, across both clock
changes), New York and Kolkata; quiet hours; the early times after discharge; when the missed
check-in is looked for; and the bad input a schedule can be given.

2025's clock changes: London goes forward at 01:00 GMT on Sunday 30 March and back at 01:00 GMT
on Sunday 26 October; New York forward on 9 March and back on 2 November.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from cessation.schedule import (
    MAX_TIMES,
    Rules,
    ScheduleError,
    in_quiet_hours,
    local_moment,
    next_missed_check,
    next_slot,
    parse_time,
    slot_day,
    times_for,
    validate,
    zone_of,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
QUIET = (time(22, 0), time(8, 0))
NO_QUIET = (time(0, 0), time(0, 0))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rules(
    *times: str,
    zone: ZoneInfo = LONDON,
    quiet: tuple[time, time] = QUIET,
    weekday: int | None = None,
) -> Rules:
    return Rules(
        zone=zone,
        times=tuple(parse_time(t) for t in times),
        quiet_start=quiet[0],
        quiet_end=quiet[1],
        weekday=weekday,
    )


# --- The next slot --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "times", "after", "expected"),
    [
        # London in summer (BST, UTC+1): 19:00 local is 18:00 UTC.
        (LONDON, ["19:00"], utc(2025, 7, 15, 11, 0), utc(2025, 7, 15, 18, 0)),
        # …and in winter (GMT): 19:00 local is 19:00 UTC.
        (LONDON, ["19:00"], utc(2025, 1, 15, 11, 0), utc(2025, 1, 15, 19, 0)),
        # After today's slot: tomorrow's.
        (LONDON, ["19:00"], utc(2025, 7, 15, 18, 1), utc(2025, 7, 16, 18, 0)),
        # Several times a day: the next of them, then tomorrow's first.
        (LONDON, ["09:30", "19:00"], utc(2025, 7, 15, 7, 0), utc(2025, 7, 15, 8, 30)),
        (LONDON, ["09:30", "19:00"], utc(2025, 7, 15, 9, 0), utc(2025, 7, 15, 18, 0)),
        (LONDON, ["09:30", "19:00"], utc(2025, 7, 15, 18, 30), utc(2025, 7, 16, 8, 30)),
        # The order the times are given in does not matter.
        (LONDON, ["19:00", "09:30"], utc(2025, 7, 15, 7, 0), utc(2025, 7, 15, 8, 30)),
        # New York, EDT (UTC-4) in summer: 19:00 local is 23:00 UTC.
        (NEW_YORK, ["19:00"], utc(2025, 7, 15, 12, 0), utc(2025, 7, 15, 23, 0)),
        # EST (UTC-5) in winter: 19:00 local is midnight UTC, the next UTC date.
        (NEW_YORK, ["19:00"], utc(2025, 1, 15, 23, 30), utc(2025, 1, 16, 0, 0)),
        # 01:00 UTC on the 16th is still the 15th in New York, after its 19:00: the 16th's.
        (NEW_YORK, ["19:00"], utc(2025, 1, 16, 1, 0), utc(2025, 1, 17, 0, 0)),
        # Kolkata, UTC+05:30 all year: 19:00 local is 13:30 UTC.
        (KOLKATA, ["19:00"], utc(2025, 7, 15, 12, 0), utc(2025, 7, 15, 13, 30)),
        (KOLKATA, ["19:00"], utc(2025, 7, 15, 14, 0), utc(2025, 7, 16, 13, 30)),
        # 20:00 UTC is already 01:30 on the 16th in Kolkata: that day's 19:00.
        (KOLKATA, ["19:00"], utc(2025, 7, 15, 20, 0), utc(2025, 7, 16, 13, 30)),
        (KOLKATA, ["08:15"], utc(2025, 7, 15, 2, 0), utc(2025, 7, 15, 2, 45)),
    ],
)
def test_the_next_daily_slot_is_the_first_local_time_after_the_moment(zone, times, after, expected):
    assert next_slot(after, rules(*times, zone=zone)) == expected


@pytest.mark.parametrize(
    ("zone", "times", "at"),
    [
        (LONDON, ["19:00"], utc(2025, 7, 15, 18, 0)),
        (LONDON, ["09:30", "19:00"], utc(2025, 7, 15, 8, 30)),
        (NEW_YORK, ["19:00"], utc(2025, 1, 16, 0, 0)),
        (KOLKATA, ["19:00"], utc(2025, 7, 15, 13, 30)),
    ],
)
def test_a_slot_exactly_at_the_moment_is_not_the_next_one(zone, times, at):
    later = next_slot(at, rules(*times, zone=zone))

    assert later > at
    # …and a moment before it does return it: the comparison is strict, not a day off.
    assert next_slot(at - timedelta(seconds=1), rules(*times, zone=zone)) == at


def test_the_next_slot_is_an_aware_utc_moment_even_when_asked_with_a_local_one():
    after = datetime(2025, 7, 15, 12, 0, tzinfo=LONDON)  # 11:00 UTC

    slot = next_slot(after, rules("19:00"))

    assert slot == utc(2025, 7, 15, 18, 0)
    assert slot.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Tuesday 15 July → Monday 21 July at 19:00 BST.
        (utc(2025, 7, 15, 11, 0), utc(2025, 7, 21, 18, 0)),
        # Monday morning → the same Monday evening.
        (utc(2025, 7, 21, 9, 0), utc(2025, 7, 21, 18, 0)),
        # Monday at the slot itself → the Monday after.
        (utc(2025, 7, 21, 18, 0), utc(2025, 7, 28, 18, 0)),
        # Monday after the slot → the Monday after.
        (utc(2025, 7, 21, 20, 0), utc(2025, 7, 28, 18, 0)),
        # Across the October change: Monday 20 Oct (BST) → Monday 27 Oct (GMT), 19:00 both.
        (utc(2025, 10, 20, 18, 0), utc(2025, 10, 27, 19, 0)),
    ],
)
def test_a_weekly_schedule_reminds_on_its_weekday_only(after, expected):
    assert next_slot(after, rules("19:00", weekday=0)) == expected
    assert expected.astimezone(LONDON).weekday() == 0
    assert expected.astimezone(LONDON).time() == time(19, 0)


def test_a_weekly_schedule_with_several_times_uses_each_on_its_day():
    weekly = rules("09:30", "19:00", weekday=4)  # Fridays

    first = next_slot(utc(2025, 7, 15, 11, 0), weekly)
    second = next_slot(first, weekly)
    third = next_slot(second, weekly)

    assert [first, second, third] == [
        utc(2025, 7, 18, 8, 30),
        utc(2025, 7, 18, 18, 0),
        utc(2025, 7, 25, 8, 30),
    ]


def test_every_weekday_finds_its_next_slot_from_every_day_of_the_week():
    for weekday in range(7):
        for offset in range(8):
            after = utc(2025, 7, 14, 12, 0) + timedelta(days=offset)
            slot = next_slot(after, rules("19:00", weekday=weekday))
            local = slot.astimezone(LONDON)
            assert local.weekday() == weekday
            assert local.time() == time(19, 0)
            assert timedelta(0) < slot - after <= timedelta(days=7)


# --- Clock changes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Saturday 29 March, 20:00 GMT → Sunday 30 March 19:00 BST (18:00 UTC).
        (utc(2025, 3, 29, 20, 0), utc(2025, 3, 30, 18, 0)),
        # Saturday 29 March before the slot: 19:00 GMT that day.
        (utc(2025, 3, 29, 12, 0), utc(2025, 3, 29, 19, 0)),
        # Saturday 25 October, 20:00 BST → Sunday 26 October 19:00 GMT (19:00 UTC).
        (utc(2025, 10, 25, 19, 0), utc(2025, 10, 26, 19, 0)),
        (utc(2025, 10, 25, 12, 0), utc(2025, 10, 25, 18, 0)),
    ],
)
def test_a_19_00_reminder_stays_at_19_00_local_on_both_sides_of_a_clock_change(after, expected):
    slot = next_slot(after, rules("19:00"))

    assert slot == expected
    assert slot.astimezone(LONDON).time() == time(19, 0)


def test_a_week_of_daily_reminders_across_the_spring_change_is_always_19_00_local():
    slot = utc(2025, 3, 27, 12, 0)
    seen = []
    for _ in range(7):
        slot = next_slot(slot, rules("19:00"))
        seen.append(slot)

    assert {s.astimezone(LONDON).time() for s in seen} == {time(19, 0)}
    assert [s.astimezone(LONDON).date() for s in seen] == [
        date(2025, 3, 27) + timedelta(days=n) for n in range(7)
    ]
    # 24 hours apart, except the 23-hour day of the change.
    gaps = [b - a for a, b in pairwise(seen)]
    assert gaps.count(timedelta(hours=23)) == 1
    assert gaps.count(timedelta(hours=24)) == 5


def test_a_time_in_the_hour_skipped_in_march_moves_forward_by_the_gap():
    # 01:30 does not exist in London on 30 March 2025: the clocks go from 01:00 to 02:00.
    slot = next_slot(utc(2025, 3, 29, 12, 0), rules("01:30", quiet=NO_QUIET))

    assert slot == utc(2025, 3, 30, 1, 30)
    assert slot.astimezone(LONDON).replace(tzinfo=None) == datetime(2025, 3, 30, 2, 30)


def test_the_day_after_a_skipped_time_is_back_to_normal():
    first = next_slot(utc(2025, 3, 29, 12, 0), rules("01:30", quiet=NO_QUIET))

    second = next_slot(first, rules("01:30", quiet=NO_QUIET))

    assert second == utc(2025, 3, 31, 0, 30)  # 01:30 BST
    assert second.astimezone(LONDON).time() == time(1, 30)


def test_a_time_in_the_hour_repeated_in_october_is_its_first_occurrence():
    # 01:30 happens twice in London on 26 October 2025: at 00:30 UTC (BST) and 01:30 UTC (GMT).
    slot = next_slot(utc(2025, 10, 25, 12, 0), rules("01:30", quiet=NO_QUIET))

    assert slot == utc(2025, 10, 26, 0, 30)


def test_the_repeated_hour_does_not_remind_twice():
    first = next_slot(utc(2025, 10, 25, 12, 0), rules("01:30", quiet=NO_QUIET))

    # Asked again from the first occurrence (or during the repeated hour): the next day, not the
    # second 01:30 of the same night.
    assert next_slot(first, rules("01:30", quiet=NO_QUIET)) == utc(2025, 10, 27, 1, 30)
    assert next_slot(utc(2025, 10, 26, 1, 0), rules("01:30", quiet=NO_QUIET)) == utc(
        2025, 10, 27, 1, 30
    )


def test_new_york_changes_its_clocks_on_its_own_dates():
    # 9 March 2025 New York goes forward: 19:00 EST on the 8th, 19:00 EDT on the 9th.
    assert next_slot(utc(2025, 3, 8, 12, 0), rules("19:00", zone=NEW_YORK)) == utc(2025, 3, 9, 0)
    assert next_slot(utc(2025, 3, 9, 12, 0), rules("19:00", zone=NEW_YORK)) == utc(2025, 3, 9, 23)
    # 2 November 2025 it goes back: 19:00 EDT on the 1st, 19:00 EST on the 2nd.
    assert next_slot(utc(2025, 11, 1, 12, 0), rules("19:00", zone=NEW_YORK)) == utc(2025, 11, 1, 23)
    assert next_slot(utc(2025, 11, 2, 12, 0), rules("19:00", zone=NEW_YORK)) == utc(2025, 11, 3, 0)


def test_local_moment_resolves_skipped_and_repeated_times_and_slot_day_reads_them_back():
    skipped = local_moment(date(2025, 3, 30), time(1, 30), LONDON)
    repeated = local_moment(date(2025, 10, 26), time(1, 30), LONDON)

    assert skipped == utc(2025, 3, 30, 1, 30)
    assert repeated == utc(2025, 10, 26, 0, 30)
    assert slot_day(skipped, LONDON) == date(2025, 3, 30)
    # 19:00 in New York on 15 January is already the 16th in UTC; its check-in is the 15th's.
    assert slot_day(utc(2025, 1, 16, 0, 0), NEW_YORK) == date(2025, 1, 15)
    # 20:00 UTC on 15 July is the 16th in Kolkata.
    assert slot_day(utc(2025, 7, 15, 20, 0), KOLKATA) == date(2025, 7, 16)


# --- Quiet hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(22, 0), True),
        (time(23, 59), True),
        (time(0, 0), True),
        (time(3, 0), True),
        (time(7, 59), True),
        (time(8, 0), False),
        (time(12, 0), False),
        (time(21, 59), False),
    ],
)
def test_quiet_hours_that_cross_midnight(moment, quiet):
    assert in_quiet_hours(moment, time(22, 0), time(8, 0)) is quiet


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(11, 59), False),
        (time(12, 0), True),
        (time(13, 0), True),
        (time(13, 59), True),
        (time(14, 0), False),
        (time(23, 0), False),
        (time(3, 0), False),
    ],
)
def test_quiet_hours_in_the_daytime(moment, quiet):
    assert in_quiet_hours(moment, time(12, 0), time(14, 0)) is quiet


@pytest.mark.parametrize("moment", [time(0, 0), time(3, 0), time(12, 0), time(22, 30)])
def test_equal_start_and_end_means_no_quiet_hours(moment):
    assert in_quiet_hours(moment, time(22, 0), time(22, 0)) is False
    assert validate(rules(f"{moment:%H:%M}", quiet=(time(22, 0), time(22, 0))))


@pytest.mark.parametrize(
    ("times", "quiet", "message"),
    [
        (["22:30"], QUIET, "22:30 is in quiet hours (22:00 to 08:00)"),
        (["22:00"], QUIET, "22:00 is in quiet hours (22:00 to 08:00)"),
        (["06:45"], QUIET, "06:45 is in quiet hours (22:00 to 08:00)"),
        (["00:00"], QUIET, "00:00 is in quiet hours"),
        # One good time does not excuse a bad one.
        (["19:00", "23:15"], QUIET, "23:15 is in quiet hours"),
        (["13:00"], (time(12, 0), time(14, 0)), "13:00 is in quiet hours (12:00 to 14:00)"),
    ],
)
def test_a_time_in_quiet_hours_is_refused_with_a_clear_message(times, quiet, message):
    with pytest.raises(ScheduleError, match="choose another time") as refused:
        validate(rules(*times, quiet=quiet))

    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("times", "quiet"),
    [
        (["08:00"], QUIET),
        (["21:59"], QUIET),
        (["09:30", "19:00"], QUIET),
        (["11:59", "14:00"], (time(12, 0), time(14, 0))),
        (["23:00"], (time(12, 0), time(14, 0))),
    ],
)
def test_a_time_outside_quiet_hours_is_accepted(times, quiet):
    checked = rules(*times, quiet=quiet)

    assert validate(checked) is checked


def test_next_slot_refuses_rules_with_a_time_in_quiet_hours():
    with pytest.raises(ScheduleError, match="quiet hours"):
        next_slot(utc(2025, 7, 15, 11, 0), rules("23:00"))


# --- The early times after discharge --------------------------------------------------------


DISCHARGED = date(2025, 7, 1)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (DISCHARGED, (time(9, 30), time(19, 0))),
        (DISCHARGED + timedelta(days=13), (time(9, 30), time(19, 0))),  # the 14th day
        (DISCHARGED + timedelta(days=14), (time(19, 0),)),  # the 15th: back to normal
        (DISCHARGED + timedelta(days=60), (time(19, 0),)),
    ],
)
def test_the_early_times_apply_only_in_the_first_days_after_discharge(today, expected):
    chosen = times_for(
        today=today,
        discharged_on=DISCHARGED,
        times=["19:00"],
        early_times=["09:30", "19:00"],
        early_days=14,
    )

    assert chosen == expected


def test_without_a_discharge_date_or_early_times_the_usual_times_apply():
    usual = (time(19, 0),)

    assert (
        times_for(
            today=DISCHARGED,
            discharged_on=None,
            times=["19:00"],
            early_times=["09:30", "19:00"],
            early_days=14,
        )
        == usual
    )
    assert (
        times_for(
            today=DISCHARGED,
            discharged_on=DISCHARGED,
            times=["19:00"],
            early_times=[],
            early_days=14,
        )
        == usual
    )


def test_the_number_of_early_days_is_configurable():
    chosen = times_for(
        today=DISCHARGED + timedelta(days=20),
        discharged_on=DISCHARGED,
        times=["19:00"],
        early_times=["09:30", "19:00"],
        early_days=28,
    )

    assert chosen == (time(9, 30), time(19, 0))


# --- When a missed check-in is looked for ---------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "after", "expected"),
    [
        # 19:00 BST on the 15th → 08:00 BST on the 16th.
        (LONDON, utc(2025, 7, 15, 18, 0), utc(2025, 7, 16, 7, 0)),
        # 09:30 BST on the 15th: still the 15th, so the morning of the 16th.
        (LONDON, utc(2025, 7, 15, 8, 30), utc(2025, 7, 16, 7, 0)),
        # 19:00 GMT on Saturday 29 March → 08:00 BST on Sunday 30 March (the clocks went forward).
        (LONDON, utc(2025, 3, 29, 19, 0), utc(2025, 3, 30, 7, 0)),
        # 19:00 BST on Saturday 25 October → 08:00 GMT on Sunday 26 October.
        (LONDON, utc(2025, 10, 25, 18, 0), utc(2025, 10, 26, 8, 0)),
        # 19:00 EST on 15 January (midnight UTC on the 16th) → 08:00 EST on the 16th.
        (NEW_YORK, utc(2025, 1, 16, 0, 0), utc(2025, 1, 16, 13, 0)),
        # 19:00 IST on the 15th → 08:00 IST on the 16th.
        (KOLKATA, utc(2025, 7, 15, 13, 30), utc(2025, 7, 16, 2, 30)),
    ],
)
def test_a_missed_check_in_is_looked_for_the_next_local_morning_when_quiet_hours_end(
    zone, after, expected
):
    assert next_missed_check(after, zone=zone, quiet_end=time(8, 0)) == expected


def test_the_missed_check_follows_the_quiet_hours_end():
    assert next_missed_check(utc(2025, 7, 15, 18, 0), zone=LONDON, quiet_end=time(9, 15)) == utc(
        2025, 7, 16, 8, 15
    )


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["25:00", "7pm", "", "19:60", "19:00:00", "-1:00", "noon"])
def test_a_time_that_is_not_a_time_is_refused_with_a_clear_message(value):
    with pytest.raises(ScheduleError, match="is not a time like 19:00"):
        parse_time(value)


@pytest.mark.parametrize(("value", "expected"), [("19:00", time(19, 0)), (" 07:05 ", time(7, 5))])
def test_a_time_is_read_as_hours_and_minutes(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../../etc/passwd", "GMT+25"])
def test_an_impossible_time_zone_is_refused_with_a_clear_message(name):
    with pytest.raises(ScheduleError, match="is not a time zone"):
        zone_of(name)


@pytest.mark.parametrize("name", ["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"])
def test_a_real_time_zone_is_accepted(name):
    assert zone_of(name) == ZoneInfo(name)


def test_too_many_times_a_day_are_refused():
    allowed = ["09:00", "12:00", "15:00", "18:00", "20:00"][:MAX_TIMES]
    assert validate(rules(*allowed))

    with pytest.raises(ScheduleError, match=f"at most {MAX_TIMES} times a day"):
        validate(rules(*allowed, "21:00"))


def test_a_schedule_needs_at_least_one_time():
    with pytest.raises(ScheduleError, match="at least one time"):
        validate(rules())


@pytest.mark.parametrize("weekday", [-1, 7, 12])
def test_a_weekday_out_of_range_is_refused(weekday):
    with pytest.raises(ScheduleError, match="Choose a day of the week"):
        validate(rules("19:00", weekday=weekday))


@pytest.mark.parametrize("weekday", [0, 6])
def test_monday_to_sunday_are_weekdays(weekday):
    assert validate(rules("19:00", weekday=weekday))
