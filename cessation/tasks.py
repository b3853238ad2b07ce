"""Celery tasks of quit tracking: the check-in clock. Thin: ids in, a service call, safe to run
twice (each service is idempotent)."""

from __future__ import annotations

from celery import shared_task

from cessation import services
from core.tasks import RETRY


@shared_task(**RETRY)
def checkin_reminders_tick_task() -> int:
    """Every minute: claim due schedules and queue them in batches."""
    return services.reminders_tick()


@shared_task(**RETRY)
def checkin_reminder_batch_task(schedule_ids: list[int]) -> int:
    return services.reminders_send_batch(schedule_ids=schedule_ids)


@shared_task(**RETRY)
def missed_checkins_task() -> int:
    return services.missed_checkins_process()


@shared_task(**RETRY)
def schedules_ensure_task() -> int:
    return services.schedules_ensure()


@shared_task(**RETRY)
def co_window_notices_task() -> int:
    return services.co_window_notices_send()
