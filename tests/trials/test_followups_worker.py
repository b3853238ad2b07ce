"""The follow-up clock through a real Celery worker process (on the configured broker), against
the test database: the tick task opens a follow-up whose window has opened, and the participant's
notice is written and its email sent; a second tick sends nothing more. The adverse-event sweep
runs there too."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.models import Notification, NotificationDelivery
from safety.models import Flag
from safety.services.flags import flag_raise
from tests.trials.followup_helpers import a_participant, followup_at
from tests.worker import wait_for
from trials.models import AdverseEvent, FollowUp
from trials.tasks import adverse_events_from_flags_task, followups_tick_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60
ZONES = (
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Pacific/Auckland",
)


def a_daytime_zone() -> str:
    """A time zone where it is now the middle of the day: the worker runs on the real clock,
    and no notice goes at night."""
    for zone in ZONES:
        if 11 <= timezone.localtime(timezone=ZoneInfo(zone)).hour <= 18:
            return zone
    pytest.skip("no daytime zone in the list now")


def test_the_tick_task_opens_a_follow_up_and_the_notice_is_delivered(worker):
    zone = a_daytime_zone()
    today = timezone.localtime(timezone=ZoneInfo(zone)).date()
    participant = a_participant(quit_date=today - timedelta(days=30), time_zone=zone)

    followups_tick_task.apply_async(queue="reminders")

    wait_for(lambda: followup_at(participant).status == FollowUp.Status.OPEN, TIMEOUT, [worker])
    notice = Notification.objects.get(recipient=participant.patient)
    assert notice.kind == "trial_followup_open"
    delivery = NotificationDelivery.objects.get(notification=notice)
    wait_for(
        lambda: NotificationDelivery.objects.get(pk=delivery.pk).status == "sent",
        TIMEOUT,
        [worker],
    )
    followups_tick_task.apply_async(queue="reminders").get(timeout=TIMEOUT)
    assert Notification.objects.filter(recipient=participant.patient).count() == 1


def test_the_sweep_task_makes_an_adverse_event_from_a_critical_flag(worker):
    participant = a_participant()
    flag_raise(
        patient=participant.patient,
        source=Flag.Source.CHECKIN,
        category=Flag.Category.CRISIS,
        severity="critical",
        summary="Possible crisis in a check-in",
    )

    adverse_events_from_flags_task.apply_async(queue="escalation")

    wait_for(
        lambda: AdverseEvent.objects.filter(participant=participant).exists(), TIMEOUT, [worker]
    )
