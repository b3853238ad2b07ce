"""The journey itself: starting it, showing and completing steps in order, "do this later",
assisted sessions and reminders from the care team."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from core.exceptions import StateConflict
from core.models import Notification
from core.services import audit_record, notification_send
from onboarding import hooks, permissions
from onboarding.gate import programme_forget
from onboarding.models import AssistSession, Journey, StepRecord
from onboarding.registry import steps
from onboarding.selectors import JourneyState, journey_state_build


class NoJourney(Exception):
    """The patient has no onboarding (they joined before it existed): a step's page or action
    never begins one by itself; only the invitation and a care team's assisted session do."""


class StepNotReachable(Exception):
    """A later step was asked for before the ones before it were done (a typed or old URL)."""

    def __init__(self, *, step: str, first_open: str | None) -> None:
        super().__init__(step)
        self.step = step
        self.first_open = first_open


def journey_start(*, patient: User, by: User | None = None) -> Journey:
    """Begin a patient's onboarding; idempotent (a second call returns the same journey)."""
    first = steps.for_patient(patient)
    journey, created = Journey.objects.get_or_create(
        patient=patient, defaults={"current_step": first[0].key if first else ""}
    )
    if created:
        audit_record(
            actor=by or patient, action="onboarding.started", subject=patient, target=journey
        )
        programme_forget(patient)  # begun for someone already using Exhale: they agree first
    return journey


def journey_start_for_new_patient(user: User) -> None:
    """accounts.hooks.patient_joined: the journey begins as the invitation is accepted."""
    journey_start(patient=user)


def _locked_state(patient: User) -> JourneyState:
    journey = Journey.objects.select_for_update().filter(patient=patient).first()
    if journey is None:
        raise NoJourney()
    journey.patient = patient
    return journey_state_build(journey, list(StepRecord.objects.filter(journey=journey)))


def _check_reachable(state: JourneyState, key: str) -> None:
    status = state.status(key)
    if status is None:
        raise StepNotReachable(step=key, first_open=None)
    if not status.reachable:
        current = state.current
        raise StepNotReachable(step=key, first_open=current.key if current else None)


def _record(state: JourneyState, key: str) -> StepRecord:
    status = state.status(key)
    if status is not None and status.record is not None:
        return status.record
    try:
        with transaction.atomic():
            return StepRecord.objects.create(journey=state.journey, step=key)
    except IntegrityError:  # the same step opened at the same moment in another tab
        return StepRecord.objects.get(journey=state.journey, step=key)


def _refresh(journey: Journey, *, actor: User | None) -> JourneyState:
    """Recompute where the journey stands, and save it: the current step, and finished."""
    state = journey_state_build(journey, list(StepRecord.objects.filter(journey=journey)))
    current = state.current
    journey.current_step = current.key if current else ""
    journey.last_activity_at = timezone.now()
    fields = ["current_step", "last_activity_at"]
    if state.is_finished and journey.finished_at is None:
        journey.finished_at = timezone.now()
        fields.append("finished_at")
        audit_record(actor=actor, action="onboarding.finished", subject=journey.patient)
    elif not state.is_finished and journey.finished_at is not None:
        journey.finished_at = None  # consent withdrawn: the journey is open again
        fields.append("finished_at")
    journey.save(update_fields=fields)
    return state


@transaction.atomic
def step_open(*, patient: User, step: str) -> JourneyState:
    """A step's page is shown: refused when an earlier step is still open; the first time,
    recorded (so drop-off between steps can be counted)."""
    state = _locked_state(patient)
    _check_reachable(state, step)
    status = state.status(step)
    if status.record is None:
        status.record = _record(state, step)
    Journey.objects.filter(pk=state.journey.pk).update(last_activity_at=timezone.now())
    return state


@transaction.atomic
def step_complete(
    *,
    patient: User,
    step: str,
    by: User,
    assist: AssistSession | None = None,
    detail: dict[str, Any] | None = None,
) -> StepRecord:
    """Mark a step done. Doing it again (changing answers) keeps the first time it was done and
    counts the times; nothing is duplicated."""
    state = _locked_state(patient)
    _check_reachable(state, step)
    record = _record(state, step)
    now = timezone.now()
    first_time = record.completed_at is None
    if first_time:
        record.completed_at = now
        record.completed_by = by
        record.assist = assist
    record.times_completed += 1
    if detail:
        record.detail = {**record.detail, **detail}
    record.save()
    _refresh(state.journey, actor=by)
    audit_record(
        actor=by,
        action="onboarding.step_completed" if first_time else "onboarding.step_changed",
        subject=patient,
        target=record,
        detail={"step": step, "assisted": assist is not None},
    )
    hooks.step_completed.run(patient=patient, step=step, by=by)
    return record


@transaction.atomic
def step_detail_update(*, patient: User, step: str, detail: dict[str, Any]) -> StepRecord:
    """Add non-identifying facts to a step (quiz tries, tour stops seen) without completing it."""
    state = _locked_state(patient)
    _check_reachable(state, step)
    record = _record(state, step)
    record.detail = {**record.detail, **detail}
    record.save(update_fields=["detail"])
    return record


@transaction.atomic
def step_skip(*, patient: User, step: str, by: User) -> StepRecord:
    """ "Do this later": only for steps that are not essential. A step already done stays done."""
    state = _locked_state(patient)
    _check_reachable(state, step)
    definition = steps.get(step)
    if not definition.skippable:
        raise ValidationError(_("This step cannot be left for later."), code="not_skippable")
    record = _record(state, step)
    if record.completed_at is None and record.skipped_at is None:
        record.skipped_at = timezone.now()
        record.save(update_fields=["skipped_at"])
        audit_record(
            actor=by,
            action="onboarding.step_left_for_later",
            subject=patient,
            target=record,
            detail={"step": step},
        )
    _refresh(state.journey, actor=by)
    return record


@transaction.atomic
def step_reopen(*, patient: User, step: str, by: User) -> None:
    """A step is no longer done (consent withdrawn): the journey goes back to it."""
    journey = Journey.objects.select_for_update().filter(patient=patient).first()
    if journey is None:
        return
    journey.patient = patient
    StepRecord.objects.filter(journey=journey, step=step).update(completed_at=None)
    _refresh(journey, actor=by)


# --- Assisted sessions ---------------------------------------------------------------------------


def _profile(patient: User) -> PatientProfile:
    return PatientProfile.objects.select_related("user").get(user=patient)


@transaction.atomic
def assist_start(
    *, staff: User, patient: User, request: HttpRequest | None = None
) -> AssistSession:
    """Open an assisted session: the staff member goes through the patient's onboarding with
    them, on the staff member's screen. Audited; one open session per staff member and patient."""
    profile = _profile(patient)
    if not permissions.can_assist(staff, profile):
        raise PermissionDenied("You cannot assist this patient.")
    journey_start(patient=patient, by=staff)
    now = timezone.now()
    AssistSession.objects.filter(staff=staff, patient=patient, ended_at__isnull=True).update(
        ended_at=now
    )
    session = AssistSession.objects.create(
        patient=patient,
        staff=staff,
        started_at=now,
        expires_at=now + timedelta(minutes=settings.ONBOARDING_ASSIST_MINUTES),
    )
    audit_record(
        actor=staff,
        action="onboarding.assist_started",
        subject=patient,
        target=session,
        request=request,
    )
    return session


@transaction.atomic
def assist_end(
    *, session: AssistSession, by: User, request: HttpRequest | None = None
) -> AssistSession:
    if session.staff_id != by.pk:
        raise PermissionDenied("Only the person assisting can end this session.")
    if session.ended_at is None:
        session.ended_at = timezone.now()
        session.save(update_fields=["ended_at"])
        done = session.steps_completed.count()
        audit_record(
            actor=by,
            action="onboarding.assist_ended",
            subject=session.patient,
            target=session,
            detail={"steps_completed": done},
            request=request,
        )
    return session


# --- Reminders -----------------------------------------------------------------------------------


@transaction.atomic
def reminder_send(*, patient: User, by: User, request: HttpRequest | None = None) -> Notification:
    """Remind a patient to carry on with onboarding: a notice in Exhale and an email. At most
    one a day (ONBOARDING_REMINDER_INTERVAL_HOURS), only while a step is still to do or left
    for later, and never after the patient withdrew from the programme."""
    profile = _profile(patient)
    if not permissions.can_send_reminder(by, profile):
        raise PermissionDenied("You cannot remind this patient.")
    if profile.programme_status == PatientProfile.ProgrammeStatus.WITHDRAWN:
        # Withdrawing stops reminders (the patient and their clinician were told so); a notice
        # to carry on would press them to agree again.
        raise StateConflict(
            _("This patient has withdrawn from the programme: reminders have stopped.")
        )
    journey = Journey.objects.select_for_update().filter(patient=patient).first()
    if journey is None:
        raise StateConflict(_("This patient has no onboarding to finish."))
    journey.patient = patient
    state = journey_state_build(journey, list(StepRecord.objects.filter(journey=journey)))
    # A journey is "finished" once every step is done or left for later, but a step left for
    # later (the safety plan, say) is still worth a reminder: only when all are done is there
    # nothing to remind about (the overview offers the button on the same terms).
    if state.current is None and not state.left_for_later:
        raise StateConflict(_("This patient has finished onboarding."))
    interval = timedelta(hours=settings.ONBOARDING_REMINDER_INTERVAL_HOURS)
    now = timezone.now()
    if journey.reminder_sent_at and now - journey.reminder_sent_at < interval:
        raise StateConflict(
            _(
                "A reminder was sent less than %(hours)s hours ago. "
                "Please wait before sending another."
            )
            % {"hours": settings.ONBOARDING_REMINDER_INTERVAL_HOURS}
        )
    current = state.current
    where = (
        _("Next: %(step)s (step %(n)s of %(total)s).")
        % {"step": current.step.title, "n": current.number, "total": state.total}
        if current
        else _("You left some steps for later.")
    )
    notice = notification_send(
        recipient=patient,
        kind="onboarding.reminder",
        title=_("Carry on setting up Exhale"),
        body=_("Your care team sent you a reminder to carry on where you left off. ") + where,
        url=reverse("onboarding:start"),
    )
    journey.reminder_sent_at = now
    journey.reminders_sent += 1
    journey.save(update_fields=["reminder_sent_at", "reminders_sent"])
    audit_record(
        actor=by,
        action="onboarding.reminder_sent",
        subject=patient,
        target=journey,
        detail={"step": current.key if current else ""},
        request=request,
    )
    return notice
