"""Celery tasks of the shared mechanisms. Thin: take ids, call a service, safe to retry."""

from __future__ import annotations

import logging
from functools import partial

from celery import shared_task
from django.db import OperationalError, transaction

from core import services

logger = logging.getLogger(__name__)

RETRY = {
    "acks_late": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": 5,
}


def _enqueue(task, args, queue) -> None:
    try:
        task.apply_async(args=args, queue=queue)
    except Exception:  # the broker is down: the row is safe and a sweep will pick it up
        logger.warning("could not queue %s; its periodic sweep will retry", task.name)


def enqueue_on_commit(task, *args, queue: str = "default") -> None:
    """Queue a task once the current transaction commits; never fail the caller's request.

    What the task acts on is already a database row, so a broker outage only delays the work
    until the periodic sweep that owns that kind of row runs again.
    """
    transaction.on_commit(partial(_enqueue, task, list(args), queue))


@shared_task(**RETRY)
def heartbeat_task() -> None:
    """Beat → broker → worker → database: the round trip /health/ reports."""
    services.heartbeat_record(name="beat")


@shared_task(**RETRY)
def notification_deliver_task(delivery_id: int) -> str:
    return services.notification_delivery_attempt(delivery_id=delivery_id)


@shared_task(**RETRY)
def notification_deliver_batch_task(delivery_ids: list[int]) -> dict[str, int]:
    return services.notification_delivery_attempt_batch(delivery_ids=delivery_ids)


@shared_task(**RETRY)
def notification_delivery_sweep_task() -> int:
    return services.notification_delivery_sweep()
