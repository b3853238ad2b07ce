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
from datetime import date, datetime, time, timedelta
from functools import partial
from types import EllipsisType
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from cessation import permissions
from cessation import schedule as rules
from cessation.models import CheckIn, CheckInReminder, CheckInSchedule
from cessation.services.clock import patient_zone
from core.bulk import ids_condition, insert_rows
from core.services import NoticeDraft, audit_record, notifications_send_bulk

logger = logging.getLogger(__name__)

# A tick claims this many batches per statement (fewer, larger claims cost less than one per
# batch; the first batches still go to the workers within a fraction of a second).
CLAIM_BATCHES_AT_ONCE = 3


def _setting_time(value: str) -> time:
    return rules.parse_time(value)


def schedule_rules_for(
    schedule: CheckInSchedule, profile: PatientProfile | None, *, on=None
) -> rules.Rules:
    """The arithmetic rules of a schedule on a given local date (early times after discharge)."""
    return _rules(
        time_zone=profile.time_zone if profile else None,
        discharged_on=profile.discharged_on if profile else None,
        times=tuple(schedule.times),
        early_times=tuple(schedule.early_times),
        frequency=schedule.frequency,
        weekday=schedule.weekday,
        quiet_start=schedule.quiet_start,
        quiet_end=schedule.quiet_end,
        on=on or timezone.now(),
    )


def _rules(
    *,
    time_zone: str | None,
    discharged_on: date | None,
    times: tuple[str, ...],
    early_times: tuple[str, ...],
    frequency: str,
    weekday: int | None,
    quiet_start: time,
    quiet_end: time,
    on: datetime,
) -> rules.Rules:
    zone = rules.zone_of(time_zone or settings.TIME_ZONE)
    return rules.Rules(
        zone=zone,
        times=rules.times_for(
            today=on.astimezone(zone).date(),
            discharged_on=discharged_on,
            times=times or settings.CESSATION_CHECKIN_TIMES,
            early_times=early_times,
            early_days=settings.CESSATION_EARLY_DAYS,
        ),
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        weekday=weekday if frequency == CheckInSchedule.Frequency.WEEKLY else None,
    )


def _profile(patient: User) -> PatientProfile | None:
    return PatientProfile.objects.filter(user=patient).first()


def _taking_part(patient: User, profile: PatientProfile | None) -> bool:
    """Whether the patient is still reminded: an active account, not withdrawn."""
    return patient.is_active and (
        profile is None or profile.programme_status == PatientProfile.ProgrammeStatus.ACTIVE
    )


def _latest_slot(due: datetime, slot_rules: rules.Rules, *, now: datetime) -> datetime:
    """The latest slot due by `now`: after an outage the one reminder is for the most recent
    missed slot, so its link opens a day that can still be checked in."""
    # Every schedule has a slot each week: older ones can never be the latest.
    after = max(due, now - timedelta(days=8))
    while (candidate := rules.next_slot(after, slot_rules)) <= now:
        due = after = candidate
    return due


def schedule_default(
    patient: User, *, profile: PatientProfile | EllipsisType | None = ...
) -> CheckInSchedule:
    """A new patient's schedule: daily at the deployment's default times, more often in the first
    weeks after discharge, with the default quiet hours. Pass `profile` when it is already loaded
    (None for a patient without one)."""
    schedule = CheckInSchedule(
        patient=patient,
        times=list(settings.CESSATION_CHECKIN_TIMES),
        early_times=list(settings.CESSATION_EARLY_CHECKIN_TIMES),
        quiet_start=_setting_time(settings.CESSATION_QUIET_HOURS[0]),
        quiet_end=_setting_time(settings.CESSATION_QUIET_HOURS[1]),
    )
    if profile is ...:
        profile = _profile(patient)
    _reschedule(schedule, profile, after=timezone.now())
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


@transaction.atomic
def schedule_pause(*, patient: User, reason: str) -> CheckInSchedule:
    """Pause the programme's reminders for a patient on behalf of an app above (the trial's
    usual-care arm): no reminder, missed check-in, outreach or non-response flag until
    `schedule_resume` with the same reason. Creates the schedule if there is none yet, so the
    ensure sweep does not give them an active one."""
    if not reason:
        raise ValueError("A pause needs a reason.")
    schedule = schedule_for(patient)
    schedule = CheckInSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.paused_for == reason and not schedule.is_active:
        return schedule
    schedule.paused_for = reason
    schedule.is_active = False
    schedule.next_due_at = None
    schedule.next_missed_check_at = None
    schedule.missed_in_row = 0
    schedule.claimed_until = None
    schedule.save()
    audit_record(
        actor=None,
        action="checkin_schedule.paused",
        subject=patient,
        target=schedule,
        detail={"reason": reason},
    )
    return schedule


@transaction.atomic
def schedule_resume(*, patient: User, reason: str) -> CheckInSchedule | None:
    """Lift a pause made for `reason` (another reason's pause stays): reminders start again from
    now, if the patient still takes part in the programme."""
    schedule = (
        CheckInSchedule.objects.select_for_update()
        .select_related("patient")
        .filter(patient=patient, paused_for=reason)
        .first()
    )
    if schedule is None:
        return None
    schedule.paused_for = ""
    schedule.is_active = True
    schedule.claimed_until = None
    _reschedule(schedule, _profile(patient), after=timezone.now())
    schedule.save()
    audit_record(
        actor=None,
        action="checkin_schedule.resumed",
        subject=patient,
        target=schedule,
        detail={"reason": reason},
    )
    return schedule


def schedules_ensure(*, batch_size: int = 1000) -> int:
    """Give every active patient without a schedule the default one. Returns how many."""
    missing = list(
        User.objects.filter(role=Role.PATIENT, is_active=True, checkin_schedule__isnull=True)
        .select_related("patient_profile")
        .order_by("pk")[:batch_size]
    )
    created = CheckInSchedule.objects.bulk_create(
        [
            schedule_default(patient, profile=getattr(patient, "patient_profile", None))
            for patient in missing
        ],
        ignore_conflicts=True,
    )
    return len(created)


def _reschedule(
    schedule: CheckInSchedule, profile: PatientProfile | None, *, after: datetime
) -> None:
    """Move next_due_at (and the missed-check time) on from `after`."""
    if schedule.paused_for or not _taking_part(schedule.patient, profile):
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
    if frequency == CheckInSchedule.Frequency.WEEKLY and not 0 <= weekday <= 6:
        raise ValidationError({"weekday": "Choose a day of the week."})
    errors = {}
    # Each bad value is refused on its own field, so the form shows the message beside it.
    parsed, parsed_early, q_start, q_end = [], [], schedule.quiet_start, schedule.quiet_end
    try:
        parsed = [rules.parse_time(t) for t in times if t]
    except rules.ScheduleError as exc:
        errors["times"] = str(exc)
    try:
        # None keeps the early times as they are (a form that does not show them); [] clears.
        source = schedule.early_times if early_times is None else early_times
        parsed_early = [rules.parse_time(t) for t in source if t]
    except rules.ScheduleError as exc:
        errors["early_times"] = str(exc)
    try:
        q_start = rules.parse_time(quiet_start) if quiet_start else schedule.quiet_start
    except rules.ScheduleError as exc:
        errors["quiet_start"] = str(exc)
    try:
        q_end = rules.parse_time(quiet_end) if quiet_end else schedule.quiet_end
    except rules.ScheduleError as exc:
        errors["quiet_end"] = str(exc)
    if errors:
        raise ValidationError(errors)
    if early_times is None:
        # Kept early times that new quiet hours now cover are dropped, not held against a
        # change the person could not see them in.
        parsed_early = [t for t in parsed_early if not rules.in_quiet_hours(t, q_start, q_end)]
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
    # next_missed_check_at is kept when set: clearing it would let the day in progress go
    # unrecorded. A reactivated schedule has none and gets the next one.
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


def reminders_claim_due(
    *,
    now: datetime | None = None,
    limit: int | None = None,
    after: tuple[datetime, int] | None = None,
) -> list[int]:
    """Claim up to `limit` due schedules and return their ids, oldest due first.

    Rows are locked with SKIP LOCKED and leased until `claimed_until`, so a second beat (or a
    tick that overlaps a slow one) claims different rows; a lease whose batch never ran (the
    broker was down, the worker was killed) expires and the schedule is claimed again.
    `after` (the due time and id of the last row claimed) resumes where a previous claim of the
    same tick stopped, so claiming the next batch never walks over the ones just claimed."""
    return [pk for pk, _ in _claim(now=now or timezone.now(), limit=limit, after=after)]


def _claim(
    *, now: datetime, limit: int | None, after: tuple[datetime, int] | None
) -> list[tuple[int, datetime]]:
    limit = (
        limit or settings.CESSATION_REMINDER_BATCH_SIZE * settings.CESSATION_REMINDER_MAX_BATCHES
    )
    due = CheckInSchedule.objects.filter(is_active=True, next_due_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )
    if after is not None:
        # A row comparison, which the (next_due_at, patient) index answers as a range (an
        # equivalent OR of two conditions is only a filter over every row claimed before).
        field = CheckInSchedule._meta.get_field("next_due_at")
        due = due.filter(
            RawSQL(
                '("next_due_at", "patient_id") > (%s, %s)',
                # Prepared as the column stores it (SQLite compares datetimes as text).
                (field.get_db_prep_value(after[0], connection), after[1]),
                output_field=BooleanField(),
            )
        )
    with transaction.atomic():
        rows = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_due_at", "pk")
            .values_list("pk", "next_due_at")[:limit]
        )
        if rows:
            CheckInSchedule.objects.filter(pk__any_of=[pk for pk, _ in rows]).update(
                claimed_until=now + timedelta(seconds=settings.CESSATION_CLAIM_LEASE_SECONDS)
            )
    return rows


def reminders_tick(*, now: datetime | None = None) -> int:
    """One beat tick: claim due schedules and queue them in batches. Returns how many claimed."""
    now = now or timezone.now()
    size = settings.CESSATION_REMINDER_BATCH_SIZE
    left = size * settings.CESSATION_REMINDER_MAX_BATCHES
    claimed, after = 0, None
    # Claimed a few batches at a time and queued after each claim's commit: the workers start
    # on the first batches while the tick is still claiming the rest.
    while left > 0:
        limit = min(size * CLAIM_BATCHES_AT_ONCE, left)
        with transaction.atomic():
            rows = _claim(now=now, limit=limit, after=after)
            for start in range(0, len(rows), size):
                batch = [pk for pk, _ in rows[start : start + size]]
                transaction.on_commit(partial(_reminder_batch_queue, batch))
        claimed += len(rows)
        left -= len(rows)
        if len(rows) < limit:
            break
        after = (rows[-1][1], rows[-1][0])
    return claimed


def _reminder_batch_queue(schedule_ids: list[int]) -> None:
    """Queue one batch after its claim is committed. When the broker cannot take it, the claim
    is released at once, so the first tick after the broker is back sends the reminders (one
    each, for the latest slot) instead of waiting for the lease to run out."""
    from cessation.tasks import checkin_reminder_batch_task

    try:
        checkin_reminder_batch_task.apply_async(args=[schedule_ids], queue="reminders")
    except Exception:
        logger.warning(
            "could not queue a batch of %d reminders; released for the next tick",
            len(schedule_ids),
        )
        CheckInSchedule.objects.filter(pk__in=schedule_ids).update(claimed_until=None)


@transaction.atomic
def reminders_send_batch(*, schedule_ids: list[int], now: datetime | None = None) -> int:
    """Send the reminders of a batch of claimed schedules and move each on. Returns how many
    reminders were sent. Safe to run twice, or side by side with a duplicate: each schedule is
    moved on with a compare-and-set (only if its due time is still the one read), and only the
    rows this transaction moved get a reminder; a reminder is also unique per patient and slot.

    This is the fan-out's hot path (bench/checkin_fanout.py): rows are read as values, without
    locks or joins; the slot arithmetic is done once per distinct schedule (a batch due at one
    moment mostly shares a few); the writes are set-based (core/bulk.py)."""
    now = now or timezone.now()
    rows = list(
        CheckInSchedule.objects.filter(
            pk__any_of=schedule_ids, is_active=True, next_due_at__lte=now
        ).values_list(*_BatchRow._fields[:9])
    )
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    profiles = {
        user_id: values
        for user_id, *values in PatientProfile.objects.filter(user_id__any_of=ids).values_list(
            "user_id", "programme_status", "time_zone", "discharged_on"
        )
    }
    inactive = set(
        User.objects.filter(pk__any_of=ids, is_active=False).values_list("pk", flat=True)
    )
    plans: dict[tuple, _SlotPlan | None] = {}
    moves: dict[tuple, list[int]] = {}  # (due read, plan) → schedule ids
    for values in rows:
        row = _BatchRow(*values, *profiles.get(values[0], (None, None, None)))
        if row.pk in inactive or row.programme_status not in (
            None,
            PatientProfile.ProgrammeStatus.ACTIVE,
        ):
            # Deactivated or withdrawn since the schedule was claimed: no reminder, and the
            # schedule stops.
            moves.setdefault((row.next_due_at, None), []).append(row.pk)
            continue
        key = row.plan_key()
        if key not in plans:
            try:
                plans[key] = _slot_plan(row, now=now)
            except (rules.ScheduleError, ValueError):
                # A schedule the arithmetic cannot work with (edited outside the forms, or
                # deployment defaults inside quiet hours) must not hold up the rest of the
                # batch: it stays claimed, is tried again when its lease runs out, and says so.
                logger.exception("check-in schedule %s cannot be worked out", row.pk)
                plans[key] = None
        if plans[key] is None:
            continue
        moves.setdefault((row.next_due_at, plans[key]), []).append(row.pk)
    due: list[tuple[int, datetime, date]] = []  # patient, slot, local day
    for (read_due, plan), group in moves.items():
        moved = _schedules_move(group, read_due=read_due, plan=plan)
        if plan is not None:
            due.extend((pk, plan.slot, plan.day) for pk in moved)
    if not due:
        return 0
    patient_ids = [pk for pk, *_ in due]
    checked_in = set(
        CheckIn.objects.filter(
            patient_id__any_of=patient_ids, day__in={day for *_, day in due}
        ).values_list("patient_id", "day")
    )
    reminded = set(
        CheckInReminder.objects.filter(
            patient_id__any_of=patient_ids,
            kind=CheckInReminder.Kind.REMINDER,
            slot_at__in={slot for _, slot, _ in due},
        ).values_list("patient_id", "slot_at")
    )
    fresh = [
        (pk, slot, day)
        for pk, slot, day in due
        if (pk, day) not in checked_in and (pk, slot) not in reminded
    ]
    urls = {day: reverse("cessation:checkin_day", args=[day]) for day in {d for *_, d in fresh}}
    notification_ids = notifications_send_bulk(
        drafts=[
            NoticeDraft(
                recipient_id=pk,
                kind="checkin_reminder",
                title="Time for your Exhale check-in",
                body="It takes about a minute. How are you doing today?",
                url=urls[day],
            )
            for pk, _, day in fresh
        ],
        # The emails follow within a minute, sent by the delivery sweep: a fan-out records
        # (and shows in the app) every reminder first, and its storm of emails is worked
        # through in batches afterwards instead of competing with it.
        send_now=False,
    )
    insert_rows(
        CheckInReminder,
        ("patient", "slot_at", "day", "kind", "created_at", "notification"),
        [
            (pk, slot, day, CheckInReminder.Kind.REMINDER.value, now, notification_id)
            for (pk, slot, day), notification_id in zip(fresh, notification_ids, strict=True)
        ],
        ignore_conflicts=True,
    )
    return len(fresh)


def _schedules_move(ids: list[int], *, read_due: datetime, plan: _SlotPlan | None) -> list[int]:
    """Move schedules on from the due time read, releasing their claim, and return the ids of
    those moved: a schedule another transaction moved first (its due time changed) is left out.
    `plan` None stops the schedules. One UPDATE for a group: a batch due at one slot mostly
    moves on to one next slot (Django's bulk_update writes a CASE for every row and field)."""
    meta = CheckInSchedule._meta
    quote = connection.ops.quote_name

    def prep(name: str, value):
        return meta.get_field(name).get_db_prep_save(value, connection)

    if plan is None:
        assignments, params = (
            "next_due_at = NULL, next_missed_check_at = NULL, is_active = %s",
            [False],
        )
    else:
        # A pending missed check is kept: it is about a day that has not been looked at yet.
        assignments = "next_due_at = %s, next_missed_check_at = COALESCE(next_missed_check_at, %s)"
        params = [
            prep("next_due_at", plan.next_due_at),
            prep("next_due_at", plan.next_missed_check_at),
        ]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    # IS NOT DISTINCT FROM, not =: the same test on a due time, but one the due-time index
    # cannot answer, so the planner looks the ids up by primary key instead of walking every
    # schedule due at that moment (thousands share 19:00; the new moment has no statistics).
    in_ids, id_params = ids_condition(pk, ids)
    # (SQLite before 3.39 has no IS NOT DISTINCT FROM; there the planner question does not arise.)
    same = "IS NOT DISTINCT FROM" if connection.vendor == "postgresql" else "="
    where = f"{in_ids} AND next_due_at {same} %s AND is_active"
    # Names from the model's metadata and placeholders only, never input.
    sql = f"UPDATE {table} SET claimed_until = NULL, {assignments} WHERE {where} RETURNING {pk}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *id_params, prep("next_due_at", read_due)])
        return [row[0] for row in cursor.fetchall()]


class _BatchRow(NamedTuple):
    """What a reminder batch reads of a schedule: its first nine fields are the schedule's."""

    pk: int
    next_due_at: datetime
    next_missed_check_at: datetime | None
    frequency: str
    weekday: int | None
    times: list[str]
    early_times: list[str]
    quiet_start: time
    quiet_end: time
    # From the patient's profile (None without one).
    programme_status: str | None
    time_zone: str | None
    discharged_on: date | None

    def plan_key(self) -> tuple:
        """Everything the slot arithmetic depends on, apart from the moment of the batch."""
        return (
            self.next_due_at,
            self.frequency,
            self.weekday,
            tuple(self.times),
            tuple(self.early_times),
            self.quiet_start,
            self.quiet_end,
            self.time_zone,
            self.discharged_on,
        )


class _SlotPlan(NamedTuple):
    slot: datetime  # the slot this reminder is for (the latest one due)
    day: date  # its local date: the check-in the link opens
    next_due_at: datetime
    next_missed_check_at: datetime  # for a schedule that has none pending


def _slot_plan(row: _BatchRow, *, now: datetime) -> _SlotPlan:
    slot_rules = _rules(
        time_zone=row.time_zone,
        discharged_on=row.discharged_on,
        times=tuple(row.times),
        early_times=tuple(row.early_times),
        frequency=row.frequency,
        weekday=row.weekday,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        on=now,
    )
    slot = _latest_slot(row.next_due_at, slot_rules, now=now)
    # Past slots missed during an outage are skipped: the next one is after now.
    next_due_at = rules.next_slot(max(now, row.next_due_at), slot_rules)
    return _SlotPlan(
        slot=slot,
        day=rules.slot_day(slot, slot_rules.zone),
        next_due_at=next_due_at,
        next_missed_check_at=rules.next_missed_check(
            next_due_at, zone=slot_rules.zone, quiet_end=row.quiet_end
        ),
    )
