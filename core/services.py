"""Writes of the shared mechanisms: audit rows, notifications and their deliveries, heartbeats."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import get_connection
from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from core.bulk import insert_rows
from core.channels import CHANNELS, DEFAULT_CHANNELS
from core.models import AuditEvent, Heartbeat, Notification, NotificationDelivery

logger = logging.getLogger(__name__)

# A delivery's first attempt is the task queued at commit; the sweep only takes over after this.
DELIVERY_GRACE = timedelta(minutes=2)
DELIVERY_MAX_ATTEMPTS = 8


def audit_record(
    *,
    actor: Any | None,
    action: str,
    subject: Any | None = None,
    target: models.Model | None = None,
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one row to the audit log. The only way audit rows are written.

    `detail` must hold no identifying text (names, emails, free text): ids, states and counts.
    """
    actor_id = getattr(actor, "pk", None) if actor is not None else None
    return AuditEvent.objects.create(
        actor_id=actor_id,
        actor_role=getattr(actor, "role", "") or ("" if actor_id else "system"),
        action=action,
        subject_id=getattr(subject, "pk", None),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        detail=detail or {},
        ip_address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )


@transaction.atomic
def notification_send(
    *,
    recipient: Any,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    urgent: bool = False,
    channels: Iterable[str] = DEFAULT_CHANNELS,
) -> Notification:
    """Notify a user: an in-app notice now, and each external channel after commit.

    The notice and its delivery rows are written in the caller's transaction; sending happens in
    a task queued on commit (on the `escalation` queue when urgent) and is retried by the sweep.
    `title` goes by email: keep health details in `body`, which stays in the app.
    """
    from core.tasks import enqueue_on_commit, notification_deliver_task

    notification = Notification.objects.create(
        recipient=recipient, kind=kind, title=title, body=body, url=url, urgent=urgent
    )
    first_sweep_at = timezone.now() + DELIVERY_GRACE
    for channel in channels:
        if channel not in CHANNELS:
            raise ValueError(f"Unknown notification channel {channel!r}")
        delivery = NotificationDelivery.objects.create(
            notification=notification,
            channel=channel,
            urgent=urgent,
            next_attempt_at=first_sweep_at,
        )
        enqueue_on_commit(
            notification_deliver_task,
            delivery.pk,
            queue="escalation" if urgent else "default",
            on_failure=partial(_deliveries_due_now, [delivery.pk]),
        )
    return notification


def _deliveries_due_now(delivery_ids: Sequence[int]) -> None:
    """Deliveries whose task could not be queued (the broker is down): the next sweep sends
    them, instead of waiting out the grace that keeps it from racing a queued task."""
    NotificationDelivery.objects.filter(
        pk__in=delivery_ids, status=NotificationDelivery.Status.PENDING
    ).update(next_attempt_at=timezone.now())


@dataclass(frozen=True)
class NoticeDraft:
    """One notice of a bulk send (see notifications_send_bulk)."""

    recipient_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""


def notifications_send_bulk(
    *,
    drafts: Sequence[NoticeDraft],
    channels: Iterable[str] = DEFAULT_CHANNELS,
    urgent: bool = False,
    batch_size: int = 200,
    queue: str | None = None,
    send_now: bool = True,
) -> list[int]:
    """Many notices at once (a reminder fan-out), with set-based writes (core/bulk.py). Returns
    the new notifications' ids, in the order of `drafts`.

    The same guarantees as notification_send: rows first, in the caller's transaction; sending
    after commit, one task per batch of deliveries; the sweep retries what is not sent.
    `queue` (default: `escalation` when urgent, else `default`) lets a fan-out keep its
    deliveries on its own queue. `send_now=False` queues nothing: the deliveries are due at
    once and the next delivery sweep (every minute) sends them, so a storm of emails follows
    the notices instead of competing with the fan-out that writes them.
    """
    channels = list(channels)
    for channel in channels:
        if channel not in CHANNELS:
            raise ValueError(f"Unknown notification channel {channel!r}")
    if not drafts:
        return []
    from core.tasks import enqueue_on_commit, notification_deliver_batch_task

    now = timezone.now()
    first_attempt = now + DELIVERY_GRACE if send_now else now
    notification_ids = insert_rows(
        Notification,
        ("recipient", "kind", "title", "body", "url", "urgent", "created_at"),
        [(d.recipient_id, d.kind, d.title, d.body, d.url, urgent, now) for d in drafts],
    )
    ids = insert_rows(
        NotificationDelivery,
        (
            "notification",
            "channel",
            "urgent",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
        ),
        [
            (n, c, urgent, NotificationDelivery.Status.PENDING.value, 0, first_attempt, "", now)
            for n in notification_ids
            for c in channels
        ],
    )
    for start in range(0, len(ids) if send_now else 0, batch_size):
        enqueue_on_commit(
            notification_deliver_batch_task,
            ids[start : start + batch_size],
            queue=queue or ("escalation" if urgent else "default"),
            on_failure=partial(_deliveries_due_now, ids[start : start + batch_size]),
        )
    return notification_ids


def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one notice read (idempotent)."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, recipient: Any) -> int:
    """Mark every unread notice of a user read; returns how many changed."""
    return Notification.objects.filter(recipient=recipient, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notification_delivery_attempt_batch(
    *,
    delivery_ids: Sequence[int],
    chunk_size: int = 25,
    deadline: float | None = None,
    due_only: bool = False,
) -> dict[str, int]:
    """Try a batch of deliveries, sharing one email connection. Returns counts by outcome.

    A chunk of deliveries is locked, sent and recorded in one transaction (one commit per
    chunk, not per email): if the worker dies mid-chunk, that chunk's rows are still pending
    and are sent again, so delivery is at least once and at most one chunk is repeated.
    `deadline` (a time.monotonic() value) is checked before each email: what is left stays
    pending, uncounted, for the next run. `due_only` leaves rows whose next attempt is later
    (another run tried them since the caller chose them: their backoff stands)."""
    outcomes: dict[str, int] = {}
    with get_connection() as connection:
        for start in range(0, len(delivery_ids), chunk_size):
            if deadline is not None and time.monotonic() >= deadline:
                break
            chunk = delivery_ids[start : start + chunk_size]
            for status, count in _deliveries_attempt(
                chunk, connection, deadline=deadline, due_only=due_only
            ).items():
                outcomes[status] = outcomes.get(status, 0) + count
    return outcomes


@transaction.atomic
def _deliveries_attempt(
    delivery_ids: Sequence[int], email_connection, *, deadline: float | None, due_only: bool
) -> dict[str, int]:
    pending = NotificationDelivery.objects.filter(
        pk__any_of=delivery_ids, status=NotificationDelivery.Status.PENDING
    )
    if due_only:
        pending = pending.filter(next_attempt_at__lte=timezone.now())
    deliveries = list(
        pending.select_for_update(skip_locked=True, of=("self",))
        .select_related("notification__recipient")
        # Channels never carry the body (it is shown in the app only): not even decrypted.
        .defer("notification__body")
    )
    order = {pk: n for n, pk in enumerate(delivery_ids)}
    deliveries.sort(key=lambda d: order[d.pk])  # in the caller's order: urgent ones first
    outcomes = {"skipped": len(set(delivery_ids)) - len(deliveries)}
    sent = []
    for delivery in deliveries:
        if deadline is not None and time.monotonic() >= deadline:
            break  # the rest stay pending, untried, for the next run
        if _delivery_try(delivery, email_connection):
            sent.append(delivery.pk)
        else:  # a failure: its own backoff and error, saved on its own
            delivery.save(update_fields=["attempts", "status", "last_error", "next_attempt_at"])
            outcomes[delivery.status] = outcomes.get(delivery.status, 0) + 1
    if sent:
        NotificationDelivery.objects.filter(pk__any_of=sent).update(
            status=NotificationDelivery.Status.SENT,
            sent_at=timezone.now(),
            last_error="",
            attempts=F("attempts") + 1,
        )
        outcomes["sent"] = len(sent)
    return {status: count for status, count in outcomes.items() if count}


def _delivery_try(delivery: NotificationDelivery, email_connection) -> bool:
    """Send one delivery over its channel. On failure, count the attempt and set its backoff
    (or give up) on the instance, for the caller to save; returns whether it was sent."""
    try:
        CHANNELS[delivery.channel].send(delivery.notification, connection=email_connection)
    except SoftTimeLimitExceeded:
        raise  # the task is out of time: not this delivery's failure
    except Exception as exc:  # any channel failure is retried, never lost
        if email_connection is not None:
            # A server that dropped the connection would fail every later email sent over it:
            # the next send opens a new one.
            email_connection.close()
        delivery.attempts += 1
        delivery.last_error = type(exc).__name__[:200]
        if delivery.attempts >= DELIVERY_MAX_ATTEMPTS:
            delivery.status = NotificationDelivery.Status.FAILED
            logger.error(
                "notification delivery %s (%s) failed for good after %s attempts",
                delivery.pk,
                delivery.channel,
                delivery.attempts,
            )
        else:
            backoff = timedelta(minutes=2 ** min(delivery.attempts, 6))
            delivery.next_attempt_at = timezone.now() + backoff
            logger.warning(
                "notification delivery %s (%s) failed (%s); retry %s",
                delivery.pk,
                delivery.channel,
                delivery.last_error,
                delivery.attempts,
            )
        return False
    return True


def notification_delivery_attempt(*, delivery_id: int, email_connection=None) -> str:
    """Try to send one pending delivery. Idempotent: a sent or locked delivery is left alone.

    Returns the delivery's status afterwards ("sent", "pending", "failed"), or "skipped" when
    another worker holds it or it is no longer pending.
    """
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient")
            .defer("notification__body")
            .filter(pk=delivery_id, status=NotificationDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped"
        if _delivery_try(delivery, email_connection):
            delivery.attempts += 1
            delivery.status = NotificationDelivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(
            update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"]
        )
        return delivery.status


def notification_delivery_sweep(
    *, batch_size: int = 200, budget_seconds: float = 45, urgent_only: bool = False
) -> int:
    """Send deliveries that are due: first sends left to the sweep (a fan-out's emails), and
    retries of those whose first send or last retry did not succeed. Returns how many tried.

    Works through them in batches (one email connection, one commit per chunk), urgent ones
    first, until none is due or the time budget is spent (checked before every email, so a run
    ends well inside the task's time limit); the next sweep goes on from there. Claims rows
    with SKIP LOCKED, so several workers (or a duplicated beat) share the work.
    `urgent_only`: the frequent sweep of crisis notices, which must not wait a minute."""
    deadline, tried = time.monotonic() + budget_seconds, 0
    while time.monotonic() < deadline:
        due = NotificationDelivery.objects.filter(
            status=NotificationDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        # Urgent notices (a safety flag's retry) first: they never wait behind a fan-out's
        # storm of reminder emails.
        due_ids = list(
            due.filter(urgent=True)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:batch_size]
        )
        if len(due_ids) < batch_size and not urgent_only:
            due_ids += list(
                due.filter(urgent=False)
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[: batch_size - len(due_ids)]
            )
        outcomes = notification_delivery_attempt_batch(
            delivery_ids=due_ids, deadline=deadline, due_only=True
        )
        # A tried delivery is sent, failed, or pending with its next attempt later: the next
        # query no longer finds it. Rows another worker holds are its to send.
        done = sum(count for status, count in outcomes.items() if status != "skipped")
        tried += done
        if len(due_ids) < batch_size or not done:
            break
    return tried


def heartbeat_record(*, name: str = "beat") -> Heartbeat:
    """Record that the named periodic process is alive now."""
    now = timezone.now()
    updated = Heartbeat.objects.filter(name=name).update(last_seen_at=now, count=F("count") + 1)
    if not updated:
        try:
            with transaction.atomic():
                Heartbeat.objects.create(name=name, last_seen_at=now, count=1)
        except IntegrityError:  # a concurrent first beat created it
            Heartbeat.objects.filter(name=name).update(last_seen_at=now, count=F("count") + 1)
    return Heartbeat.objects.get(name=name)
