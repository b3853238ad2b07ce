"""Check-in schedule arithmetic: the next reminder after a moment, in the patient's time zone,
around clock changes and quiet hours. Pure Python (no Django).

A schedule is a set of local times of day (daily, or on one weekday). A local time that does not
exist on a day (the hour skipped when clocks go forward) moves forward by the gap; one that
exists twice (clocks going back) is the first of the two. No reminder falls in quiet hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_TIMES = 4
SEARCH_DAYS = 15  # a weekly schedule always has a slot within this


class ScheduleError(ValueError):
    """The schedule cannot work (bad time, a time in quiet hours, an impossible zone)."""


@dataclass(frozen=True)
class Rules:
    zone: ZoneInfo
    times: tuple[time, ...]
    quiet_start: time
    quiet_end: time
    weekday: int | None = None  # None: every day


def parse_time(value: str) -> time:
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError) as exc:
        raise ScheduleError(f"{value!r} is not a time like 19:00.") from exc


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise ScheduleError(f"{name!r} is not a time zone.") from exc


def in_quiet_hours(moment: time, quiet_start: time, quiet_end: time) -> bool:
    """Whether a local time of day falls in quiet hours (which may run past midnight)."""
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= moment < quiet_end
    return moment >= quiet_start or moment < quiet_end


def validate(rules: Rules) -> Rules:
    if not rules.times:
        raise ScheduleError("Choose at least one time.")
    if len(rules.times) > MAX_TIMES:
        raise ScheduleError(f"Choose at most {MAX_TIMES} times a day.")
    for moment in rules.times:
        if in_quiet_hours(moment, rules.quiet_start, rules.quiet_end):
            raise ScheduleError(
                f"{moment:%H:%M} is in quiet hours ({rules.quiet_start:%H:%M} to "
                f"{rules.quiet_end:%H:%M}): choose another time."
            )
    if rules.weekday is not None and not 0 <= rules.weekday <= 6:
        raise ScheduleError("Choose a day of the week.")
    return rules


def local_moment(day: date, moment: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local date and time, resolving clock changes forward."""
    naive = datetime.combine(day, moment)
    aware = naive.replace(tzinfo=zone, fold=0)
    instant = aware.astimezone(UTC)
    # A time skipped by the clocks going forward comes back as a different wall time: that
    # later wall time is when the reminder goes.
    return instant


def next_slot(after: datetime, rules: Rules) -> datetime:
    """The first reminder strictly after `after` (aware), as an aware UTC datetime."""
    validate(rules)
    local_day = after.astimezone(rules.zone).date()
    times = sorted(set(rules.times))
    for offset in range(SEARCH_DAYS):
        day = local_day + timedelta(days=offset)
        if rules.weekday is not None and day.weekday() != rules.weekday:
            continue
        for moment in times:
            slot = local_moment(day, moment, rules.zone)
            if slot > after:
                return slot
    raise ScheduleError("No reminder time found in the next two weeks.")  # pragma: no cover


def slot_day(slot: datetime, zone: ZoneInfo) -> date:
    """The patient's local date of a reminder: the check-in it asks for."""
    return slot.astimezone(zone).date()


def times_for(
    *,
    today: date,
    discharged_on: date | None,
    times: Sequence[str],
    early_times: Sequence[str],
    early_days: int,
) -> tuple[time, ...]:
    """The times in force: the early ones in the first `early_days` after discharge, if set."""
    early = discharged_on is not None and today < discharged_on + timedelta(days=early_days)
    chosen = early_times if early and early_times else times
    return tuple(parse_time(value) for value in chosen)


def next_missed_check(after: datetime, *, zone: ZoneInfo, quiet_end: time) -> datetime:
    """When to look for the check-in of the day that contains `after`: the next morning, when
    quiet hours end, so a gentle reminder about it never wakes anyone."""
    day = after.astimezone(zone).date() + timedelta(days=1)
    return local_moment(day, quiet_end, zone)
