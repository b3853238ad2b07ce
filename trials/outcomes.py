"""The trial's outcome rules: the Russell Standard and CO verification, as pure functions (no
Django), used by the follow-up pages, the dashboard, the exports and their data dictionary.

Each rule's docstring is its definition: the dashboard shows it beside the figure and the data
dictionary gives it as the derivation, so keep them in plain words and exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

# A breath carbon monoxide reading below this (parts per million) verifies abstinence.
CO_THRESHOLD_PPM = 10
# The Russell Standard counts smoking from this many days after the quit date (a grace period).
GRACE_DAYS = 14
# The answers to "Since <date>, have you smoked?" (FollowUp.SmokedSince values).
SMOKED_NONE = "none"
SMOKED_UP_TO_FIVE = "up_to_5"
SMOKED_MORE = "more"
SMOKED_SINCE_VALUES = (SMOKED_NONE, SMOKED_UP_TO_FIVE, SMOKED_MORE)


def grace_end(quit_date: date) -> date:
    """The date smoking is counted from: two weeks after the quit date (Russell Standard)."""
    return quit_date + timedelta(days=GRACE_DAYS)


def abstinent_self_report(smoked_since: str | None) -> bool | None:
    """Abstinent by self-report (Russell Standard): the participant says they have smoked no
    more than 5 cigarettes in all since two weeks after their quit date ("not even a puff" or
    "1 to 5 cigarettes"). "More than 5" is not abstinent. No answer is missing (None)."""
    if smoked_since in (SMOKED_NONE, SMOKED_UP_TO_FIVE):
        return True
    if smoked_since == SMOKED_MORE:
        return False
    if smoked_since in (None, ""):
        return None
    raise ValueError(f"Unknown answer {smoked_since!r}")


def abstinent_7_days(smoked_last_7_days: bool | None) -> bool | None:
    """Seven-day point prevalence abstinence (a secondary outcome): no smoking at all, not even
    a puff, in the last 7 days. No answer is missing (None)."""
    if smoked_last_7_days is None:
        return None
    return not smoked_last_7_days


def co_verified(ppm: int) -> bool:
    """A breath carbon monoxide reading verifies abstinence when it is below 10 ppm (parts per
    million): 9 verifies, 10 does not."""
    if ppm < 0:
        raise ValueError("A CO reading is never negative.")
    return ppm < CO_THRESHOLD_PPM


def co_in_window(taken_on: date | None, opens_on: date | None, closes_on: date | None) -> bool:
    """Whether a CO reading was taken inside the follow-up's window (both days included)."""
    if taken_on is None:
        return False
    if opens_on is not None and taken_on < opens_on:
        return False
    return not (closes_on is not None and taken_on > closes_on)


@dataclass(frozen=True)
class Outcome:
    """A participant's smoking outcome at one follow-up.

    - `self_reported`: abstinent by self-report (Russell Standard), None when not answered.
    - `verified`: abstinent and verified by CO, None when something needed is missing.
    - `itt_abstinent_self`, `itt_abstinent_verified`: intention to treat; anyone whose value
      is missing counts as smoking.
    - `missing_self`: no self-report; `missing_co`: the point needs a CO reading and there is
      none (inside the window) for someone who did not say they smoke.
    - `co_required`: whether this point verifies abstinence by CO.
    - `abstinent_7_days`: seven-day point prevalence (secondary), None when not answered.
    """

    self_reported: bool | None
    verified: bool | None
    itt_abstinent_self: bool
    itt_abstinent_verified: bool
    missing_self: bool
    missing_co: bool
    co_required: bool
    abstinent_7_days: bool | None = None


def outcome_at_point(
    *,
    smoked_since: str | None,
    co_ppm: int | None,
    co_required: bool,
    co_taken_on: date | None = None,
    window_opens_on: date | None = None,
    window_closes_on: date | None = None,
    smoked_last_7_days: bool | None = None,
) -> Outcome:
    """The outcome at one follow-up (the definitions shown on the dashboard and in the data
    dictionary):

    - Self-reported abstinence: no more than 5 cigarettes since two weeks after the quit date.
    - CO-verified abstinence, at a point that uses CO: self-reported abstinence and a breath CO
      reading below 10 ppm taken inside the point's window. A low reading without a
      self-report of abstinence never counts as abstinent; a reading of 10 ppm or more, or a
      self-report of smoking, counts as smoking. A reading outside the window is not used.
    - At a point that does not use CO, the verified outcome is the self-report.
    - Intention to treat: a missing answer, or a missing CO reading where the point needs one,
      counts as smoking; the missing flags say which values were missing.
    """
    self_reported = abstinent_self_report(smoked_since)
    seven_days = abstinent_7_days(smoked_last_7_days)
    if not co_required:
        return Outcome(
            self_reported=self_reported,
            verified=self_reported,
            itt_abstinent_self=self_reported is True,
            itt_abstinent_verified=self_reported is True,
            missing_self=self_reported is None,
            missing_co=False,
            co_required=False,
            abstinent_7_days=seven_days,
        )
    reading = co_ppm
    windowed = window_opens_on is not None or window_closes_on is not None
    if windowed and not co_in_window(co_taken_on, window_opens_on, window_closes_on):
        reading = None
    co_low = None if reading is None else co_verified(reading)
    if self_reported is False or co_low is False:
        verified: bool | None = False
    elif self_reported is True and co_low is True:
        verified = True
    else:
        verified = None
    return Outcome(
        self_reported=self_reported,
        verified=verified,
        itt_abstinent_self=self_reported is True,
        itt_abstinent_verified=verified is True,
        missing_self=self_reported is None,
        # Someone who says they smoke needs no reading to count as smoking.
        missing_co=reading is None and self_reported is not False,
        co_required=True,
        abstinent_7_days=seven_days,
    )


def outcome_of(followup: Any) -> Outcome:
    """The outcome of a FollowUp (or anything with its fields and a `point` with
    `co_verified`). Answers of a follow-up that was missed or stopped are missing."""
    return outcome_at_point(
        smoked_since=followup.smoked_since or None,
        co_ppm=followup.co_ppm,
        co_required=bool(followup.point.co_verified),
        co_taken_on=followup.co_taken_on,
        window_opens_on=followup.window_opens_on,
        window_closes_on=followup.window_closes_on,
        smoked_last_7_days=followup.smoked_last_7_days,
    )


# Definitions for the dashboard and the data dictionary, one line each.
DEFINITIONS = {
    "abstinent_self": "Abstinent by self-report (Russell Standard): no more than 5 cigarettes "
    "since two weeks after the quit date.",
    "abstinent_verified": "Abstinent and verified: self-reported abstinence and a breath CO "
    f"reading below {CO_THRESHOLD_PPM} ppm taken inside the follow-up window.",
    "abstinent_7_days": "Seven-day point prevalence: not even a puff in the last 7 days.",
    "itt": "Intention to treat: everyone randomised is counted in their arm; anyone whose "
    "answer or CO reading is missing counts as smoking.",
}
