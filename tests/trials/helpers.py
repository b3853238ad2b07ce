"""Trials in each state, and participants at each point, for the trial tests."""

from __future__ import annotations

from accounts.models import User
from tests.factories import AdminFactory
from trials.models import Trial
from trials.services import setup

SEED = "00112233445566778899aabbccddeeff"


def a_trial(*, manager: User | None = None, target: int = 40, **kwargs) -> Trial:
    """A trial being set up with the protocol's defaults: programme vs usual care 1:1, strata
    diagnosis group x cigarettes per day, follow-ups at 4 weeks (CO days 25-42), 12 weeks and
    6 months."""
    manager = manager or AdminFactory(password=None)
    kwargs.setdefault("name", "Exhale feasibility trial")
    kwargs.setdefault("slug", "exhale-ft")
    return setup.trial_create(by=manager, recruitment_target=target, **kwargs)


def a_recruiting_trial(*, manager: User | None = None, seed: str = SEED, **kwargs) -> Trial:
    trial = a_trial(manager=manager, **kwargs)
    return setup.recruitment_open(trial=trial, by=trial.manager, seed=seed).trial
