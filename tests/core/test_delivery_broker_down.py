"""A notice whose task cannot be queued (the broker is down) is due for the very next delivery
sweep, not after the grace that keeps the sweep from racing a queued task; and every attempt at
one notice's email carries the same Message-ID."""

from __future__ import annotations

from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from core import services, tasks
from core.models import NotificationDelivery
from core.services import DELIVERY_GRACE, NoticeDraft

pytestmark = pytest.mark.django_db

BROKER_DOWN = BrokerOperationalError("connection refused")


def _send(recipient, **kwargs):
    return services.notification_send(
        recipient=recipient, kind="flag.raised", title="A patient needs you", **kwargs
    )


def test_a_notice_that_could_not_be_queued_is_due_for_the_next_sweep(
    clinician, django_capture_on_commit_callbacks, mailoutbox
):
    with (
        mock.patch.object(tasks.notification_deliver_task, "apply_async", side_effect=BROKER_DOWN),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = _send(clinician, urgent=True)

    delivery = notification.deliveries.get()
    assert delivery.status == NotificationDelivery.Status.PENDING
    assert delivery.next_attempt_at <= timezone.now()
    assert services.notification_delivery_sweep() == 1
    assert len(mailoutbox) == 1


def test_a_queued_notice_keeps_its_grace(clinician, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.notification_deliver_task, "apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = _send(clinician)

    delivery = notification.deliveries.get()
    assert delivery.next_attempt_at > timezone.now() + DELIVERY_GRACE / 2
    assert services.notification_delivery_sweep() == 0


def test_a_bulk_send_that_could_not_be_queued_is_due_for_the_next_sweep(
    clinician, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(
            tasks.notification_deliver_batch_task, "apply_async", side_effect=BROKER_DOWN
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.notifications_send_bulk(
            drafts=[NoticeDraft(recipient_id=clinician.pk, kind="reminder", title="Check in")]
        )

    assert NotificationDelivery.objects.get().next_attempt_at <= timezone.now()


def test_every_attempt_at_a_notice_carries_the_same_message_id(clinician, mailoutbox):
    notification = _send(clinician)
    delivery = notification.deliveries.get()
    services.notification_delivery_attempt(delivery_id=delivery.pk)
    NotificationDelivery.objects.filter(pk=delivery.pk).update(status="pending")
    services.notification_delivery_attempt(delivery_id=delivery.pk)

    assert len(mailoutbox) == 2
    ids = {message.extra_headers["Message-ID"] for message in mailoutbox}
    assert ids == {f"<notice-{notification.pk}@testserver>"}


def test_the_urgent_sweep_sends_urgent_notices_only(clinician, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(tasks.notification_deliver_task, "apply_async", side_effect=BROKER_DOWN),
        django_capture_on_commit_callbacks(execute=True),
    ):
        urgent = _send(clinician, urgent=True)
        routine = _send(clinician)

    assert tasks.notification_urgent_delivery_sweep_task.apply().get() == 1
    assert urgent.deliveries.get().status == NotificationDelivery.Status.SENT
    assert routine.deliveries.get().status == NotificationDelivery.Status.PENDING
