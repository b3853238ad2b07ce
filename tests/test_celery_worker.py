"""Tasks really run: a Celery worker (and beat) as separate processes on the configured broker —
Redis when REDIS_URL is set, the file-system transport otherwise — against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from core import services
from core.models import Heartbeat, NotificationDelivery
from core.tasks import heartbeat_task
from tests.factories import PatientFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CELERY = str(Path(sys.executable).with_name("celery"))
BASE_DIR = Path(settings.BASE_DIR)


def _test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _start(args: list[str], extra_env: dict[str, str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _test_database_url(), **extra_env}
    return subprocess.Popen(
        [CELERY, "-A", "config", *args],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _wait_for(predicate, timeout: float, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    output = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in logs)
    pytest.fail(f"condition not met within {timeout}s; process output:\n{output}")


@pytest.fixture
def worker(tmp_path) -> Iterator[Path]:
    celery_app.control.purge()  # stale messages from earlier tests would only slow it down
    log = tmp_path / "worker.log"
    process = _start(
        [
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            "escalation,default,reminders",
        ],
        {},
        log,
    )
    try:
        yield log
    finally:
        _stop(process)


def test_a_task_sent_to_the_broker_runs_in_a_real_worker(worker):
    assert not Heartbeat.objects.exists()

    heartbeat_task.delay()

    _wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), 60, [worker])
    assert Heartbeat.objects.get(name="beat").count == 1


def test_a_notification_is_delivered_by_the_worker_after_commit(worker):
    patient = PatientFactory()

    notification = services.notification_send(
        recipient=patient, kind="test", title="A notice", body="private body", urgent=True
    )

    delivery = NotificationDelivery.objects.get(notification=notification)
    _wait_for(
        lambda: NotificationDelivery.objects.get(pk=delivery.pk).status == "sent", 60, [worker]
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.sent_at is not None


def test_beat_drives_the_heartbeat_that_health_reports(client, worker, tmp_path):
    beat_log = tmp_path / "beat.log"
    beat = _start(
        ["beat", "--loglevel=INFO", "--schedule", str(tmp_path / "beat-schedule")],
        {"CELERY_HEARTBEAT_SECONDS": "1"},
        beat_log,
    )
    try:
        _wait_for(
            lambda: Heartbeat.objects.filter(name="beat", count__gte=2).exists(),
            60,
            [worker, beat_log],
        )
    finally:
        _stop(beat)

    response = client.get("/health/")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["checks"]["heartbeat"]["ok"] is True
