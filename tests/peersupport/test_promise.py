"""The working-day promise ("a peer specialist usually replies within 1 working day"): when a
reply is due, in the deployment's local time, across weekends, holidays and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from peersupport.promise import is_working_day, reply_due

LONDON = ZoneInfo("Europe/London")


def at(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


# November 2026: Monday the 2nd to Sunday the 8th.
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(2, 9)


def test_the_week_starts_where_the_calendar_says():
    assert [at(2026, 11, d, 12).strftime("%A") for d in (MONDAY, FRIDAY, SUNDAY)] == [
        "Monday",
        "Friday",
        "Sunday",
    ]


def test_a_message_on_a_monday_is_due_on_tuesday_at_the_same_time():
    assert reply_due(at(2026, 11, MONDAY, 14, 30), zone=LONDON) == at(2026, 11, TUESDAY, 14, 30)


def test_a_message_on_a_friday_is_due_on_monday_at_the_same_time():
    assert reply_due(at(2026, 11, FRIDAY, 15), zone=LONDON) == at(2026, 11, 9, 15)


@pytest.mark.parametrize("day", [SATURDAY, SUNDAY])
@pytest.mark.parametrize("hour", [0, 9, 23])
def test_a_weekend_message_counts_from_monday_morning_and_is_due_on_tuesday_at_nine(day, hour):
    assert reply_due(at(2026, 11, day, hour), zone=LONDON) == at(2026, 11, 10, 9)


def test_a_holiday_is_skipped_like_a_weekend():
    bank_holiday = date(2026, 11, 9)  # the Monday after that Friday

    assert reply_due(at(2026, 11, FRIDAY, 15), zone=LONDON, holidays={bank_holiday}) == at(
        2026, 11, 10, 15
    )
    # Sent on the holiday itself: counted from the next working day's morning.
    assert reply_due(at(2026, 11, 9, 11), zone=LONDON, holidays={bank_holiday}) == at(
        2026, 11, 11, 9
    )


def test_christmas_and_boxing_day_push_the_promise_past_the_long_weekend():
    holidays = {date(2026, 12, 25), date(2026, 12, 28)}  # Friday, and Boxing Day's substitute

    assert reply_due(at(2026, 12, 24, 16), zone=LONDON, holidays=holidays) == at(2026, 12, 29, 16)


def test_several_working_days_step_over_the_weekend():
    assert reply_due(at(2026, 11, THURSDAY, 10), zone=LONDON, working_days=3) == at(
        2026, 11, 10, 10
    )
    assert reply_due(at(2026, 11, SATURDAY, 20), zone=LONDON, working_days=2) == at(2026, 11, 11, 9)


def test_the_due_time_keeps_its_wall_time_when_the_clocks_go_forward():
    # British Summer Time starts on Sunday 29 March 2026 at 01:00 GMT.
    sent = at(2026, 3, 27, 15)  # Friday, 15:00 GMT

    due = reply_due(sent, zone=LONDON)

    assert due.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 3, 30, 15)
    assert due.utcoffset() == timedelta(hours=1)
    # Python subtracts two times of one zone by their wall times: compare in UTC.
    assert due.astimezone(UTC) - sent.astimezone(UTC) == timedelta(hours=71)


def test_the_due_time_keeps_its_wall_time_when_the_clocks_go_back():
    # British Summer Time ends on Sunday 25 October 2026 at 01:00 GMT.
    sent = at(2026, 10, 23, 15)  # Friday, 15:00 BST

    due = reply_due(sent, zone=LONDON)

    assert due.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 26, 15)
    assert due.utcoffset() == timedelta(0)
    assert due.astimezone(UTC) - sent.astimezone(UTC) == timedelta(hours=73)


def test_a_time_given_in_utc_is_read_in_the_deployments_zone():
    # 23:30 UTC on Friday 29 May is 00:30 on Saturday in London: a weekend message.
    sent = datetime(2026, 5, 29, 23, 30, tzinfo=UTC)

    assert reply_due(sent, zone=LONDON) == at(2026, 6, 2, 9)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        reply_due(datetime(2026, 11, 2, 14), zone=LONDON)


@pytest.mark.parametrize("working_days", [0, -1])
def test_fewer_than_one_working_day_is_refused(working_days):
    with pytest.raises(ValueError, match="at least 1"):
        reply_due(at(2026, 11, MONDAY, 14), zone=LONDON, working_days=working_days)


def test_every_hour_of_several_weeks_is_due_on_a_working_day_within_four_days():
    # Across the spring clock change, hour by hour (with an odd minute) for five weeks.
    start = datetime(2026, 3, 9, 0, 17, tzinfo=UTC)
    checked = 0
    for hours in range(24 * 7 * 5):
        sent = start + timedelta(hours=hours)
        due = reply_due(sent, zone=LONDON)
        local_sent, local_due = sent.astimezone(LONDON), due.astimezone(LONDON)

        assert is_working_day(local_due.date()), sent
        assert due > sent, sent
        assert due - sent <= timedelta(days=4), sent
        if is_working_day(local_sent.date()):
            assert local_due.time() == local_sent.time(), sent
            assert (local_due.date() - local_sent.date()).days in (1, 3), sent
        else:
            assert local_due.time() == time(9, 0), sent
        checked += 1

    assert checked == 840
