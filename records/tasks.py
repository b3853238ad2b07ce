"""Records tasks: the daily retention run (beat, 03:30 UTC). Idempotent: a second run, or two
beats at once, find nothing more to delete."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from records.services.retention import retention_apply


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def retention_apply_task() -> dict[str, int]:
    return retention_apply()
