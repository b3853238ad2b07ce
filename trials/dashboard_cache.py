"""The dashboard's figures, computed once and kept: a trial manager opens the dashboard many times a
day, and computing it walks every participant's check-ins (seconds at a few thousand people).

An entry is keyed by the trial, the language and a generation. Every save or delete of the trial's
own records (participants, allocations, withdrawals, follow-ups, adverse events, the screening
log, the set-up) and of onboarding step records starts a new generation once the change is
committed, so what a trial manager or a participant just did shows at once. What the trial only
reads from the programme (check-ins, cravings, posts, messages: engagement) and changes made in
bulk by the clocks reach the figures within `TRIAL_DASHBOARD_MAX_AGE` seconds: the beat task
recomputes an entry once it is half that old, so a page view rarely computes anything. The page
says when its figures were computed.

The cache is an optimisation: when it cannot be read or written the figures are computed live.
The trial itself (with its encrypted pseudonym key) is never stored in the cache."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import get_language

from trials import consort, metrics
from trials.models import Trial

logger = logging.getLogger(__name__)

_GENERATION_KEY = "trials.dashboard.generation"


def _max_age() -> int:
    return settings.TRIAL_DASHBOARD_MAX_AGE


def _generation() -> int:
    """The current generation; a new one if the cache lost it (never 0, so figures kept before
    it was lost are never taken for current)."""
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        if not cache.add(_GENERATION_KEY, generation, None):
            generation = cache.get(_GENERATION_KEY, generation)
    return generation


def _entry_key(trial: Trial, generation: int) -> str:
    return f"trials.dashboard.{trial.pk}.{get_language()}.{generation}"


def _compute(trial: Trial) -> tuple[metrics.Dashboard, consort.Flow]:
    return metrics.dashboard(trial=trial), consort.flow(trial=trial)


def _store(key: str, figures: metrics.Dashboard, flow: consort.Flow) -> None:
    try:
        kept = (dataclasses.replace(figures, trial=None), dataclasses.replace(flow, trial=None))
        cache.set(key, kept, _max_age())
    except Exception:
        logger.warning("trial dashboard: cache unwritable, figures not kept")


def figures(*, trial: Trial) -> tuple[metrics.Dashboard, consort.Flow]:
    """The dashboard's figures and the CONSORT flow: kept ones when current, else computed now
    (and kept)."""
    try:
        key = _entry_key(trial, _generation())
        kept = cache.get(key)
    except Exception:
        logger.warning("trial dashboard: cache unreadable, computing the figures")
        return _compute(trial)
    if kept is not None:
        kept_figures, kept_flow = kept
        return (
            dataclasses.replace(kept_figures, trial=trial),
            dataclasses.replace(kept_flow, trial=trial),
        )
    computed, flow = _compute(trial)
    _store(key, computed, flow)
    return computed, flow


def refresh(*, trial: Trial) -> bool:
    """Recompute the trial's entry if it is missing or at least half its maximum age old (the
    beat task, every minute). Returns whether it computed."""
    try:
        key = _entry_key(trial, _generation())
        kept = cache.get(key)
    except Exception:
        logger.warning("trial dashboard: cache unreachable, nothing refreshed")
        return False
    if kept is not None:
        age = timezone.now() - kept[0].computed_at
        if age < timedelta(seconds=_max_age() / 2):
            return False
    computed, flow = _compute(trial)
    _store(key, computed, flow)
    return True


def refresh_running() -> int:
    """Refresh every recruiting or following-up trial's figures; returns how many were
    computed."""
    running = Trial.objects.filter(status__in=(Trial.Status.RECRUITING, Trial.Status.FOLLOW_UP))
    with translation.override(settings.LANGUAGE_CODE):
        return sum(refresh(trial=trial) for trial in running)


def _new_generation() -> None:
    try:
        cache.set(_GENERATION_KEY, time.time_ns(), None)
    except Exception:
        logger.error("trial dashboard: cache unreachable, kept figures lapse on their own")


def forget(**_kwargs) -> None:
    """A signal receiver: the trial's records changed, so kept figures are stale once the change
    is committed (a reader between the write and the commit keeps figures under the old
    generation, which nobody asks for again)."""
    transaction.on_commit(_new_generation)
