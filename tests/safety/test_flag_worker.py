"""A flag's notice really travels: through the broker to a real Celery worker process (Redis when
REDIS_URL is set, the file-system transport otherwise). With the broker unreachable while a flag
is raised, the request still succeeds, the flag and its pending delivery are saved, and after
recovery the delivery sweep sends the notice exactly once."""

from __future__ import annotations

import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from core.models import NotificationDelivery
from core.tasks import notification_delivery_sweep_task
from safety.models import Flag, Severity
from tests.safety.factories import make_team, raise_flag
from tests.worker import broker_down, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _delivery_for(flag: Flag) -> NotificationDelivery:
    return NotificationDelivery.objects.get(
        notification__kind="safety_flag", notification__url=flag.get_absolute_url()
    )


def test_a_flag_raised_while_a_worker_runs_is_emailed_by_the_worker(worker):
    team = make_team()

    flag = raise_flag(team.patient, severity=Severity.CRITICAL)  # commits: the task is queued

    delivery = _delivery_for(flag)
    wait_for(
        lambda: NotificationDelivery.objects.get(pk=delivery.pk).status == "sent", 60, [worker]
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert delivery.last_error == ""


def test_with_the_broker_down_the_flag_is_saved_and_sent_once_after_recovery(
    client, worker, caplog
):
    team = make_team()
    client.force_login(team.peer)
    started = time.monotonic()

    with broker_down():
        with celery_app.connection_for_write() as connection:
            assert (connection.transport_cls, connection.port) == ("redis", 1)
        response = client.post(
            reverse("safety:concern_create", args=[team.patient.pk]),
            {"severity": "critical", "note": "Said goodbye to everyone at group."},
        )

    # The request did not fail, nor hang on the broker, and nothing is lost.
    assert response.status_code == HTTPStatus.FOUND
    assert time.monotonic() - started < 15
    assert "could not queue core.tasks.notification_deliver_task" in caplog.text
    flag = Flag.objects.get(patient=team.patient)
    assert flag.status == Flag.Status.OPEN
    delivery = _delivery_for(flag)
    assert delivery.notification.recipient == team.clinician
    assert delivery.status == NotificationDelivery.Status.PENDING
    assert delivery.attempts == 0
    # Recovery: the broker is back. The first send was never queued, so the sweep takes over
    # once the grace period has passed.
    NotificationDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    swept = notification_delivery_sweep_task.apply_async(queue="default")

    assert swept.get(timeout=60) == 1
    delivery.refresh_from_db()
    assert delivery.status == NotificationDelivery.Status.SENT
    assert delivery.attempts == 1
    # Swept again: nothing left to send, nothing sent twice.
    assert notification_delivery_sweep_task.apply_async(queue="default").get(timeout=60) == 0
    delivery.refresh_from_db()
    assert delivery.attempts == 1
