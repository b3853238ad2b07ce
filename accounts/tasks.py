"""Celery tasks of accounts: sending invitation emails (idempotent, retried)."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from accounts import services


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, SMTPException, OSError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def invitation_email_send_task(invitation_id: int) -> bool:
    return services.invitation_email_send(invitation_id=invitation_id)
