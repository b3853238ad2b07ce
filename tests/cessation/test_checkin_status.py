"""`manage.py checkin_status`: what an operator sees of the check-in clock — schedules due,
overdue and claimed, missed checks waiting, reminders sent in the last hour, and the beat→worker
heartbeat."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from cessation import services
from cessation.models import CheckInReminder, CheckInSchedule
from core.models import Heartbeat
from tests.cessation.factories import Clock
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

SLOT = datetime(2025, 7, 15, 18, 0, tzinfo=UTC)  # 19:00 in London
NOW = SLOT + timedelta(minutes=10)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


def schedule(**fields) -> CheckInSchedule:
    made = services.schedule_for(PatientFactory())
    CheckInSchedule.objects.filter(pk=made.pk).update(**fields)
    return made


def status() -> str:
    out = StringIO()
    call_command("checkin_status", stdout=out)
    return out.getvalue()


def count(output: str, label: str) -> int:
    match = re.search(rf"^{re.escape(label)}\s+(\d+)$", output, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{output}"
    return int(match.group(1))


def test_it_counts_schedules_due_overdue_and_claimed(clock):
    schedule(next_due_at=SLOT)  # due 10 minutes ago: overdue
    schedule(next_due_at=NOW - timedelta(minutes=2))  # due, not yet overdue
    schedule(next_due_at=SLOT, claimed_until=NOW + timedelta(minutes=3))  # claimed by a worker
    schedule(next_due_at=SLOT, claimed_until=NOW - timedelta(minutes=1))  # a lease that expired
    schedule(next_due_at=NOW + timedelta(hours=1))  # later
    schedule(next_due_at=SLOT, is_active=False)  # stopped: not counted
    schedule(next_due_at=NOW + timedelta(hours=1), next_missed_check_at=NOW)  # a missed check due

    output = status()

    assert count(output, "active schedules") == 6
    assert count(output, "due now") == 4
    assert count(output, "overdue (> 5 minutes)") == 3
    assert count(output, "claimed by a worker") == 1
    assert count(output, "missed checks due") == 1
    assert "Schedules are overdue" in output
    assert "'reminders' queue" in output


def test_it_counts_the_reminders_of_the_last_hour(clock):
    patient = PatientFactory()
    CheckInReminder.objects.create(
        patient=patient, slot_at=SLOT, day=SLOT.date(), created_at=NOW - timedelta(minutes=10)
    )
    CheckInReminder.objects.create(
        patient=patient,
        slot_at=SLOT - timedelta(days=1),
        day=SLOT.date() - timedelta(days=1),
        created_at=NOW - timedelta(hours=2),
    )

    assert count(status(), "reminders, last hour") == 1


def test_when_all_is_well_there_is_no_overdue_warning(clock):
    schedule(next_due_at=NOW + timedelta(hours=1))
    Heartbeat.objects.create(name="beat", last_seen_at=NOW - timedelta(seconds=30), count=12)

    output = status()

    assert count(output, "due now") == 0
    assert count(output, "overdue (> 5 minutes)") == 0
    assert "Schedules are overdue" not in output
    assert "heartbeat (beat→worker) 2025-07-15 18:09:30 (30 s ago)" in output


def test_without_a_heartbeat_it_asks_whether_beat_is_running(clock):
    output = status()

    assert "heartbeat               never: is beat running?" in output
    assert count(output, "active schedules") == 0


def test_an_old_heartbeat_shows_its_age(clock):
    Heartbeat.objects.create(name="beat", last_seen_at=NOW - timedelta(minutes=10), count=1)

    output = status()

    assert "(600 s ago)" in output
