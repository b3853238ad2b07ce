"""Notifications: written with their deliveries in one transaction, queued after commit, sent
once, retried with backoff on a channel failure, and swept until sent or given up."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
from django.core.mail.backends import locmem
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from core import services, tasks
from core.models import Notification, NotificationDelivery
from core.services import DELIVERY_GRACE, DELIVERY_MAX_ATTEMPTS
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

HEALTH_DETAIL = "CANARY-BODY your mood score dropped to 2 and you mentioned self-harm"


class FailingEmailBackend(BaseEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, email_messages):
        raise SMTPException("421 service not available")


FAILING_EMAIL = f"{__name__}.FailingEmailBackend"


def _send(recipient, **kwargs) -> Notification:
    kwargs.setdefault("kind", "flag.raised")
    kwargs.setdefault("title", "A patient needs your attention")
    kwargs.setdefault("body", HEALTH_DETAIL)
    kwargs.setdefault("url", "/patients/1/")
    return services.notification_send(recipient=recipient, **kwargs)


@pytest.fixture
def delivery(clinician, django_capture_on_commit_callbacks) -> NotificationDelivery:
    """A pending email delivery whose queued task was not run (as if the broker lost it)."""
    with django_capture_on_commit_callbacks(execute=False):
        notification = _send(clinician)
    return notification.deliveries.get()


# --- notification_send ----------------------------------------------------------------------


def test_send_writes_the_notice_and_one_delivery_per_channel(
    clinician, django_capture_on_commit_callbacks
):
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _send(clinician)

    notification.refresh_from_db()
    assert notification.recipient == clinician
    assert notification.kind == "flag.raised"
    assert notification.body == HEALTH_DETAIL
    assert notification.read_at is None
    delivery = notification.deliveries.get()
    assert delivery.channel == "email"
    assert delivery.status == NotificationDelivery.Status.PENDING
    assert delivery.attempts == 0
    assert delivery.sent_at is None
    # The sweep leaves it to the queued task for a grace period.
    assert delivery.next_attempt_at >= before + DELIVERY_GRACE
    assert len(callbacks) == 1


def test_send_queues_the_delivery_task_only_after_commit(
    clinician, django_capture_on_commit_callbacks
):
    with mock.patch.object(tasks.notification_deliver_task, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notification = _send(clinician)
        assert not apply_async.called  # nothing is published before the commit
        assert len(callbacks) == 1
        callbacks[0]()

    delivery = notification.deliveries.get()
    apply_async.assert_called_once_with(args=[delivery.pk], queue="default", ignore_result=True)


def test_urgent_notice_goes_on_the_escalation_queue(clinician, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.notification_deliver_task, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = _send(clinician, urgent=True)

    delivery = notification.deliveries.get()
    apply_async.assert_called_once_with(args=[delivery.pk], queue="escalation", ignore_result=True)


def test_rolled_back_send_leaves_no_notice_and_queues_nothing(
    clinician, django_capture_on_commit_callbacks
):
    class Boom(Exception):
        pass

    def send_then_fail():
        with transaction.atomic():
            _send(clinician)
            raise Boom

    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(Boom):
        send_then_fail()

    assert callbacks == []
    assert not Notification.objects.filter(recipient=clinician).exists()
    assert not NotificationDelivery.objects.filter(notification__recipient=clinician).exists()


def test_unknown_channel_is_refused_and_writes_nothing(
    clinician, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(ValueError, match="carrier-pigeon"),
    ):
        _send(clinician, channels=["email", "carrier-pigeon"])

    assert callbacks == []
    assert not Notification.objects.filter(recipient=clinician).exists()


def test_in_app_only_notice_has_no_deliveries(clinician, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = _send(clinician, channels=[])

    assert Notification.objects.filter(pk=notification.pk).exists()
    assert not notification.deliveries.exists()
    assert callbacks == []


def test_broker_outage_does_not_fail_the_caller_and_the_sweep_delivers_later(
    clinician, django_capture_on_commit_callbacks, mailoutbox
):
    with (
        mock.patch.object(
            tasks.notification_deliver_task,
            "apply_async",
            side_effect=BrokerOperationalError("connection refused"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = _send(clinician)  # must not raise

    delivery = notification.deliveries.get()
    assert delivery.status == NotificationDelivery.Status.PENDING
    assert mailoutbox == []

    # The grace period passes; the periodic sweep sends it.
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert services.notification_delivery_sweep() == 1

    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.SENT
    assert len(mailoutbox) == 1


# --- notification_delivery_attempt ----------------------------------------------------------


def test_attempt_sends_one_email_with_the_title_and_link_but_not_the_body(delivery, mailoutbox):
    assert services.notification_delivery_attempt(delivery_id=delivery.pk) == "sent"

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [delivery.notification.recipient.email]
    assert "A patient needs your attention" in email.subject
    assert "http://testserver/patients/1/" in email.body
    everything = (
        email.subject
        + email.body
        + "".join(str(content) for content, _mime in getattr(email, "alternatives", []))
    )
    assert "CANARY-BODY" not in everything
    assert "self-harm" not in everything

    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert delivery.last_error == ""


def test_email_without_a_url_links_to_the_notices_page(
    clinician, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notification = _send(clinician, url="")

    services.notification_delivery_attempt(delivery_id=notification.deliveries.get().pk)

    assert "http://testserver/notifications/" in mailoutbox[0].body


def test_attempt_is_idempotent(delivery, mailoutbox):
    assert services.notification_delivery_attempt(delivery_id=delivery.pk) == "sent"
    assert services.notification_delivery_attempt(delivery_id=delivery.pk) == "skipped"

    assert len(mailoutbox) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_attempt_on_a_missing_delivery_is_skipped(mailoutbox):
    assert services.notification_delivery_attempt(delivery_id=987654321) == "skipped"
    assert mailoutbox == []


def test_failing_channel_leaves_the_delivery_pending_with_a_later_retry(delivery, mailoutbox):
    before = timezone.now()

    with override_settings(EMAIL_BACKEND=FAILING_EMAIL):
        assert services.notification_delivery_attempt(delivery_id=delivery.pk) == "pending"

    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.PENDING
    assert delivery.attempts == 1
    assert delivery.sent_at is None
    assert delivery.last_error == "SMTPException"
    assert delivery.next_attempt_at > before + timedelta(minutes=1)
    assert mailoutbox == []


def test_backoff_grows_with_each_failure(delivery):
    waits = []
    with override_settings(EMAIL_BACKEND=FAILING_EMAIL):
        for _ in range(3):
            started = timezone.now()
            services.notification_delivery_attempt(delivery_id=delivery.pk)
            delivery.refresh_from_db()
            waits.append(delivery.next_attempt_at - started)

    assert waits[0] < waits[1] < waits[2]


def test_delivery_gives_up_after_max_attempts(delivery, mailoutbox):
    with override_settings(EMAIL_BACKEND=FAILING_EMAIL):
        results = [
            services.notification_delivery_attempt(delivery_id=delivery.pk)
            for _ in range(DELIVERY_MAX_ATTEMPTS)
        ]

    assert results == ["pending"] * (DELIVERY_MAX_ATTEMPTS - 1) + ["failed"]
    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.FAILED
    assert delivery.attempts == DELIVERY_MAX_ATTEMPTS

    # Once given up, it is not tried again even when email works.
    assert services.notification_delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert mailoutbox == []


def test_a_retry_after_a_failure_sends_and_clears_the_error(delivery, mailoutbox):
    with override_settings(EMAIL_BACKEND=FAILING_EMAIL):
        services.notification_delivery_attempt(delivery_id=delivery.pk)

    assert services.notification_delivery_attempt(delivery_id=delivery.pk) == "sent"

    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.SENT
    assert delivery.attempts == 2
    assert delivery.last_error == ""
    assert len(mailoutbox) == 1


def test_the_in_app_notice_exists_even_when_email_fails(delivery):
    with override_settings(EMAIL_BACKEND=FAILING_EMAIL):
        services.notification_delivery_attempt(delivery_id=delivery.pk)

    assert Notification.objects.get(pk=delivery.notification_id).body == HEALTH_DETAIL


# --- sweep and tasks -------------------------------------------------------------------------


def _make_delivery(recipient, **fields) -> NotificationDelivery:
    notification = Notification.objects.create(
        recipient=recipient, kind="test", title=fields.pop("title", "A notice")
    )
    return NotificationDelivery.objects.create(notification=notification, channel="email", **fields)


def test_sweep_sends_due_pending_deliveries_only(mailoutbox):
    recipient = PatientFactory()
    now = timezone.now()
    due = _make_delivery(recipient, title="due", next_attempt_at=now - timedelta(minutes=1))
    not_yet = _make_delivery(recipient, title="later", next_attempt_at=now + timedelta(hours=1))
    sent = _make_delivery(
        recipient,
        title="sent",
        status=NotificationDelivery.Status.SENT,
        sent_at=now,
        next_attempt_at=now - timedelta(hours=1),
    )
    failed = _make_delivery(
        recipient,
        title="failed",
        status=NotificationDelivery.Status.FAILED,
        attempts=DELIVERY_MAX_ATTEMPTS,
        next_attempt_at=now - timedelta(hours=1),
    )

    assert services.notification_delivery_sweep() == 1

    assert [email.subject for email in mailoutbox] == ["Exhale: due"]
    pks = [due.pk, not_yet.pk, sent.pk, failed.pk]
    statuses = {d.pk: d.status for d in NotificationDelivery.objects.filter(pk__in=pks)}
    assert statuses == {
        due.pk: NotificationDelivery.Status.SENT,
        not_yet.pk: NotificationDelivery.Status.PENDING,
        sent.pk: NotificationDelivery.Status.SENT,
        failed.pk: NotificationDelivery.Status.FAILED,
    }


def test_sweep_leaves_fresh_notices_to_their_queued_task(delivery, mailoutbox):
    assert services.notification_delivery_sweep() == 0
    assert mailoutbox == []


def test_sweep_works_through_every_due_delivery_in_batches_oldest_first(mailoutbox):
    recipient = PatientFactory()
    past = timezone.now() - timedelta(minutes=5)
    for i in range(5):
        _make_delivery(recipient, title=f"due {i}", next_attempt_at=past + timedelta(seconds=i))

    with CaptureQueriesContext(connection) as queries:
        assert services.notification_delivery_sweep(batch_size=2) == 5

    assert [email.subject for email in mailoutbox] == [f"Exhale: due {i}" for i in range(5)]
    assert set(NotificationDelivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    # Set-based: one commit and one update per chunk, not per email.
    updates = [q for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 3
    assert services.notification_delivery_sweep(batch_size=2) == 0


def test_sweep_stops_when_its_time_budget_is_spent_and_the_next_goes_on(mailoutbox):
    recipient = PatientFactory()
    past = timezone.now() - timedelta(minutes=5)
    for i in range(3):
        _make_delivery(recipient, title=f"due {i}", next_attempt_at=past + timedelta(seconds=i))

    # The budget is checked before every email: spent, nothing more is sent or counted.
    assert services.notification_delivery_sweep(batch_size=2, budget_seconds=0) == 0
    assert mailoutbox == []
    assert set(NotificationDelivery.objects.values_list("status", "attempts")) == {("pending", 0)}
    assert services.notification_delivery_sweep(batch_size=2) == 3
    assert len(mailoutbox) == 3


def test_sweep_sends_urgent_notices_before_a_backlog_of_others(mailoutbox):
    recipient = PatientFactory()
    past = timezone.now() - timedelta(minutes=5)
    for i in range(4):
        _make_delivery(recipient, title=f"reminder {i}", next_attempt_at=past)
    urgent = _make_delivery(recipient, title="URGENT", next_attempt_at=timezone.now())
    NotificationDelivery.objects.filter(pk=urgent.pk).update(urgent=True)

    services.notification_delivery_sweep(batch_size=2)

    assert mailoutbox[0].subject == "Exhale: URGENT"
    assert len(mailoutbox) == 5


def test_a_failed_send_closes_the_shared_connection_so_the_next_email_still_goes(
    mailoutbox, settings
):
    recipient = PatientFactory()
    past = timezone.now() - timedelta(minutes=5)
    first = _make_delivery(recipient, title="first", next_attempt_at=past)
    second = _make_delivery(recipient, title="second", next_attempt_at=past + timedelta(seconds=1))
    settings.EMAIL_BACKEND = "tests.core.test_notification_delivery.DropsAfterFirstSend"

    assert services.notification_delivery_sweep() == 2

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error == "SMTPServerDisconnected"
    # Sent over a reopened connection: with the dropped one kept, it would have failed too.
    assert (second.status, second.attempts) == ("sent", 1)
    assert [email.subject for email in mailoutbox] == ["Exhale: second"]


def test_sweep_counts_a_failed_retry_and_reschedules_it(mailoutbox):
    recipient = PatientFactory()
    due = _make_delivery(recipient, next_attempt_at=timezone.now() - timedelta(minutes=1))

    with override_settings(EMAIL_BACKEND=FAILING_EMAIL):
        assert services.notification_delivery_sweep() == 1
        # Rescheduled into the future, so an immediate second sweep does not hammer SMTP.
        assert services.notification_delivery_sweep() == 0

    due.refresh_from_db()
    assert due.attempts == 1
    assert due.status == NotificationDelivery.Status.PENDING


def test_deliver_task_called_directly_sends(delivery, mailoutbox):
    assert tasks.notification_deliver_task(delivery.pk) == "sent"
    assert len(mailoutbox) == 1


def test_sweep_task_called_directly_sweeps(mailoutbox):
    _make_delivery(PatientFactory(), next_attempt_at=timezone.now() - timedelta(minutes=1))

    assert tasks.notification_delivery_sweep_task() == 1
    assert len(mailoutbox) == 1


class DropsAfterFirstSend(locmem.EmailBackend):
    """A server that drops the connection on the first message; a reopened one works."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.broken = True

    def send_messages(self, messages):
        if self.broken:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)

    def close(self):
        self.broken = False


def test_a_deliverys_urgency_is_its_notifications_for_the_sweep_to_find_first():
    recipient = PatientFactory()

    urgent = services.notification_send(
        recipient=recipient, kind="flag", title="Urgent", urgent=True
    )
    (bulk,) = services.notifications_send_bulk(
        drafts=[services.NoticeDraft(recipient_id=recipient.pk, kind="x", title="Bulk")],
        urgent=True,
    )
    everyday = services.notification_send(recipient=recipient, kind="x", title="Everyday")

    assert NotificationDelivery.objects.get(notification=urgent).urgent
    assert NotificationDelivery.objects.get(notification_id=bulk).urgent
    assert not NotificationDelivery.objects.get(notification=everyday).urgent
