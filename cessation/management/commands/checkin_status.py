"""For an operator: how many check-in schedules are due, overdue and claimed, and whether beat
and the workers are alive."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db.models import Count, Q
from django.utils import timezone

from cessation.models import CheckInReminder, CheckInSchedule
from core.models import Heartbeat

OVERDUE_AFTER = timedelta(minutes=5)


class Command(BaseCommand):
    help = "Show the check-in clock: schedules due, overdue and claimed, and the heartbeats."

    def handle(self, *args, **options):
        now = timezone.now()
        counts = CheckInSchedule.objects.aggregate(
            active=Count("pk", filter=Q(is_active=True)),
            due=Count("pk", filter=Q(is_active=True, next_due_at__lte=now)),
            overdue=Count("pk", filter=Q(is_active=True, next_due_at__lte=now - OVERDUE_AFTER)),
            claimed=Count("pk", filter=Q(claimed_until__gt=now)),
            missed_check_due=Count("pk", filter=Q(is_active=True, next_missed_check_at__lte=now)),
        )
        last_hour = CheckInReminder.objects.filter(created_at__gte=now - timedelta(hours=1)).count()
        self.stdout.write(f"active schedules        {counts['active']}")
        self.stdout.write(f"due now                 {counts['due']}")
        self.stdout.write(f"overdue (> 5 minutes)   {counts['overdue']}")
        self.stdout.write(f"claimed by a worker     {counts['claimed']}")
        self.stdout.write(f"missed checks due       {counts['missed_check_due']}")
        self.stdout.write(f"reminders, last hour    {last_hour}")
        beat = Heartbeat.objects.filter(name="beat").first()
        if beat is None:
            self.stdout.write(self.style.WARNING("heartbeat               never: is beat running?"))
        else:
            age = (now - beat.last_seen_at).total_seconds()
            line = (
                f"heartbeat (beat→worker) {beat.last_seen_at:%Y-%m-%d %H:%M:%S} ({age:.0f} s ago)"
            )
            style = self.style.SUCCESS if age < 120 else self.style.WARNING
            self.stdout.write(style(line))
        if counts["overdue"]:
            self.stdout.write(
                self.style.WARNING(
                    "Schedules are overdue: check that beat and a worker on the 'reminders' queue "
                    "are running (docs/operations.md)."
                )
            )
