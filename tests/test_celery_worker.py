"""Tasks really run: a Celery worker (and beat) as separate processes on the configured broker —
Redis when REDIS_URL is set, the file-system transport otherwise — against the test database."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from core import services
from core.models import Heartbeat, NotificationDelivery
from core.tasks import heartbeat_task
from tests.factories import PatientFactory
from tests.worker import start, stop, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_task_sent_to_the_broker_runs_in_a_real_worker(worker):
    assert not Heartbeat.objects.exists()

    heartbeat_task.delay()

    wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), 60, [worker])
    assert Heartbeat.objects.get(name="beat").count == 1


def test_a_notification_is_delivered_by_the_worker_after_commit(worker):
    patient = PatientFactory()

    notification = services.notification_send(
        recipient=patient, kind="test", title="A notice", body="private body", urgent=True
    )

    delivery = NotificationDelivery.objects.get(notification=notification)
    wait_for(
        lambda: NotificationDelivery.objects.get(pk=delivery.pk).status == "sent", 60, [worker]
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.sent_at is not None


def test_beat_drives_the_heartbeat_that_health_reports(client, worker, tmp_path):
    beat_log = tmp_path / "beat.log"
    beat = start(
        ["beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule")],
        {"CELERY_HEARTBEAT_SECONDS": "1"},
        beat_log,
    )
    try:
        wait_for(
            lambda: Heartbeat.objects.filter(name="beat", count__gte=2).exists(),
            60,
            [worker, beat_log],
        )
    finally:
        stop(beat)

    response = client.get("/health/")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["checks"]["heartbeat"]["ok"] is True
