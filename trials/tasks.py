"""Celery tasks of the trial: the follow-up clock and the adverse-event sweep. Thin: a service
call, safe to run twice (each service is idempotent and claims its rows)."""

from __future__ import annotations

from celery import shared_task

from core.tasks import RETRY
from trials import dashboard_cache
from trials.services import adverse_events, followups


@shared_task(**RETRY)
def followups_tick_task() -> dict[str, int]:
    """Every 15 minutes (reminders queue): open, remind, re-anchor and close follow-ups."""
    return followups.followups_tick().as_dict()


@shared_task(**RETRY)
def adverse_events_from_flags_task() -> int:
    """Every minute (escalation queue): high and critical flags of participants become adverse
    events."""
    return adverse_events.adverse_events_from_flags()


@shared_task(**RETRY)
def dashboard_refresh_task() -> int:
    """Every minute: recompute the kept dashboard figures of each running trial that are missing
    or half their maximum age old, so a trial manager's page view rarely computes anything."""
    return dashboard_cache.refresh_running()
