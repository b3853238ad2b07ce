"""Celery tasks of safety. Thin: call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from core.tasks import RETRY
from safety import services


@shared_task(**RETRY)
def flag_escalation_sweep_task() -> int:
    return services.flag_escalation_sweep()
