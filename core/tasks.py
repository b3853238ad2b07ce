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


def _enqueue(task, args, queue, on_failure=None) -> None:
    try:
        # Nobody waits for the result: without ignore_result the result backend subscribes to
        # it first, and with Redis down that retried for 20 s in the request (and then broke
        # the process's result backend until a restart).
        task.apply_async(args=args, queue=queue, ignore_result=True)
    except Exception:  # the broker is down: the row is safe and a sweep will pick it up
        logger.warning("could not queue %s; its periodic sweep will retry", task.name)
        if on_failure is not None:
            try:
                on_failure()
            except Exception:  # the sweep still finds the row, only later
                logger.exception("could not mark %s's work for the sweep", task.name)


def enqueue_on_commit(task, *args, queue: str = "default", on_failure=None) -> None:
    """Queue a task once the current transaction commits; never fail the caller's request.

    What the task acts on is already a database row, so a broker outage only delays the work
    until the periodic sweep that owns that kind of row runs again. `on_failure`, called when
    the task could not be queued, can make that row due for the sweep's next run.
    """
    transaction.on_commit(partial(_enqueue, task, list(args), queue, on_failure))


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


@shared_task(**RETRY)
def notification_urgent_delivery_sweep_task() -> int:
    """Urgent notices only, every few seconds: a crisis notice that could not be queued (a
    broker outage) goes out soon after the broker is back, not on the next minute's sweep."""
    return services.notification_delivery_sweep(urgent_only=True, budget_seconds=10)
