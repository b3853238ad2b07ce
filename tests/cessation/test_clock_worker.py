"""The check-in clock through a real Celery worker process, on the configured broker (Redis when
REDIS_URL is set, the file-system transport otherwise), against the test database: a due
schedule is reminded by the worker and the email goes; a batch message delivered twice reminds
once; a worker killed in the middle of a batch loses nobody and reminds nobody twice; with the
broker unreachable the claims are released and the first tick after it returns reminds each
patient once.

The worker runs on the real clock, so these schedules are made due by writing `next_due_at` a
minute in the past, with their time of day set 12 hours away (and no quiet hours) so that no
real slot falls due while a test runs.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from cessation import services
from cessation.models import CheckInReminder, CheckInSchedule
from cessation.tasks import checkin_reminder_batch_task
from core.models import Notification, NotificationDelivery
from core.tasks import notification_delivery_sweep_task
from tests import worker as celery_processes
from tests.factories import PatientFactory
from tests.worker import broker_down, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60


def due_now(count: int = 1) -> list[CheckInSchedule]:
    """Schedules due a minute ago, whose next real slot is 12 hours away."""
    now = timezone.now()
    far = timezone.localtime(now + timedelta(hours=12)).strftime("%H:%M")
    schedules = []
    for _ in range(count):
        schedule = services.schedule_for(PatientFactory())
        CheckInSchedule.objects.filter(pk=schedule.pk).update(
            times=[far],
            early_times=[],
            quiet_start="00:00",
            quiet_end="00:00",
            next_due_at=now - timedelta(minutes=1),
        )
        schedules.append(schedule)
    return schedules


def reminded_patients() -> list[int]:
    return list(CheckInReminder.objects.values_list("patient_id", flat=True))


def test_a_due_schedule_is_reminded_by_the_worker_and_its_email_is_sent(worker):
    (schedule,) = due_now()

    assert services.reminders_tick() == 1

    wait_for(lambda: CheckInReminder.objects.exists(), TIMEOUT, [worker])
    reminder = CheckInReminder.objects.get()
    assert reminder.patient_id == schedule.pk
    assert reminder.notification.kind == "checkin_reminder"
    assert reminder.notification.url == f"/check-in/{reminder.day.isoformat()}/"
    delivery = NotificationDelivery.objects.get(notification=reminder.notification)
    assert delivery.channel == "email"
    # The email is left to the delivery sweep (beat runs it every minute), through the worker.
    assert delivery.next_attempt_at <= timezone.now()
    notification_delivery_sweep_task.apply_async(queue="default")
    wait_for(
        lambda: NotificationDelivery.objects.get(pk=delivery.pk).status == "sent",
        TIMEOUT,
        [worker],
    )
    moved = CheckInSchedule.objects.get(pk=schedule.pk)
    assert moved.next_due_at > timezone.now()
    assert moved.claimed_until is None


def test_a_batch_message_delivered_twice_reminds_once(worker):
    (schedule,) = due_now()

    first = checkin_reminder_batch_task.delay([schedule.pk])
    second = checkin_reminder_batch_task.delay([schedule.pk])

    wait_for(lambda: first.ready() and second.ready(), TIMEOUT, [worker])
    assert sorted([first.result, second.result]) == [0, 1]
    assert reminded_patients() == [schedule.pk]
    assert Notification.objects.filter(kind="checkin_reminder").count() == 1


def test_a_lapsed_claim_is_claimed_again_and_reminds_nobody_twice(worker, settings):
    settings.CESSATION_REMINDER_BATCH_SIZE = 2
    schedules = due_now(5)
    lease = timedelta(seconds=settings.CESSATION_CLAIM_LEASE_SECONDS)

    # A tick claimed them, and its batch messages died with the worker: claimed, never sent.
    claimed = services.reminders_claim_due()
    assert sorted(claimed) == sorted(s.pk for s in schedules)
    # While the lease holds, another tick leaves them alone.
    assert services.reminders_tick() == 0

    # Once the lease has run out, the next tick claims them again and the worker sends them.
    after_lease = timezone.now() + lease + timedelta(seconds=1)
    assert services.reminders_tick(now=after_lease) == 5

    wait_for(lambda: CheckInReminder.objects.count() >= 5, TIMEOUT, [worker])
    # Let anything still queued run, then look again: nobody twice.
    wait_for(
        lambda: not CheckInSchedule.objects.filter(claimed_until__isnull=False).exists(),
        TIMEOUT,
        [worker],
    )
    time.sleep(1)
    assert sorted(reminded_patients()) == sorted(s.pk for s in schedules)
    assert Notification.objects.filter(kind="checkin_reminder").count() == 5
    assert services.reminders_tick(now=after_lease) == 0
    assert all(s.next_due_at > timezone.now() for s in CheckInSchedule.objects.all())


def test_a_beat_started_twice_reminds_each_patient_once_through_the_worker(worker):
    schedules = due_now(4)

    first = services.reminders_tick()
    second = services.reminders_tick()

    assert (first, second) == (4, 0)
    wait_for(lambda: CheckInReminder.objects.count() >= 4, TIMEOUT, [worker])
    wait_for(
        lambda: not CheckInSchedule.objects.filter(claimed_until__isnull=False).exists(),
        TIMEOUT,
        [worker],
    )
    assert sorted(reminded_patients()) == sorted(s.pk for s in schedules)


def _backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _other_backends_busy() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":")[0] not in {"postgres", "postgresql"},
    reason="holds a worker mid-batch on a PostgreSQL row lock",
)
def test_a_worker_killed_in_the_middle_of_a_batch_loses_nobody_and_reminds_nobody_twice(
    tmp_path, settings
):
    schedules = due_now(3)
    first = schedules[0]
    first.refresh_from_db()
    # Another transaction holds an uncommitted reminder for the first patient's slot, so the
    # worker's insert of the batch's reminders waits on it: the worker is stopped mid-batch, its
    # notices written but not committed.
    blocker = psycopg.connect(celery_processes.test_database_url())
    blocker.execute(
        "INSERT INTO cessation_checkinreminder (patient_id, slot_at, day, kind, created_at)"
        " VALUES (%s, %s, %s, 'reminder', now())",
        [first.pk, first.next_due_at, timezone.localdate()],
    )
    doomed = celery_processes.start(
        celery_processes.WORKER_ARGS, {}, tmp_path / "killed-worker.log"
    )
    survivor = None
    try:
        assert services.reminders_tick() == 3
        wait_for(
            lambda: _backends_waiting_on_a_lock() == 1, TIMEOUT, [tmp_path / "killed-worker.log"]
        )

        doomed.send_signal(signal.SIGKILL)  # no warm shutdown: the batch dies half done
        doomed.wait(timeout=10)
        blocker.rollback()
        blocker.close()
        # The dead worker's transaction is rolled back by PostgreSQL.
        wait_for(lambda: _other_backends_busy() == 0, TIMEOUT, [tmp_path / "killed-worker.log"])
        assert not CheckInReminder.objects.exists()
        assert not Notification.objects.filter(kind="checkin_reminder").exists()
        assert CheckInSchedule.objects.filter(claimed_until__isnull=False).count() == 3

        survivor = celery_processes.start(celery_processes.WORKER_ARGS, {}, tmp_path / "worker.log")
        # While the dead worker's lease holds, nobody claims its schedules; after it, the
        # next tick does, and the new worker sends each reminder once.
        assert services.reminders_tick() == 0
        lease = timedelta(seconds=settings.CESSATION_CLAIM_LEASE_SECONDS)
        assert services.reminders_tick(now=timezone.now() + lease + timedelta(seconds=1)) == 3
        wait_for(
            lambda: not CheckInSchedule.objects.filter(claimed_until__isnull=False).exists(),
            TIMEOUT,
            [tmp_path / "worker.log"],
        )
    finally:
        if doomed.poll() is None:
            doomed.kill()
        if not blocker.closed:
            blocker.close()
        if survivor is not None:
            celery_processes.stop(survivor)

    assert sorted(reminded_patients()) == sorted(s.pk for s in schedules)
    assert Notification.objects.filter(kind="checkin_reminder").count() == 3


def test_with_the_broker_down_claims_are_released_and_the_next_tick_reminds_once(worker, caplog):
    schedules = due_now(3)

    with broker_down():
        # The beat's tick ran, but its batch could not be queued.
        assert services.reminders_tick() == 3

    assert "could not queue a batch of 3 reminders" in caplog.text
    assert not CheckInReminder.objects.exists()
    # Nothing was lost: the schedules are still due, and not held by a claim nobody will send.
    assert not CheckInSchedule.objects.filter(claimed_until__isnull=False).exists()
    assert CheckInSchedule.objects.filter(next_due_at__lte=timezone.now()).count() == 3

    # The broker is back (a minute later): the next tick claims them, the worker reminds each
    # patient once, and a further tick finds nothing to do.
    assert services.reminders_tick(now=timezone.now() + timedelta(minutes=1)) == 3
    wait_for(
        lambda: not CheckInSchedule.objects.filter(claimed_until__isnull=False).exists(),
        TIMEOUT,
        [worker],
    )
    assert services.reminders_tick(now=timezone.now() + timedelta(minutes=2)) == 0
    assert sorted(reminded_patients()) == sorted(s.pk for s in schedules)
    assert Notification.objects.filter(kind="checkin_reminder").count() == 3
