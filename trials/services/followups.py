"""Follow-ups: scheduling each participant's questionnaires at the trial's time points, the clock
that opens, reminds and closes them, and recording the answers and CO readings.

Dates: a point counts its days from the quit date (the participant's quit plan; without one, the
randomisation date + TRIALS_DEFAULT_QUIT_AFTER_DAYS, the protocol's default target quit date) or
from randomisation. Window dates are the participant's own calendar dates (their time zone).
A changed quit date moves the follow-ups that have not opened yet (the tick compares dates, so
cessation needs no hook). Nothing opens or is reminded once the participant has stopped follow-up
(withdrawal at level follow-up or all) or the trial has closed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from cessation.models import QuitPlan
from cessation.schedule import in_quiet_hours, parse_time, zone_of
from core.exceptions import StateConflict
from core.services import NoticeDraft, audit_record, notifications_send_bulk
from trials import outcomes, permissions
from trials.models import FollowUp, FollowUpPoint, Participant, Trial, Withdrawal

logger = logging.getLogger(__name__)

# Withdrawals after which nothing more is collected.
STOPPING_LEVELS = (Withdrawal.Level.FOLLOW_UP, Withdrawal.Level.ALL)
ACTIVE = (FollowUp.Status.SCHEDULED, FollowUp.Status.OPEN)
KIND_OPEN = "trial_followup_open"
KIND_REMINDER = "trial_followup_reminder"


# --- dates -----------------------------------------------------------------------------------


def _zone(patient) -> ZoneInfo:
    profile = getattr(patient, "patient_profile", None)
    try:
        return zone_of(profile.time_zone if profile else settings.TIME_ZONE)
    except ValueError:
        return zone_of(settings.TIME_ZONE)


def allocation_date(participant: Participant) -> date:
    allocation = getattr(participant, "allocation", None)
    moment = allocation.allocated_at if allocation is not None else timezone.now()
    return timezone.localtime(moment, _zone(participant.patient)).date()


def quit_date_for(participant: Participant) -> date:
    """The participant's quit date: their quit plan's, else randomisation + the default days."""
    plan = QuitPlan.objects.filter(patient_id=participant.patient_id).only("quit_date").first()
    if plan is not None:
        return plan.quit_date
    return allocation_date(participant) + timedelta(days=settings.TRIALS_DEFAULT_QUIT_AFTER_DAYS)


def _dates(point: FollowUpPoint, anchor: date) -> dict[str, date]:
    return {
        "anchor_date": anchor,
        "due_on": anchor + timedelta(days=point.due_day),
        "window_opens_on": anchor + timedelta(days=point.window_start_day),
        "window_closes_on": anchor + timedelta(days=point.window_end_day),
    }


def smoking_counted_from(followup: FollowUp) -> date:
    """The date the Russell Standard question asks about: two weeks after the quit date."""
    if followup.point.anchor == FollowUpPoint.Anchor.QUIT_DATE:
        return outcomes.grace_end(followup.anchor_date)
    return outcomes.grace_end(quit_date_for(followup.participant))


def follow_up_stopped(participant: Participant) -> bool:
    """Whether the participant has stopped follow-up (withdrawal at level follow-up or all)."""
    return participant.withdrawals.filter(level__in=STOPPING_LEVELS).exists()


# --- scheduling ------------------------------------------------------------------------------


@transaction.atomic
def followups_schedule(*, participant: Participant) -> list[FollowUp]:
    """One follow-up per point of the participant's trial (idempotent), dated from their quit
    date or randomisation. Called by randomisation, inside its transaction."""
    quit_date = None
    followups = []
    for point in participant.trial.points.all():
        if point.anchor == FollowUpPoint.Anchor.QUIT_DATE:
            quit_date = quit_date or quit_date_for(participant)
            anchor = quit_date
        else:
            anchor = allocation_date(participant)
        followup, created = FollowUp.objects.get_or_create(
            participant=participant, point=point, defaults=_dates(point, anchor)
        )
        followups.append(followup)
        if created:
            audit_record(
                actor=None,
                action="followup.scheduled",
                subject=participant.patient,
                target=followup,
                detail={"point": point.code, "opens_on": followup.window_opens_on.isoformat()},
            )
    return followups


@transaction.atomic
def followups_stop(*, participant: Participant) -> int:
    """Stop the follow-ups not yet done (the participant withdrew from follow-up). Returns how
    many stopped; what was answered stays."""
    ids = list(
        FollowUp.objects.select_for_update()
        .filter(participant=participant, status__in=ACTIVE)
        .values_list("pk", flat=True)
    )
    if ids:
        FollowUp.objects.filter(pk__in=ids).update(status=FollowUp.Status.STOPPED)
        audit_record(
            actor=None,
            action="followup.stopped",
            subject=participant.patient,
            target=participant,
            detail={"followups": ids},
        )
    return len(ids)


# --- the clock -------------------------------------------------------------------------------


@dataclass
class TickResult:
    reanchored: int = 0
    opened: int = 0
    reminded: int = 0
    missed: int = 0
    stopped: int = 0
    completed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def _quiet_hours() -> tuple:
    start, end = settings.TRIALS_FOLLOWUP_QUIET_HOURS
    return parse_time(start), parse_time(end)


def _live(queryset):
    """Follow-ups of trials that have not closed: nothing opens or is reminded after closing."""
    return queryset.exclude(participant__trial__status=Trial.Status.CLOSED)


def _batches(queryset, batch_size: int):
    """Lock and yield the queryset's rows in batches by id, each in its own transaction; rows
    another worker holds are skipped (two beats never handle one row twice)."""
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                queryset.select_for_update(skip_locked=True, of=("self",))
                .filter(pk__gt=last)
                .order_by("pk")[:batch_size]
            )
            if not rows:
                return
            yield rows
        last = rows[-1].pk


def _stopping_withdrawal():
    return Exists(
        Withdrawal.objects.filter(participant=OuterRef("participant"), level__in=STOPPING_LEVELS)
    )


def _stop_withdrawn(batch_size: int) -> int:
    """Stop what is left of the follow-ups of participants who stopped follow-up (withdrawal
    normally stops them at once; this catches any that were missed)."""
    count = 0
    left = FollowUp.objects.filter(_stopping_withdrawal(), status__in=ACTIVE).select_related(
        "participant__patient"
    )
    for rows in _batches(left, batch_size):
        for followup in rows:
            followup.status = FollowUp.Status.STOPPED
            followup.save(update_fields=["status"])
            audit_record(
                actor=None,
                action="followup.stopped",
                subject=followup.participant.patient,
                target=followup,
                detail={"point_id": followup.point_id},
            )
        count += len(rows)
    return count


def _reanchor(now: datetime, batch_size: int) -> int:
    """Move the not-yet-open follow-ups counted from a quit date that has changed since."""
    changed = _live(
        FollowUp.objects.filter(
            status=FollowUp.Status.SCHEDULED,
            point__anchor=FollowUpPoint.Anchor.QUIT_DATE,
            participant__patient__quit_plan__isnull=False,
        ).exclude(anchor_date=F("participant__patient__quit_plan__quit_date"))
    ).select_related("point", "participant__patient")
    count = 0
    for rows in _batches(changed, batch_size):
        plans = dict(
            QuitPlan.objects.filter(
                patient_id__in={row.participant.patient_id for row in rows}
            ).values_list("patient_id", "quit_date")
        )
        for followup in rows:
            quit_date = plans.get(followup.participant.patient_id)
            if quit_date is None or quit_date == followup.anchor_date:
                continue
            before = followup.anchor_date
            for field, value in _dates(followup.point, quit_date).items():
                setattr(followup, field, value)
            followup.save(
                update_fields=["anchor_date", "due_on", "window_opens_on", "window_closes_on"]
            )
            audit_record(
                actor=None,
                action="followup.reanchored",
                subject=followup.participant.patient,
                target=followup,
                detail={"from": before.isoformat(), "to": quit_date.isoformat()},
            )
            count += 1
    return count


def _notice(followup: FollowUp, *, reminder: bool) -> NoticeDraft:
    url = reverse("trials:followup_answer", args=[followup.pk])
    closes = date_format(followup.window_closes_on, "j F")
    if reminder:
        title = _("A reminder: your study questions are waiting")
        body = _(
            "Your study questions are still waiting for you. They take about 2 minutes. "
            "You can answer them until %(date)s."
        ) % {"date": closes}
    else:
        title = _("Your study questions are ready")
        body = _(
            "Thank you for taking part in the study. A few short questions about smoking are "
            "ready for you. They take about 2 minutes. You can answer them until %(date)s."
        ) % {"date": closes}
    return NoticeDraft(
        recipient_id=followup.participant.patient_id,
        kind=KIND_REMINDER if reminder else KIND_OPEN,
        title=title,
        body=body,
        url=url,
    )


def _step(
    followup: FollowUp, now: datetime, quiet: tuple, result: TickResult
) -> NoticeDraft | None:
    """Move one locked follow-up on; returns the notice to send, if any."""
    patient = followup.participant.patient
    local = timezone.localtime(now, _zone(patient))
    today = local.date()
    if today > followup.window_closes_on:
        was = followup.status
        followup.status = FollowUp.Status.MISSED
        followup.save(update_fields=["status"])
        result.missed += 1
        audit_record(
            actor=None,
            action="followup.missed",
            subject=patient,
            target=followup,
            detail={"point": followup.point.code, "was": was},
        )
        return None
    if followup.status == FollowUp.Status.SCHEDULED:
        if today < followup.window_opens_on:
            return None
        followup.status = FollowUp.Status.OPEN
        followup.save(update_fields=["status"])
        result.opened += 1
        audit_record(
            actor=None,
            action="followup.opened",
            subject=patient,
            target=followup,
            detail={"point": followup.point.code},
        )
    if in_quiet_hours(local.time().replace(tzinfo=None), *quiet):
        return None  # the opening notice or reminder waits for the morning
    if followup.last_reminder_at is None:
        followup.last_reminder_at = now
        followup.save(update_fields=["last_reminder_at"])
        return _notice(followup, reminder=False)
    interval = timedelta(days=settings.TRIALS_FOLLOWUP_REMINDER_INTERVAL_DAYS)
    if (
        followup.reminders_sent < settings.TRIALS_FOLLOWUP_MAX_REMINDERS
        and followup.last_reminder_at <= now - interval
    ):
        followup.reminders_sent += 1
        followup.last_reminder_at = now
        followup.save(update_fields=["reminders_sent", "last_reminder_at"])
        result.reminded += 1
        audit_record(
            actor=None,
            action="followup.reminded",
            subject=patient,
            target=followup,
            detail={"reminder": followup.reminders_sent},
        )
        return _notice(followup, reminder=True)
    return None


def followups_tick(*, now: datetime | None = None, batch_size: int | None = None) -> TickResult:
    """The follow-up clock (beat, every 15 minutes): re-anchor follow-ups whose quit date moved,
    open those whose window has opened (telling the participant), remind those still open (at
    most every few days, a few times, never at night in the participant's time zone), and mark
    missed those whose window closed unanswered. Idempotent; safe with two beats at once."""
    now = now or timezone.now()
    batch_size = batch_size or settings.TRIALS_FOLLOWUP_BATCH_SIZE
    result = TickResult(stopped=_stop_withdrawn(batch_size), reanchored=_reanchor(now, batch_size))
    quiet = _quiet_hours()
    # The latest calendar date anywhere (UTC+14): a row is looked at only if it may be due in
    # some time zone; its own zone decides.
    latest_today = (now + timedelta(hours=14)).date()
    interval = timedelta(days=settings.TRIALS_FOLLOWUP_REMINDER_INTERVAL_DAYS)
    due = _live(
        FollowUp.objects.filter(
            Q(status=FollowUp.Status.SCHEDULED, window_opens_on__lte=latest_today)
            | Q(status=FollowUp.Status.OPEN)
            & (
                Q(last_reminder_at__isnull=True)
                | Q(
                    last_reminder_at__lte=now - interval,
                    reminders_sent__lt=settings.TRIALS_FOLLOWUP_MAX_REMINDERS,
                )
                | Q(window_closes_on__lt=latest_today)
            )
        ).exclude(_stopping_withdrawal())
    ).select_related("point", "participant__patient__patient_profile")
    for rows in _batches(due, batch_size):
        drafts = [
            draft for followup in rows if (draft := _step(followup, now, quiet, result)) is not None
        ]
        # The notices are rows in this batch's transaction: they exist if and only if the
        # follow-up's state says they were sent. Emails go after commit, on the reminders queue.
        notifications_send_bulk(drafts=drafts, queue="reminders")
    result.completed = _complete_participants(now)
    if any(result.as_dict().values()):
        logger.info("follow-up tick: %s", result.as_dict())
    return result


def _complete_participants(now: datetime) -> int:
    """A randomised participant whose every follow-up is over (answered, missed or stopped) has
    completed follow-up: `completed_at` is set once (engagement is counted up to it)."""
    over = (
        Participant.objects.filter(
            status=Participant.Status.RANDOMISED,
            completed_at__isnull=True,
            followups__isnull=False,
        )
        .exclude(followups__status__in=ACTIVE)
        .distinct()
    )
    ids = list(over.values_list("pk", flat=True)[:5000])
    if not ids:
        return 0
    with transaction.atomic():
        done = Participant.objects.filter(pk__in=ids, completed_at__isnull=True).update(
            completed_at=now
        )
    return done


# --- answers and CO readings -------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    smoked_since: str
    smoked_last_7_days: bool
    cigarettes_per_day: int | None = None


def _check_answers(answers: Answers) -> Answers:
    errors: dict[str, str] = {}
    if answers.smoked_since not in FollowUp.SmokedSince.values:
        errors["smoked_since"] = _("Choose one answer.")
    if answers.smoked_last_7_days not in (True, False):
        errors["smoked_last_7_days"] = _("Choose yes or no.")
    elif answers.smoked_since == FollowUp.SmokedSince.NONE and answers.smoked_last_7_days:
        errors["smoked_last_7_days"] = _(
            "This does not match the first answer (not even a puff). Please check both."
        )
    per_day = answers.cigarettes_per_day
    if per_day is not None and not 0 <= per_day <= 200:
        errors["cigarettes_per_day"] = _("Give a number from 0 to 200.")
    if errors:
        raise ValidationError(errors)
    if not answers.smoked_last_7_days:
        return Answers(answers.smoked_since, False, None)
    return answers


def _locked(followup: FollowUp) -> FollowUp:
    return (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("point", "participant__trial", "participant__patient")
        .get(pk=followup.pk)
    )


def _refuse_if_not_collecting(followup: FollowUp) -> None:
    if followup.participant.trial.status == Trial.Status.CLOSED:
        raise StateConflict(_("The study has closed: nothing more is recorded."))
    if followup.status == FollowUp.Status.STOPPED or follow_up_stopped(followup.participant):
        raise StateConflict(
            _("This participant has stopped follow-up: nothing more is recorded for them.")
        )


def _refuse_answers(followup: FollowUp) -> None:
    _refuse_if_not_collecting(followup)
    window = {
        "opens": date_format(followup.window_opens_on, "j F Y"),
        "closes": date_format(followup.window_closes_on, "j F Y"),
    }
    if followup.status == FollowUp.Status.SCHEDULED:
        raise StateConflict(
            _(
                "This follow-up is not open yet: answers are recorded only in its window, "
                "%(opens)s to %(closes)s."
            )
            % window
        )
    if followup.status == FollowUp.Status.MISSED:
        raise StateConflict(_("This follow-up's window closed on %(closes)s.") % window)
    if followup.status == FollowUp.Status.COMPLETED:
        raise StateConflict(_("This follow-up has already been answered."))


def _save_answers(followup: FollowUp, answers: Answers, by, source: str, now: datetime) -> None:
    followup.smoked_since = answers.smoked_since
    followup.smoked_last_7_days = answers.smoked_last_7_days
    followup.cigarettes_per_day = answers.cigarettes_per_day
    followup.answered_at = now
    followup.answered_by = by
    followup.source = source
    followup.status = FollowUp.Status.COMPLETED


@transaction.atomic
def followup_answer(
    *,
    followup: FollowUp,
    by,
    answers: Answers,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """The participant answers their own open follow-up (Russell Standard questions)."""
    now = now or timezone.now()
    followup = _locked(followup)
    if not permissions.is_participant_self(by, followup.participant.patient):
        raise PermissionDenied("Only the participant answers their own questions.")
    _refuse_answers(followup)
    answers = _check_answers(answers)
    _save_answers(followup, answers, by, FollowUp.Source.PATIENT, now)
    followup.save()
    audit_record(
        actor=by,
        action="followup.answered",
        subject=followup.participant.patient,
        target=followup,
        detail={"point": followup.point.code, "source": FollowUp.Source.PATIENT},
        request=request,
    )
    return followup


def _check_co(followup: FollowUp, ppm: int, taken_on: date, now: datetime) -> None:
    errors: dict[str, str] = {}
    if not 0 <= ppm <= 100:
        errors["co_ppm"] = _("A CO reading is a whole number from 0 to 100 ppm.")
    today = timezone.localtime(now, _zone(followup.participant.patient)).date()
    if taken_on > today:
        errors["co_taken_on"] = _("The date the reading was taken cannot be in the future.")
    elif not followup.window_opens_on <= taken_on <= followup.window_closes_on:
        errors["co_taken_on"] = _(
            "This reading was not taken in the window of this time point (%(point)s: "
            "%(opens)s to %(closes)s). Record it against the right time point."
        ) % {
            "point": followup.point.label,
            "opens": date_format(followup.window_opens_on, "j F Y"),
            "closes": date_format(followup.window_closes_on, "j F Y"),
        }
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def followup_record(
    *,
    participant: Participant,
    point: FollowUpPoint,
    by,
    answers: Answers | None = None,
    co_ppm: int | None = None,
    co_taken_on: date | None = None,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> FollowUp:
    """The research team records a participant's follow-up at one time point: the answers on
    their behalf (by phone), the CO reading, or both. Refused with nothing changed when the time
    point is wrong: another trial's point, answers to a follow-up not open yet (or stopped, or
    closed), a CO reading taken outside the point's window, or in the future."""
    now = now or timezone.now()
    profile = PatientProfile.objects.filter(user_id=participant.patient_id).first()
    if profile is None or not permissions.can_record_for(by, profile):
        raise PermissionDenied("Only the participant's clinician or the trial team records this.")
    if point.trial_id != participant.trial_id:
        raise ValidationError({"point": _("This time point belongs to another study.")})
    if answers is None and co_ppm is None:
        raise ValidationError(_("Give the answers, a CO reading, or both."))
    if (co_ppm is None) != (co_taken_on is None):
        field = "co_taken_on" if co_taken_on is None else "co_ppm"
        raise ValidationError({field: _("Give both the reading and the date it was taken.")})
    followup = FollowUp.objects.filter(participant=participant, point=point).first()
    if followup is None:
        raise StateConflict(_("This participant has no follow-up at this time point."))
    followup = _locked(followup)
    detail: dict = {"point": point.code, "source": FollowUp.Source.STAFF}
    if answers is not None:
        _refuse_answers(followup)
        answers = _check_answers(answers)
        _save_answers(followup, answers, by, FollowUp.Source.STAFF, now)
        detail["answers"] = True
    if co_ppm is not None:
        _refuse_if_not_collecting(followup)
        if followup.status == FollowUp.Status.SCHEDULED:
            raise StateConflict(
                _("This follow-up is not open yet: a CO reading belongs to an open time point.")
            )
        _check_co(followup, co_ppm, co_taken_on, now)
        followup.co_ppm = co_ppm
        followup.co_taken_on = co_taken_on
        followup.co_recorded_by = by
        detail["co"] = True
    followup.save()
    audit_record(
        actor=by,
        action="followup.recorded",
        subject=participant.patient,
        target=followup,
        detail=detail,
        request=request,
    )
    return followup
