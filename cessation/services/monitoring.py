"""Noticing when someone stops answering or gets worse: the missed check-in ladder, deterioration
against the person's own baseline, and follow-up notices (the 4-week CO check).

Missed check-ins: each morning, when quiet hours end, yesterday's scheduled check-in is looked
for. A missing one is recorded, and the ladder (settings.CESSATION_MISSED_LADDER) decides:
1 missed → a gentle second reminder; 2 in a row → the patient's peer specialist is asked to reach
out; 3 in a row (2 in the first weeks after discharge) → a nonresponse flag to the clinician.
Checking in again resets the ladder, and the open outreach task and flag say so.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from cessation import deterioration
from cessation import schedule as rules
from cessation.models import (
    CheckIn,
    CheckInReminder,
    CheckInSchedule,
    FollowUpNotice,
    MissedCheckIn,
    OutreachTask,
    QuitPlan,
)
from cessation.progress import CO_WINDOW_DAYS
from core.services import audit_record, notification_send
from safety.models import Flag, Severity
from safety.services import flag_note_system, flag_raise

logger = logging.getLogger(__name__)


def _ladder() -> dict[str, int]:
    return {**{"second_reminder": 1, "peer_outreach": 2, "flag": 3, "flag_early": 2},
            **settings.CESSATION_MISSED_LADDER}  # fmt: skip


def _in_early_weeks(profile: PatientProfile | None, day: date) -> bool:
    return (
        profile is not None
        and profile.discharged_on is not None
        and day < profile.discharged_on + timedelta(days=settings.CESSATION_EARLY_DAYS)
    )


def _was_scheduled(schedule: CheckInSchedule, day: date) -> bool:
    return (
        schedule.frequency == CheckInSchedule.Frequency.DAILY or schedule.weekday == day.weekday()
    )


def missed_checkins_process(
    *, now: datetime | None = None, batch_size: int = 200, max_batches: int = 20
) -> int:
    """Look for yesterday's check-in of every schedule whose morning has come. Each batch is its
    own transaction, claimed with SKIP LOCKED, so several workers share the work. Returns how
    many schedules were looked at."""
    now = now or timezone.now()
    done = 0
    for _ in range(max_batches):
        with transaction.atomic():
            batch = list(
                CheckInSchedule.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("patient", "patient__patient_profile")
                .filter(is_active=True, next_missed_check_at__lte=now)
                .order_by("next_missed_check_at")[:batch_size]
            )
            for schedule in batch:
                _check_day(schedule)
            CheckInSchedule.objects.bulk_update(batch, ["next_missed_check_at", "missed_in_row"])
        done += len(batch)
        if len(batch) < batch_size:
            break
    return done


def _check_day(schedule: CheckInSchedule) -> None:
    profile = getattr(schedule.patient, "patient_profile", None)
    zone = rules.zone_of(profile.time_zone if profile else settings.TIME_ZONE)
    # The check runs the morning after the day it is about. The next check is the morning after
    # this one, not after the job's own time: when the job was down for days, each run catches
    # up one more day, so no missed day goes uncounted and the ladder still climbs.
    day = schedule.next_missed_check_at.astimezone(zone).date() - timedelta(days=1)
    schedule.next_missed_check_at = rules.next_missed_check(
        schedule.next_missed_check_at, zone=zone, quiet_end=schedule.quiet_end
    )
    joined = timezone.localtime(schedule.patient.date_joined, zone).date()
    if day < joined or not _was_scheduled(schedule, day):
        return
    if CheckIn.objects.filter(patient_id=schedule.pk, day=day).exists():
        schedule.missed_in_row = 0
        return
    schedule.missed_in_row += 1
    try:
        with transaction.atomic():
            MissedCheckIn.objects.create(
                patient_id=schedule.pk, day=day, in_row=schedule.missed_in_row
            )
    except IntegrityError:  # this day was already recorded (the job ran twice)
        schedule.missed_in_row -= 1
        return
    _climb_ladder(schedule, profile, day)


def _climb_ladder(schedule: CheckInSchedule, profile: PatientProfile | None, day: date) -> None:
    ladder = _ladder()
    in_row = schedule.missed_in_row
    patient = schedule.patient
    flag_at = ladder["flag_early"] if _in_early_weeks(profile, day) else ladder["flag"]
    if in_row == ladder["second_reminder"]:
        _second_reminder(patient, day)
    if in_row == ladder["peer_outreach"] and profile is not None and profile.peer_specialist_id:
        _outreach(patient, profile.peer_specialist, in_row)
    if in_row >= flag_at:
        flag_raise(
            patient=patient,
            source=Flag.Source.MISSED_CHECKIN,
            category=Flag.Category.NONRESPONSE,
            severity=Severity.MEDIUM,
            summary=f"Has missed {in_row} check-ins in a row (last: {day:%-d %b})",
            source_ref=f"cessation.missedcheckin:{schedule.pk}:{day.isoformat()}",
        )


def _second_reminder(patient: User, day: date) -> None:
    slot = timezone.now()
    try:
        with transaction.atomic():
            reminder = CheckInReminder.objects.create(
                patient=patient, slot_at=slot, day=day, kind=CheckInReminder.Kind.SECOND
            )
    except IntegrityError:
        return
    reminder.notification = notification_send(
        recipient=patient,
        kind="checkin_second_reminder",
        title="We missed you yesterday",
        body="No pressure. You can still tell us how yesterday went: it takes about a minute.",
        url=reverse("cessation:checkin_day", args=[day]),
    )
    reminder.save(update_fields=["notification"])


def _outreach(patient: User, peer: User, in_row: int) -> None:
    if not (peer.is_active and peer.role == Role.PEER):
        return
    try:
        with transaction.atomic():
            task = OutreachTask.objects.create(
                patient=patient,
                peer=peer,
                reason=f"Has not checked in for {in_row} days in a row",
            )
    except IntegrityError:  # an outreach task is already open
        return
    notification_send(
        recipient=peer,
        kind="outreach_task",
        title="Someone you support may need a call",
        body=f"{patient.display_name} has not checked in for {in_row} days. Please reach out.",
        url=reverse("cessation_staff:outreach_queue"),
    )
    audit_record(actor=None, action="outreach.created", subject=patient, target=task)


def checkin_received(*, patient: User, checkin: CheckIn) -> None:
    """A check-in came in: reset the missed ladder, and close the loop on outreach and flags."""
    schedule = CheckInSchedule.objects.select_for_update().filter(patient=patient).first()
    if schedule is None or schedule.missed_in_row == 0:
        return
    missed = schedule.missed_in_row
    schedule.missed_in_row = 0
    schedule.save(update_fields=["missed_in_row", "updated_at"])
    note = f"They checked in again (for {checkin.day:%-d %b}) after missing {missed}."
    now = timezone.now()
    for task in OutreachTask.objects.select_for_update().filter(
        patient=patient, status=OutreachTask.Status.OPEN
    ):
        task.status = OutreachTask.Status.PATIENT_RETURNED
        task.closed_at = now
        task.note = (task.note + "\n" if task.note else "") + note
        task.save(update_fields=["status", "closed_at", "note"])
    flag_note_system(patient=patient, category=Flag.Category.NONRESPONSE, note=note)


def outreach_close(*, task: OutreachTask, by: User, note: str = "") -> OutreachTask:
    """The peer specialist has reached out (or tried): close the task with what happened."""
    if task.peer_id != by.pk:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("This task is not in your queue.")
    if task.status != OutreachTask.Status.OPEN:
        from core.exceptions import StateConflict

        raise StateConflict("This task is already closed.")
    task.status = OutreachTask.Status.DONE
    task.closed_at = timezone.now()
    task.closed_by = by
    task.note = (note or "").strip()
    task.save(update_fields=["status", "closed_at", "closed_by", "note"])
    audit_record(actor=by, action="outreach.closed", subject=task.patient, target=task)
    return task


def deterioration_check(*, patient: User, checkin: CheckIn) -> Flag | None:
    """Compare the latest check-ins with the person's own baseline and raise (or add to) a
    deterioration flag with the reasons spelled out."""
    thresholds = settings.CESSATION_DETERIORATION
    window = int(thresholds.get("baseline_days", 14)) + int(thresholds.get("sustained", 3)) + 7
    readings = [
        deterioration.Reading(day, mood, craving, sleep)
        for day, mood, craving, sleep in CheckIn.objects.filter(
            patient=patient, day__gte=checkin.day - timedelta(days=window), day__lte=checkin.day
        ).values_list("day", "mood", "craving", "sleep")
    ]
    findings = deterioration.assess(readings, thresholds)
    if not findings:
        return None
    severity = Severity.HIGH if any(f.severity == "high" for f in findings) else Severity.MEDIUM
    # A fall against their own usual is worth a clinician's look within a day (medium).
    return flag_raise(
        patient=patient,
        source=Flag.Source.DETERIORATION,
        category=Flag.Category.DETERIORATION,
        severity=severity,
        summary="Worse than their usual: " + "; ".join(f.rule.replace("_", " ") for f in findings),
        evidence=[
            {"category": "deterioration", "rule_id": f.rule, "excerpt": "", "reason": f.reason}
            for f in findings
        ],
        source_ref=f"cessation.checkin:{checkin.pk}",
    )


def co_window_notices_send(*, now: datetime | None = None) -> int:
    """Tell patients (and their clinician) when their 4-week CO check window opens. Once each."""
    now = now or timezone.now()
    sent = 0
    opens_after = timedelta(days=CO_WINDOW_DAYS[0])
    horizon = timezone.localdate(now)
    plans = (
        QuitPlan.objects.select_related("patient", "patient__patient_profile")
        .filter(
            quit_date__lte=horizon - opens_after + timedelta(days=1),
            quit_date__gte=horizon - opens_after - timedelta(days=1),
            patient__is_active=True,
        )
        .exclude(patient__checkin_schedule__paused_for__gt="")
    )  # paused by the trial's usual care
    for plan in plans:
        profile = getattr(plan.patient, "patient_profile", None)
        zone = rules.zone_of(profile.time_zone if profile else settings.TIME_ZONE)
        today = now.astimezone(zone).date()
        due = plan.quit_date + opens_after
        if today != due:
            continue
        try:
            with transaction.atomic():
                FollowUpNotice.objects.create(patient=plan.patient, kind="co_window", due_on=due)
                closes = plan.quit_date + timedelta(days=CO_WINDOW_DAYS[1])
                notification_send(
                    recipient=plan.patient,
                    kind="co_window",
                    title="Your 4-week breath test is due",
                    body=(
                        f"Four weeks since your quit date: a carbon monoxide breath test between "
                        f"now and {closes:%-d %B} confirms your quit. Ask your stop-smoking "
                        "service or care team."
                    ),
                    url=reverse("cessation:progress"),
                )
                if profile is not None and profile.clinician_id:
                    notification_send(
                        recipient=profile.clinician,
                        kind="co_window",
                        title="A 4-week CO reading is due",
                        body=(
                            f"{plan.patient.full_name}: the 4-week CO window is open until "
                            f"{closes:%-d %B}."
                        ),
                        url=reverse("accounts:patient_detail", args=[plan.patient_id]),
                    )
        except IntegrityError:
            continue
        sent += 1
    return sent
