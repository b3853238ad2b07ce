"""Core models: the base model, the append-only audit log, notifications and the beat heartbeat."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, models
from django.utils import timezone

from core.fields import EncryptedTextField


class TimeStampedModel(models.Model):
    """Base for domain models: when a row was created and last changed."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditLogAppendOnly(DatabaseError):
    """An attempt to change or delete an audit row. A DatabaseError, as the PostgreSQL trigger's
    refusal is: callers see the same error whichever layer refused."""


class AuditEventQuerySet(models.QuerySet):
    """Refuses update() and delete() (and bulk_update, which uses update) on any database."""

    def update(self, **kwargs):
        raise AuditLogAppendOnly("core_auditevent is append-only: UPDATE is not allowed")

    def delete(self):
        raise AuditLogAppendOnly("core_auditevent is append-only: DELETE is not allowed")

    update.queryset_only = True
    delete.queryset_only = True


class AuditEvent(models.Model):
    """Who did what to whose record, and when. Append-only.

    Rows are written by core.services.audit_record only. The application never updates or
    deletes them: the model and its queryset refuse it on every database (AuditLogAppendOnly),
    and on PostgreSQL a trigger (migration 0002) makes the database refuse it too, raw SQL
    included. TRUNCATE is left to the table's owner (test set-up, disaster recovery); the
    application's role should hold only INSERT and SELECT on it (docs/security.md).
    Actor and subject are kept as plain ids (no database constraint, no cascade) so that the
    trail outlives the accounts it names.
    """

    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="Who acted; empty for the system (scheduled jobs).",
    )
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64, help_text="What was done, e.g. patient.viewed.")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        help_text="Whose record it was (a patient, usually).",
    )
    target_type = models.CharField(max_length=64, blank=True, help_text="app_label.model")
    target_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(
        default=dict, blank=True, help_text="Non-identifying context: ids, states, counts."
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject", "-at"], name="audit_subject_at"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
            models.Index(fields=["action", "-at"], name="audit_action_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_id or 'system'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogAppendOnly("core_auditevent is append-only: UPDATE is not allowed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogAppendOnly("core_auditevent is append-only: DELETE is not allowed")


class Notification(models.Model):
    """A notice to one user, shown in the app; its other channels are NotificationDelivery rows.

    `title` travels by email and must not carry health details; `body` is shown in the app only
    and is encrypted at rest.
    """

    # Indexed by notice_recipient_created (recipient first), not on its own: each index is a
    # write in a reminder fan-out.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = EncryptedTextField(blank=True, default="")
    url = models.CharField(max_length=300, blank=True)
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notice_recipient_created"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notice_recipient_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationDelivery(models.Model):
    """One attempt-tracked delivery of a notification over an external channel (email, SMS…).

    Written in the same transaction as the notification, sent by a task after commit, and
    retried by a periodic sweep until sent or out of attempts: a broker outage delays a notice
    but never drops it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to send"
        SENT = "sent", "Sent"
        FAILED = "failed", "Gave up"

    # Indexed by delivery_one_per_channel (notification first).
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    channel = models.CharField(max_length=16)
    # The notification's urgency, copied here so that the sweep finds urgent retries with an
    # index of their own instead of joining every pending delivery of a fan-out.
    urgent = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_one_per_channel"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending_due",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending", urgent=True),
                name="delivery_urgent_pending_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} for notification {self.notification_id}: {self.status}"


class Heartbeat(models.Model):
    """The last time a periodic process proved it is alive (beat → worker round trip)."""

    name = models.CharField(max_length=32, unique=True)
    last_seen_at = models.DateTimeField()
    count = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_seen_at:%Y-%m-%d %H:%M:%S}"
