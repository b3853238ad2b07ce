"""Deterioration against the person's own baseline, after each check-in. Pure Python.

Each rule compares the latest check-ins with the person's usual (their median over the days
before), so a person whose mood is always 4 is not flagged for a 4, and a person whose mood is
usually 8 is noticed at 5. Thresholds come from settings (CESSATION_DETERIORATION).

The safety answer is not a rule here: "yes" to thoughts of self-harm raises a crisis flag at once,
in the check-in itself (cessation.services.checkin_submit).

Withdrawal symptoms (irritability, low mood, poor sleep in the first weeks after quitting) are
expected; the product says so to the patient, but these rules never discount them: a clinician
decides what a fall means.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

POOR_SLEEP = frozenset({"poorly", "hardly"})
GOOD_SLEEP = frozenset({"well", "ok"})

DEFAULTS: Mapping[str, float] = {
    "baseline_days": 14,  # the usual is taken from this many days before the recent check-ins
    "min_baseline": 4,  # fewer check-ins than this in the baseline: no comparison yet
    "sustained": 3,  # how many recent check-ins a change must last
    "mood_drop": 3,  # points below the usual mood, at each of the recent check-ins
    "craving_rise": 2,  # points above the usual craving, on average, with…
    "mood_fall": 2,  # …points below the usual mood, on average
    "good_sleep_share": 0.5,  # sleep "collapses" from a usual of at least this share of good nights
}


@dataclass(frozen=True)
class Reading:
    day: date
    mood: int
    craving: int
    sleep: str


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # "medium" | "high"
    reason: str


def _split(readings: Sequence[Reading], settings: Mapping[str, float]):
    ordered = sorted(readings, key=lambda r: r.day)
    sustained = int(settings["sustained"])
    recent = ordered[-sustained:]
    if len(recent) < sustained:
        return recent, []
    since = recent[0].day - timedelta(days=int(settings["baseline_days"]))
    baseline = [r for r in ordered[:-sustained] if r.day >= since]
    return recent, baseline


def assess(
    readings: Sequence[Reading], settings: Mapping[str, float] | None = None
) -> list[Finding]:
    """What, in the latest check-ins, is worse than this person's usual."""
    settings = {**DEFAULTS, **(settings or {})}
    findings: list[Finding] = []
    recent, baseline = _split(readings, settings)
    if len(recent) < settings["sustained"] or len(baseline) < settings["min_baseline"]:
        return findings
    usual_mood = statistics.median(r.mood for r in baseline)
    usual_craving = statistics.median(r.craving for r in baseline)
    moods = [r.mood for r in recent]
    if all(m <= usual_mood - settings["mood_drop"] for m in moods):
        findings.append(
            Finding(
                "mood_drop",
                "medium",
                f"Mood has fallen from their usual {usual_mood:g} to "
                f"{', '.join(str(m) for m in moods)} over the last {len(recent)} check-ins.",
            )
        )
    good_share = sum(r.sleep in GOOD_SLEEP for r in baseline) / len(baseline)
    if good_share >= settings["good_sleep_share"] and all(r.sleep in POOR_SLEEP for r in recent):
        findings.append(
            Finding(
                "sleep_collapse",
                "medium",
                f"Sleep has collapsed: poor or hardly any at the last {len(recent)} check-ins, "
                f"after mostly sleeping well or OK.",
            )
        )
    mean_craving = statistics.mean(r.craving for r in recent)
    mean_mood = statistics.mean(moods)
    if (
        mean_craving >= usual_craving + settings["craving_rise"]
        and mean_mood <= usual_mood - settings["mood_fall"]
    ):
        findings.append(
            Finding(
                "cravings_and_mood",
                "medium",
                f"Cravings are up (about {mean_craving:.0f}/10 against a usual {usual_craving:g}) "
                f"while mood is down (about {mean_mood:.0f}/10 against a usual {usual_mood:g}).",
            )
        )
    return findings
