"""Reads of the shared mechanisms."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.models import AuditEvent, Notification


def notification_list(*, recipient: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=recipient).order_by("-created_at", "-id")


def notification_unread_count(*, recipient: Any) -> int:
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).count()


def notification_get_for_recipient(*, recipient: Any, notification_id: int) -> Notification:
    """One of the user's own notices; anybody else's is a 404."""
    return get_object_or_404(Notification, pk=notification_id, recipient=recipient)


def audit_event_list(*, subject_id: int | None = None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if subject_id is not None:
        events = events.filter(subject_id=subject_id)
    return events.order_by("-at", "-id")
