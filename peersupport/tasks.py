"""Celery tasks of the peer groups. Thin: call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from core.tasks import RETRY
from peersupport import services


@shared_task(**RETRY)
def unanswered_posts_nudge_task() -> int:
    return services.unanswered_posts_nudge()


@shared_task(**RETRY)
def overdue_messages_report_task() -> int:
    return services.overdue_messages_report()
