"""Delivery channels for notifications beyond the in-app notice.

A channel has a `name` and `send(notification)`, which raises on failure so the delivery is
retried. Email is the only external channel today; SMS or web push are added by writing a class
here and listing it in CHANNELS — nothing else changes.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from core.models import Notification


class Channel(Protocol):
    name: str

    def send(self, notification: Notification, connection=None) -> None:
        """Send it, or raise. `connection` is an open email connection shared by a batch."""


class EmailChannel:
    """Email carries the title and a link, never the body: mailboxes are not a safe place."""

    name = "email"

    def send(self, notification: Notification, connection=None) -> None:
        context = {
            "title": notification.title,
            "url": f"{settings.SITE_URL}{notification.url or '/notifications/'}",
            "site_url": settings.SITE_URL,
        }
        EmailMessage(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{notification.title}",
            body=render_to_string("core/email/notification.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient.email],
            headers={"Message-ID": message_id(notification)},
            connection=connection,
        ).send()


def message_id(notification: Notification) -> str:
    """The same Message-ID on every attempt at one notice. Delivery is at least once: a worker
    that dies after the provider took an email but before the delivery row says so sends it
    again, and mail clients show two emails with one Message-ID as one."""
    host = urlsplit(settings.SITE_URL).hostname or "exhale.localhost"
    return f"<notice-{notification.pk}@{host}>"


CHANNELS: dict[str, Channel] = {channel.name: channel for channel in [EmailChannel()]}
DEFAULT_CHANNELS: tuple[str, ...] = ("email",)
