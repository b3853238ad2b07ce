"""Progress arithmetic: days since quitting, money and cigarettes saved, the Russell Standard, the
CO window, milestones, the health timeline, chart series and the Heaviness of Smoking Index.

Pure Python (no Django), so every rule is tested in microseconds. Dates are the patient's own
calendar dates; the caller works out "today" in the patient's time zone.

The Russell Standard (West et al., 2005): a person counts as abstinent if they report smoking no
more than 5 cigarettes in total from two weeks after the quit date (the grace period), verified
by expired CO under 10 ppm; the 4-week reading is taken 25 to 42 days after the quit date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

GRACE_DAYS = 14
RUSSELL_ALLOWANCE = 5
CO_CUTOFF_PPM = 10
CO_WINDOW_DAYS = (25, 42)
GRAMS_PER_ROLLUP = Decimal("0.5")  # a typical hand-rolled cigarette, for grams → cigarettes
DAY_MILESTONES = (1, 3, 7, 14, 28, 42, 90, 182, 365, 730)
MONEY_MILESTONES = (10, 25, 50, 100, 250, 500, 1000, 2500)
PENNY = Decimal("0.01")


@dataclass(frozen=True)
class Baseline:
    """What the person smoked before quitting, from their quit plan."""

    quit_date: date
    product: str  # "cigarettes" | "rollups" | "grams"
    per_day: Decimal
    pack_price: Decimal
    pack_size: int  # cigarettes in a pack; for roll-ups and loose tobacco, grams in a pouch

    @property
    def cigarettes_per_day(self) -> Decimal:
        """Cigarettes a day, counting 0.5 g of loose tobacco as one roll-up."""
        if self.product == "grams":
            return self.per_day / GRAMS_PER_ROLLUP
        return self.per_day

    @property
    def cost_per_cigarette(self) -> Decimal:
        if self.pack_size <= 0:
            return Decimal(0)
        unit_cost = self.pack_price / Decimal(self.pack_size)
        if self.product in ("grams", "rollups"):  # a pouch of tobacco: the size is in grams
            return unit_cost * GRAMS_PER_ROLLUP
        return unit_cost


@dataclass(frozen=True)
class CORead:
    taken_on: date
    ppm: int


@dataclass(frozen=True)
class RussellStatus:
    state: str  # "not_started" | "grace" | "on_track" | "off_track"
    smoked_since_grace: int
    allowance_left: int
    message: str


@dataclass(frozen=True)
class COWindow:
    opens: date
    closes: date
    state: str  # "upcoming" | "open" | "closed"
    reading: CORead | None  # the lowest reading taken inside the window
    verified: bool  # a reading in the window under 10 ppm
    message: str


@dataclass(frozen=True)
class Milestone:
    days: int
    label: str


@dataclass(frozen=True)
class Progress:
    today: date
    started: bool
    days_quit: int  # whole days since the quit date (0 on the day itself)
    days_until_quit: int
    cigarettes_smoked: int  # reported since the quit date
    days_with_smoking: int
    cigarettes_not_smoked: int
    money_saved: Decimal
    russell: RussellStatus
    co_window: COWindow
    next_milestone: Milestone | None
    milestone_fraction: float  # 0..1 towards the next milestone
    badges: tuple[str, ...] = field(default_factory=tuple)


def days_between(start: date, end: date) -> int:
    return (end - start).days


def _money(value: Decimal) -> Decimal:
    return max(Decimal(0), value).quantize(PENNY, rounding=ROUND_HALF_UP)


def milestone_label(days: int) -> str:
    if days == 1:
        return "1 day"
    # Months and years first: 90, 365 and 730 are not whole weeks.
    if days in (90, 182):
        return {90: "3 months", 182: "6 months"}[days]
    if days >= 365 and days % 365 == 0:
        return "1 year" if days == 365 else f"{days // 365} years"
    if days < 14 or days % 7:
        return f"{days} days"
    if days < 90:
        return f"{days // 7} weeks"
    return f"{days} days"


def russell_status(
    *, quit_date: date, today: date, smoked: Iterable[tuple[date, int]]
) -> RussellStatus:
    """Where someone stands against the Russell Standard's allowance of 5 cigarettes in total
    from two weeks after the quit date. Slips in the first two weeks do not count."""
    if today < quit_date:
        return RussellStatus(
            "not_started", 0, RUSSELL_ALLOWANCE, "Your quit date is still to come."
        )
    grace_ends = quit_date + timedelta(days=GRACE_DAYS)
    since_grace = sum(n for day, n in smoked if grace_ends <= day <= today)
    left = max(0, RUSSELL_ALLOWANCE - since_grace)
    if today < grace_ends:
        return RussellStatus(
            "grace",
            0,
            RUSSELL_ALLOWANCE,
            "These are the first two weeks: slips happen, and they do not count against you. "
            "Keep going.",
        )
    if since_grace <= RUSSELL_ALLOWANCE:
        if since_grace == 0:
            message = "Still on track: no cigarettes since the end of week two."
        else:
            noun = "cigarette" if since_grace == 1 else "cigarettes"
            message = (
                f"Still on track: {since_grace} {noun} since the end of week two, and the "
                f"standard allows up to {RUSSELL_ALLOWANCE} in total."
            )
        return RussellStatus("on_track", since_grace, left, message)
    return RussellStatus(
        "off_track",
        since_grace,
        0,
        f"{since_grace} cigarettes since the end of week two, more than the {RUSSELL_ALLOWANCE} "
        "the standard allows. That is not failure: many people quit on a later try. You can "
        "set a new quit date with your care team.",
    )


def co_window(*, quit_date: date, today: date, readings: Iterable[CORead]) -> COWindow:
    """The 4-week CO check: due 25 to 42 days after the quit date; under 10 ppm verifies."""
    opens = quit_date + timedelta(days=CO_WINDOW_DAYS[0])
    closes = quit_date + timedelta(days=CO_WINDOW_DAYS[1])
    in_window = [r for r in readings if opens <= r.taken_on <= closes]
    reading = min(in_window, key=lambda r: (r.ppm, r.taken_on)) if in_window else None
    verified = reading is not None and reading.ppm < CO_CUTOFF_PPM
    if today < opens:
        state, message = (
            "upcoming",
            f"Your 4-week CO check is due between {opens:%-d %B} and {closes:%-d %B}.",
        )
    elif today <= closes:
        state = "open"
        message = (
            f"Your 4-week CO check is due now, until {closes:%-d %B}."
            if reading is None
            else f"4-week CO check done: {reading.ppm} ppm."
        )
    else:
        state = "closed"
        message = (
            f"4-week CO check: {reading.ppm} ppm."
            if reading is not None
            else "The 4-week CO check window has passed without a reading."
        )
    if verified:
        message += " Under 10 ppm: your quit is confirmed by the reading."
    return COWindow(opens, closes, state, reading, verified, message)


def next_milestone(days_quit: int) -> tuple[Milestone | None, float]:
    previous = 0
    for days in DAY_MILESTONES:
        if days_quit < days:
            span = days - previous
            return Milestone(days, milestone_label(days)), max(0.0, (days_quit - previous) / span)
        previous = days
    return None, 1.0


def compute_progress(
    *,
    baseline: Baseline,
    today: date,
    smoked: Sequence[tuple[date, int]],
    co_readings: Sequence[CORead] = (),
) -> Progress:
    """Everything the progress page shows, from the plan, the check-ins and the CO readings.

    Days since quitting are not reset by a slip: the count is honest about slips instead
    (cigarettes smoked, the Russell Standard status)."""
    days_quit = max(0, days_between(baseline.quit_date, today))
    started = today >= baseline.quit_date
    since_quit = [(day, n) for day, n in smoked if baseline.quit_date <= day <= today]
    cigarettes_smoked = sum(n for _, n in since_quit)
    would_have = baseline.cigarettes_per_day * Decimal(days_quit)
    not_smoked = max(Decimal(0), would_have - Decimal(cigarettes_smoked))
    money = _money(not_smoked * baseline.cost_per_cigarette)
    russell = russell_status(quit_date=baseline.quit_date, today=today, smoked=smoked)
    window = co_window(quit_date=baseline.quit_date, today=today, readings=co_readings)
    milestone, fraction = next_milestone(days_quit) if started else (Milestone(1, "1 day"), 0.0)
    # "Smoke-free" in the Russell Standard's sense: any slips in the first two weeks, no more than
    # 5 cigarettes since. Someone past that allowance gets no day badges: they would not be true.
    smoke_free = started and russell.state != "off_track"
    badges = [
        f"{milestone_label(d)} smoke-free" for d in DAY_MILESTONES if smoke_free and days_quit >= d
    ]
    badges += [f"£{m} saved" for m in MONEY_MILESTONES if money >= m]
    if window.verified:
        badges.append("Quit confirmed by CO reading")
    return Progress(
        today=today,
        started=started,
        days_quit=days_quit,
        days_until_quit=max(0, days_between(today, baseline.quit_date)),
        cigarettes_smoked=cigarettes_smoked,
        days_with_smoking=sum(1 for _, n in since_quit if n > 0),
        cigarettes_not_smoked=int(not_smoked),
        money_saved=money,
        russell=russell,
        co_window=window,
        next_milestone=milestone,
        milestone_fraction=round(fraction, 3),
        badges=tuple(badges),
    )


@dataclass(frozen=True)
class TimelineStep:
    after_minutes: int
    when_label: str
    text: str
    reached: bool


def health_timeline(
    *, quit_at: datetime, now: datetime, steps: Iterable[tuple[int, str, str]]
) -> list[TimelineStep]:
    """Which health-benefit steps (minutes after the last cigarette, label, text) are reached."""
    elapsed = (now - quit_at).total_seconds() / 60
    return [
        TimelineStep(minutes, label, text, elapsed >= minutes) for minutes, label, text in steps
    ]


def heaviness_of_smoking_index(
    *, time_to_first: str, cigarettes_per_day: Decimal
) -> tuple[int, str] | None:
    """HSI (0-6): minutes to the first cigarette after waking (3 for within 5, 2 for 6-30, 1 for
    31-60, 0 after 60) plus cigarettes a day (0 for 10 or fewer, 1 for 11-20, 2 for 21-30, 3 for
    31 or more). 0-1 low, 2-4 moderate, 5-6 high dependence."""
    first = {"5": 3, "30": 2, "60": 1, "61": 0}.get(time_to_first)
    if first is None:
        return None
    cpd = cigarettes_per_day
    per_day = 0 if cpd <= 10 else 1 if cpd <= 20 else 2 if cpd <= 30 else 3
    score = first + per_day
    level = "low" if score <= 1 else "moderate" if score <= 4 else "high"
    return score, level


@dataclass(frozen=True)
class DayPoint:
    day: date
    cigarettes: int | None  # None: no check-in that day
    craving: int | None  # the strongest craving reported that day
    mood: int | None


def daily_series(
    *,
    today: date,
    days: int,
    checkins: Iterable[tuple[date, int, int, int]],
    cravings: Iterable[tuple[date, int]] = (),
) -> list[DayPoint]:
    """The last `days` days, oldest first: (day, cigarettes, craving, mood) from check-ins, with
    the strongest craving of the day taking logged cravings into account."""
    start = today - timedelta(days=days - 1)
    by_day = {day: (cigs, craving, mood) for day, cigs, craving, mood in checkins}
    strongest: dict[date, int] = {}
    for day, intensity in cravings:
        strongest[day] = max(strongest.get(day, 0), intensity)
    points = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        cigs, craving, mood = by_day.get(day, (None, None, None))
        logged = strongest.get(day)
        if logged is not None:
            craving = logged if craving is None else max(craving, logged)
        points.append(DayPoint(day, cigs, craving, mood))
    return points


def series_summary(points: Sequence[DayPoint]) -> str:
    """A sentence a screen reader (or anyone) can take in instead of the chart."""
    recorded = [p for p in points if p.cigarettes is not None]
    if not recorded:
        return f"No check-ins in the last {len(points)} days."
    total = sum(p.cigarettes or 0 for p in recorded)
    smoking_days = sum(1 for p in recorded if p.cigarettes)
    parts = [
        f"In the last {len(points)} days you checked in on {len(recorded)} "
        f"day{'s' if len(recorded) != 1 else ''}",
        f"and smoked {total} cigarette{'s' if total != 1 else ''} on {smoking_days} of them"
        if total
        else "and smoked on none of them",
    ]
    cravings = [p.craving for p in points if p.craving is not None]
    if cravings:
        half = len(cravings) // 2
        trend = ""
        if half >= 2:
            early, late = sum(cravings[:half]) / half, sum(cravings[-half:]) / half
            trend = (
                " and falling"
                if late < early - 0.5
                else " and rising"
                if late > early + 0.5
                else ""
            )
        parts.append(f"Cravings averaged {sum(cravings) / len(cravings):.0f} out of 10{trend}")
    moods = [p.mood for p in points if p.mood is not None]
    if moods:
        parts.append(f"mood averaged {sum(moods) / len(moods):.0f} out of 10")
    return f"{parts[0]} {parts[1]}. " + (
        ", ".join(parts[2:]).capitalize() + "." if parts[2:] else ""
    )
