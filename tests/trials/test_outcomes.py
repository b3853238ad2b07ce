"""The outcome rules (trials/outcomes.py), pure and exhaustive: the Russell Standard, CO
verification below 10 ppm, intention to treat with missing flags."""

from __future__ import annotations

import itertools
from datetime import date
from types import SimpleNamespace

import pytest

from trials import outcomes
from trials.outcomes import outcome_at_point

SMOKED = ("none", "up_to_5", "more", None)
READINGS = (None, 0, 9, 10, 35)


@pytest.mark.parametrize(
    ("smoked_since", "expected"),
    [("none", True), ("up_to_5", True), ("more", False), ("", None), (None, None)],
)
def test_no_more_than_five_cigarettes_since_two_weeks_after_quitting_is_abstinent(
    smoked_since, expected
):
    assert outcomes.abstinent_self_report(smoked_since) is expected


def test_an_unknown_answer_is_an_error_not_a_guess():
    with pytest.raises(ValueError, match="Unknown answer"):
        outcomes.abstinent_self_report("six")


@pytest.mark.parametrize(("ppm", "verified"), [(0, True), (9, True), (10, False), (100, False)])
def test_co_below_10_ppm_verifies_and_10_does_not(ppm, verified):
    assert outcomes.co_verified(ppm) is verified
    assert outcomes.CO_THRESHOLD_PPM == 10


def test_the_grace_period_is_two_weeks_after_the_quit_date():
    assert outcomes.grace_end(date(2026, 1, 1)) == date(2026, 1, 15)


@pytest.mark.parametrize(("smoked_since", "ppm"), list(itertools.product(SMOKED, READINGS)))
def test_every_combination_at_a_co_verified_point(smoked_since, ppm):
    outcome = outcome_at_point(smoked_since=smoked_since, co_ppm=ppm, co_required=True)
    self_reported = smoked_since in ("none", "up_to_5") if smoked_since else None
    assert outcome.self_reported is self_reported
    assert outcome.missing_self is (smoked_since is None)
    assert outcome.itt_abstinent_self is (self_reported is True)
    # Verified only with both: a self-report of abstinence and a reading under 10 ppm.
    assert outcome.itt_abstinent_verified is (
        self_reported is True and ppm is not None and ppm < 10
    )
    if self_reported is False or (ppm is not None and ppm >= 10):
        assert outcome.verified is False
    elif self_reported is True and ppm is not None:
        assert outcome.verified is True
    else:
        assert outcome.verified is None
    # A reading is missing where it matters: not for someone who says they smoke.
    assert outcome.missing_co is (ppm is None and self_reported is not False)
    assert outcome.co_required


def test_a_low_reading_without_self_reported_abstinence_is_not_abstinent():
    smoker = outcome_at_point(smoked_since="more", co_ppm=2, co_required=True)
    unanswered = outcome_at_point(smoked_since=None, co_ppm=2, co_required=True)
    assert not smoker.itt_abstinent_verified
    assert smoker.verified is False
    assert not unanswered.itt_abstinent_verified
    assert unanswered.verified is None
    assert unanswered.missing_self
    assert not unanswered.missing_co


def test_missing_co_counts_as_smoking_with_the_flag_saying_so():
    outcome = outcome_at_point(smoked_since="none", co_ppm=None, co_required=True)
    assert outcome.itt_abstinent_self is True
    assert outcome.itt_abstinent_verified is False
    assert outcome.missing_co
    assert not outcome.missing_self


def test_a_missed_follow_up_counts_as_smoking_with_both_missing():
    outcome = outcome_at_point(smoked_since=None, co_ppm=None, co_required=True)
    assert outcome.itt_abstinent_self is False
    assert outcome.itt_abstinent_verified is False
    assert outcome.missing_self
    assert outcome.missing_co


@pytest.mark.parametrize("smoked_since", SMOKED)
def test_at_a_point_without_co_the_verified_outcome_is_the_self_report(smoked_since):
    outcome = outcome_at_point(smoked_since=smoked_since, co_ppm=None, co_required=False)
    assert outcome.verified is outcome.self_reported
    assert outcome.itt_abstinent_verified is outcome.itt_abstinent_self
    assert not outcome.missing_co
    assert not outcome.co_required


def test_a_reading_outside_the_window_is_not_used():
    window = {"window_opens_on": date(2026, 2, 1), "window_closes_on": date(2026, 2, 18)}
    inside = outcome_at_point(
        smoked_since="none", co_ppm=3, co_required=True, co_taken_on=date(2026, 2, 18), **window
    )
    outside = outcome_at_point(
        smoked_since="none", co_ppm=3, co_required=True, co_taken_on=date(2026, 2, 19), **window
    )
    assert inside.itt_abstinent_verified
    assert not outside.itt_abstinent_verified
    assert outside.missing_co


@pytest.mark.parametrize(("smoked", "expected"), [(False, True), (True, False), (None, None)])
def test_seven_day_point_prevalence(smoked, expected):
    assert outcomes.abstinent_7_days(smoked) is expected


def test_outcome_of_reads_a_follow_up_like_object():
    followup = SimpleNamespace(
        smoked_since="up_to_5",
        smoked_last_7_days=False,
        co_ppm=4,
        co_taken_on=date(2026, 2, 3),
        window_opens_on=date(2026, 2, 1),
        window_closes_on=date(2026, 2, 18),
        point=SimpleNamespace(co_verified=True),
    )
    outcome = outcomes.outcome_of(followup)
    assert outcome.itt_abstinent_verified
    assert outcome.abstinent_7_days
    missed = SimpleNamespace(**{**followup.__dict__, "smoked_since": "", "co_ppm": None})
    assert outcomes.outcome_of(missed).missing_self


def test_every_definition_is_written_down():
    for key in ("abstinent_self", "abstinent_verified", "abstinent_7_days", "itt"):
        assert outcomes.DEFINITIONS[key]
    assert "10 ppm" in outcomes.DEFINITIONS["abstinent_verified"]
