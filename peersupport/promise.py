"""When a peer specialist's reply is due: "usually within 1 working day". Pure Python.

A message sent on a working day is due at the same time on the next working day (Friday 15:00 →
Monday 15:00). One sent on a weekend or a holiday counts from the start of the next working day
(Saturday → Monday 09:00 → due Tuesday 09:00). Times are local to the deployment, and the due
time is built in that zone, so a change of clocks in between does not shift it by an hour.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_START = time(9, 0)


def is_working_day(day: date, holidays: Collection[date] = ()) -> bool:
    return day.weekday() < 5 and day not in holidays


def next_working_day(day: date, holidays: Collection[date] = ()) -> date:
    day += timedelta(days=1)
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    return day


def reply_due(
    sent_at: datetime,
    *,
    zone: ZoneInfo,
    working_days: int = 1,
    holidays: Collection[date] = (),
    day_start: time = DAY_START,
) -> datetime:
    """The moment the promise runs out for a message sent at `sent_at` (an aware datetime)."""
    if sent_at.tzinfo is None:
        raise ValueError("sent_at must be timezone-aware")
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    local = sent_at.astimezone(zone)
    day, at = local.date(), local.time().replace(tzinfo=None)
    if not is_working_day(day, holidays):
        day, at = next_working_day(day, holidays), day_start
    for _ in range(working_days):
        day = next_working_day(day, holidays)
    return datetime.combine(day, at, tzinfo=zone)
