"""Check-in schedules and reminders: the programme's clock.

The beat tick claims due schedules (SELECT … FOR UPDATE SKIP LOCKED, then a short lease in
`claimed_until`) and queues a bounded number of batches of ids; a worker sends each batch's
reminders with set-based writes and moves every schedule on to its next slot. A reminder is a
row unique per patient and slot, so a batch that runs twice (a worker killed mid-batch, a
duplicated beat) sends nothing twice; a claim whose worker died expires and is claimed again, so
nobody is skipped. After an outage, one reminder goes for the latest missed slot, not a storm.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from cessation import permissions
from cessation import schedule as rules
from cessation.models import CheckIn, CheckInReminder, CheckInSchedule
from cessation.services.clock import patient_zone
from core.services import NoticeDraft, audit_record, notifications_send_bulk

logger = logging.getLogger(__name__)


def _setting_time(value: str) -> time:
    return rules.parse_time(value)


def schedule_rules_for(
    schedule: CheckInSchedule, profile: PatientProfile | None, *, on=None
) -> rules.Rules:
    """The arithmetic rules of a schedule on a given local date (early times after discharge)."""
    zone = rules.zone_of(profile.time_zone if profile else settings.TIME_ZONE)
    today = (on or timezone.now()).astimezone(zone).date()
    times = rules.times_for(
        today=today,
        discharged_on=profile.discharged_on if profile else None,
        times=schedule.times or settings.CESSATION_CHECKIN_TIMES,
        early_times=schedule.early_times,
        early_days=settings.CESSATION_EARLY_DAYS,
    )
    return rules.Rules(
        zone=zone,
        times=times,
        quiet_start=schedule.quiet_start,
        quiet_end=schedule.quiet_end,
        weekday=schedule.weekday
        if schedule.frequency == CheckInSchedule.Frequency.WEEKLY
        else None,
    )


def _profile(patient: User) -> PatientProfile | None:
    return PatientProfile.objects.filter(user=patient).first()


def schedule_default(patient: User) -> CheckInSchedule:
    """A new patient's schedule: daily at the deployment's default times, more often in the first
    weeks after discharge, with the default quiet hours."""
    schedule = CheckInSchedule(
        patient=patient,
        times=list(settings.CESSATION_CHECKIN_TIMES),
        early_times=list(settings.CESSATION_EARLY_CHECKIN_TIMES),
        quiet_start=_setting_time(settings.CESSATION_QUIET_HOURS[0]),
        quiet_end=_setting_time(settings.CESSATION_QUIET_HOURS[1]),
    )
    _reschedule(schedule, _profile(patient), after=timezone.now())
    return schedule


def schedule_for(patient: User) -> CheckInSchedule:
    """The patient's schedule, created with the defaults the first time it is needed."""
    schedule = CheckInSchedule.objects.filter(patient=patient).first()
    if schedule is not None:
        return schedule
    try:
        with transaction.atomic():
            schedule = schedule_default(patient)
            schedule.save()
    except IntegrityError:  # created by a concurrent request or the ensure sweep
        schedule = CheckInSchedule.objects.get(patient=patient)
    return schedule


def schedules_ensure(*, batch_size: int = 1000) -> int:
    """Give every active patient without a schedule the default one. Returns how many."""
    missing = list(
        User.objects.filter(role=Role.PATIENT, is_active=True, checkin_schedule__isnull=True)
        .select_related("patient_profile")
        .order_by("pk")[:batch_size]
    )
    created = CheckInSchedule.objects.bulk_create(
        [schedule_default(patient) for patient in missing], ignore_conflicts=True
    )
    return len(created)


def _reschedule(
    schedule: CheckInSchedule, profile: PatientProfile | None, *, after: datetime
) -> None:
    """Move next_due_at (and the missed-check time) on from `after`."""
    active = schedule.patient.is_active and (
        profile is None or profile.programme_status == PatientProfile.ProgrammeStatus.ACTIVE
    )
    if not active:
        schedule.is_active = False
        schedule.next_due_at = None
        schedule.next_missed_check_at = None
        return
    slot_rules = schedule_rules_for(schedule, profile, on=after)
    schedule.next_due_at = rules.next_slot(after, slot_rules)
    if schedule.next_missed_check_at is None:
        schedule.next_missed_check_at = rules.next_missed_check(
            schedule.next_due_at, zone=slot_rules.zone, quiet_end=schedule.quiet_end
        )


@transaction.atomic
def schedule_update(
    *,
    patient: User,
    by: User,
    frequency: str,
    times: list[str],
    early_times: list[str] | None = None,
    weekday: int | None = None,
    quiet_start: str | None = None,
    quiet_end: str | None = None,
) -> CheckInSchedule:
    """Change when a patient is reminded. The patient or their clinicians may; bad times (in
    quiet hours, not a time, too many) are refused with a clear message and nothing changes."""
    if not permissions.can_edit_quit_plan(by, patient):
        raise PermissionDenied("You cannot change this schedule.")
    schedule = schedule_for(patient)
    schedule = CheckInSchedule.objects.select_for_update().get(pk=schedule.pk)
    if frequency not in CheckInSchedule.Frequency.values:
        raise ValidationError({"frequency": "Choose every day or once a week."})
    if frequency == CheckInSchedule.Frequency.WEEKLY and weekday is None:
        raise ValidationError({"weekday": "Choose the day of the week."})
    errors = {}
    try:
        parsed = [rules.parse_time(t) for t in times if t]
        parsed_early = [rules.parse_time(t) for t in (early_times or []) if t]
        q_start = rules.parse_time(quiet_start) if quiet_start else schedule.quiet_start
        q_end = rules.parse_time(quiet_end) if quiet_end else schedule.quiet_end
    except rules.ScheduleError as exc:
        raise ValidationError({"times": str(exc)}) from exc
    for field, values in (("times", parsed), ("early_times", parsed_early)):
        if field == "early_times" and not values:
            continue
        try:
            rules.validate(
                rules.Rules(
                    zone=patient_zone(patient),
                    times=tuple(values),
                    quiet_start=q_start,
                    quiet_end=q_end,
                    weekday=weekday if frequency == CheckInSchedule.Frequency.WEEKLY else None,
                )
            )
        except rules.ScheduleError as exc:
            errors[field] = str(exc)
    if errors:
        raise ValidationError(errors)
    schedule.frequency = frequency
    schedule.times = [f"{t:%H:%M}" for t in sorted(set(parsed))]
    schedule.early_times = [f"{t:%H:%M}" for t in sorted(set(parsed_early))]
    schedule.weekday = weekday if frequency == CheckInSchedule.Frequency.WEEKLY else None
    schedule.quiet_start, schedule.quiet_end = q_start, q_end
    schedule.updated_by = by
    schedule.claimed_until = None
    schedule.is_active = True
    schedule.next_missed_check_at = None
    _reschedule(schedule, _profile(patient), after=timezone.now())
    schedule.save()
    audit_record(
        actor=by,
        action="checkin_schedule.updated",
        subject=patient,
        target=schedule,
        detail={"frequency": frequency, "times": len(schedule.times)},
    )
    return schedule


def reminders_claim_due(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Claim up to `limit` due schedules for this tick and return their ids.

    Rows are locked with SKIP LOCKED and leased until `claimed_until`, so a second beat (or a
    tick that overlaps a slow one) claims different rows; a lease whose batch never ran (the
    broker was down, the worker was killed) expires and the schedule is claimed again."""
    now = now or timezone.now()
    limit = (
        limit or settings.CESSATION_REMINDER_BATCH_SIZE * settings.CESSATION_REMINDER_MAX_BATCHES
    )
    with transaction.atomic():
        ids = list(
            CheckInSchedule.objects.select_for_update(skip_locked=True)
            .filter(is_active=True, next_due_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("next_due_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            CheckInSchedule.objects.filter(pk__in=ids).update(
                claimed_until=now + timedelta(seconds=settings.CESSATION_CLAIM_LEASE_SECONDS)
            )
    return ids


def reminders_tick(*, now: datetime | None = None) -> int:
    """One beat tick: claim due schedules and queue them in batches. Returns how many claimed."""
    from cessation.tasks import checkin_reminder_batch_task
    from core.tasks import enqueue_on_commit

    ids = reminders_claim_due(now=now)
    size = settings.CESSATION_REMINDER_BATCH_SIZE
    with transaction.atomic():
        for start in range(0, len(ids), size):
            enqueue_on_commit(
                checkin_reminder_batch_task, ids[start : start + size], queue="reminders"
            )
    return len(ids)


def _reminder_draft(patient_id: int, day) -> NoticeDraft:
    return NoticeDraft(
        recipient_id=patient_id,
        kind="checkin_reminder",
        title="Time for your Exhale check-in",
        body="It takes about a minute. How are you doing today?",
        url=reverse("cessation:checkin_day", args=[day]),
    )


@transaction.atomic
def reminders_send_batch(*, schedule_ids: list[int], now: datetime | None = None) -> int:
    """Send the reminders of a batch of claimed schedules and move each on. Returns how many
    reminders were sent. Safe to run twice: only schedules still due are touched, and a
    reminder is unique per patient and slot."""
    now = now or timezone.now()
    schedules = list(
        CheckInSchedule.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("patient", "patient__patient_profile")
        .filter(pk__in=schedule_ids, is_active=True, next_due_at__lte=now)
    )
    if not schedules:
        return 0
    slots = []
    for schedule in schedules:
        profile = getattr(schedule.patient, "patient_profile", None)
        zone = rules.zone_of(profile.time_zone if profile else settings.TIME_ZONE)
        due = schedule.next_due_at
        slots.append((schedule, profile, due, rules.slot_day(due, zone)))
    patient_ids = [s.pk for s in schedules]
    checked_in = set(
        CheckIn.objects.filter(
            patient_id__in=patient_ids, day__in={day for *_, day in slots}
        ).values_list("patient_id", "day")
    )
    reminded = set(
        CheckInReminder.objects.filter(
            patient_id__in=patient_ids,
            kind=CheckInReminder.Kind.REMINDER,
            slot_at__in=[slot for _, _, slot, _ in slots],
        ).values_list("patient_id", "slot_at")
    )
    fresh = [
        (s, slot, day)
        for s, _, slot, day in slots
        if (s.pk, day) not in checked_in and (s.pk, slot) not in reminded
    ]
    notifications = notifications_send_bulk(
        drafts=[_reminder_draft(s.pk, day) for s, _, day in fresh]
    )
    CheckInReminder.objects.bulk_create(
        [
            CheckInReminder(
                patient_id=s.pk, slot_at=slot, day=day, created_at=now, notification=notification
            )
            for (s, slot, day), notification in zip(fresh, notifications, strict=True)
        ],
        ignore_conflicts=True,
    )
    for schedule, profile, _, _ in slots:
        schedule.claimed_until = None
        # Past slots missed during an outage are skipped: the next one is after now.
        _reschedule(schedule, profile, after=max(now, schedule.next_due_at))
    CheckInSchedule.objects.bulk_update(
        [s for s, *_ in slots],
        ["claimed_until", "next_due_at", "next_missed_check_at", "is_active"],
    )
    return len(fresh)
