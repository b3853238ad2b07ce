"""The steps in which the patient answers or makes something: "About you", the safety plan,
the quit plan, the tour's stops, the group guidelines' questions, and joining a group. Each
saves through the service of the app that owns the data, then completes the step, in one
transaction."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from cessation.models import Medication, TimeToFirst
from cessation.permissions import can_manage_medications
from cessation.services import medication_add, quit_plan_save
from onboarding import baseline as rules
from onboarding import permissions, quiz
from onboarding.models import AssistSession, Baseline, Journey, StepRecord
from onboarding.services.journeys import step_complete, step_detail_update
from onboarding.steps import ABOUT_YOU, GROUPS, QUIT_PLAN, SAFETY_PLAN, TOUR
from peersupport.models import PeerGroup
from peersupport.services import (
    GUIDELINES_VERSION,
    group_join,
    guidelines_accept,
    peer_member_set_pseudonym,
)
from safety.models import Flag, Severity
from safety.services import flag_raise, safety_plan_update

TOUR_STOPS = ("checkin", "progress", "craving", "groups", "messages", "help")


def _check_actor(*, patient: User, by: User, assist: AssistSession | None) -> None:
    """The patient themselves, or a member of their care team in an open assisted session."""
    if by.pk == patient.pk and patient.is_patient:
        return
    if assist is None or not assist.is_open or assist.staff_id != by.pk:
        raise PermissionDenied("Open an assisted session with the patient first.")
    if assist.patient_id != patient.pk:
        raise PermissionDenied("This session is for another patient.")
    profile = PatientProfile.objects.get(user=patient)
    if not permissions.can_assist(by, profile):
        raise PermissionDenied("You cannot assist this patient.")


def _validate_baseline(data: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    age = data.get("age_started")
    if age is None or not (5 <= age <= 90):
        errors["age_started"] = _("Enter an age between 5 and 90.")
    per_day = data.get("per_day")
    if per_day is None or not (0 <= per_day <= 120):
        errors["per_day"] = _("Enter a number between 0 and 120.")
    if data.get("time_to_first") not in TimeToFirst.values:
        errors["time_to_first"] = _("Choose one of the answers.")
    if data.get("quit_attempts") not in Baseline.QuitAttempts.values:
        errors["quit_attempts"] = _("Choose one of the answers.")
    if data.get("motivation") not in Baseline.Motivation.values:
        errors["motivation"] = _("Choose one of the answers.")
    medicines = data.get("medicines") or []
    known = {key for key, _label in rules.MEDICINE_CHOICES}
    if any(key not in known for key in medicines):
        errors["medicines"] = _("Choose from the list.")
    elif len(medicines) > 1 and rules.EXCLUSIVE_MEDICINES & set(medicines):
        errors["medicines"] = _(
            "You ticked 'None of these' or 'I am not sure' and something else: untick one."
        )
    support_keys = {key for key, _label in rules.SUPPORT_CHOICES}
    if any(key not in support_keys for key in data.get("support_wanted") or []):
        errors["support_wanted"] = _("Choose from the list.")
    mood = data.get("mood")
    if mood is None or not (0 <= mood <= 10):
        errors["mood"] = _("Choose a number from 0 to 10.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def baseline_save(
    *,
    patient: User,
    by: User,
    assist: AssistSession | None = None,
    age_started: int,
    per_day: int,
    time_to_first: str,
    quit_attempts: str,
    motivation: str,
    vapes: bool,
    medicines: list[str],
    support_wanted: list[str],
    mood: int,
) -> Baseline:
    """Save "About you" (again, if they change an answer) and complete the step. Clozapine and
    olanzapine also go on the medication list, where their review around the quit date is
    handled, when the person entering them may change that list."""
    _check_actor(patient=patient, by=by, assist=assist)
    data = {
        "age_started": age_started,
        "per_day": per_day,
        "time_to_first": time_to_first,
        "quit_attempts": quit_attempts,
        "motivation": motivation,
        "medicines": list(dict.fromkeys(medicines or [])),
        "support_wanted": list(dict.fromkeys(support_wanted or [])),
        "mood": mood,
    }
    _validate_baseline(data)
    baseline = Baseline.objects.select_for_update().filter(patient=patient).first()
    baseline = baseline or Baseline(patient=patient, recorded_by=by)
    for name, value in data.items():
        setattr(baseline, name, value)
    baseline.vapes = bool(vapes)
    baseline.hsi_score = rules.hsi_score(per_day=per_day, time_to_first=time_to_first)
    baseline.updated_at = timezone.now()
    baseline.save()
    if can_manage_medications(by, patient):
        current = {
            name.casefold()
            for name in Medication.objects.filter(
                patient=patient, stopped_on__isnull=True
            ).values_list("name", flat=True)
        }
        for key in data["medicines"]:
            name = rules.MEDICINE_RECORD_NAMES.get(key)
            if name and name.casefold() not in current:
                medication_add(patient=patient, by=by, name=name)
    if baseline.mood <= rules.LOW_MOOD_AT_OR_BELOW:
        # As a check-in with this mood would: someone who has just left hospital and feels this
        # low is someone their care team wants to hear about (DESIGN.md: symptom deterioration).
        flag_raise(
            patient=patient,
            source=Flag.Source.ONBOARDING,
            category=Flag.Category.LOW_MOOD,
            severity=Severity.MEDIUM,
            summary=f"Mood of {baseline.mood} out of 10 in 'About you' at onboarding",
            source_ref=f"baseline:{patient.pk}",
            raised_by=None if by.pk == patient.pk else by,
        )
    step_complete(
        patient=patient,
        step=ABOUT_YOU,
        by=by,
        assist=assist,
        detail={"hsi_score": baseline.hsi_score},
    )
    return baseline


@transaction.atomic
def safety_plan_step_save(
    *, patient: User, by: User, sections: dict[str, str], assist: AssistSession | None = None
) -> StepRecord:
    """Save the safety plan (safety owns it and its rules) and complete the step. An empty plan
    is not a plan: at least one section must be written, or the step left for later."""
    _check_actor(patient=patient, by=by, assist=assist)
    if not any((text or "").strip() for text in sections.values()):
        raise ValidationError(
            _("Write at least one part of your plan, or choose 'Do this later'."),
            code="empty_plan",
        )
    plan = safety_plan_update(patient=patient, by=by, sections=sections)
    written = sum(bool(getattr(plan, name)) for name in sections)
    return step_complete(
        patient=patient, step=SAFETY_PLAN, by=by, assist=assist, detail={"sections": written}
    )


@transaction.atomic
def quit_plan_step_save(
    *,
    patient: User,
    by: User,
    assist: AssistSession | None = None,
    quit_date: date,
    product: str,
    per_day: Decimal,
    pack_price: Decimal,
    pack_size: int,
    **more: Any,
) -> StepRecord:
    """Save the quit plan (cessation owns it: dates, ranges, the medication review) and
    complete the step."""
    _check_actor(patient=patient, by=by, assist=assist)
    quit_plan_save(
        patient=patient,
        by=by,
        quit_date=quit_date,
        product=product,
        per_day=per_day,
        pack_price=pack_price,
        pack_size=pack_size,
        **more,
    )
    return step_complete(patient=patient, step=QUIT_PLAN, by=by, assist=assist)


# --- The tour ------------------------------------------------------------------------------------


def _lock_journey(patient: User) -> None:
    Journey.objects.select_for_update().filter(patient=patient).first()


@transaction.atomic
def tour_stop_record(*, patient: User, stop: str, tried: bool = False) -> StepRecord:
    """A stop of the tour was shown (and, with `tried`, the patient did the thing for real)."""
    if stop not in TOUR_STOPS:
        raise ValidationError(_("There is no such part of the tour."))
    _lock_journey(patient)  # two tabs adding stops at once must not lose one
    record = StepRecord.objects.filter(journey__patient=patient, step=TOUR).first()
    detail = record.detail if record is not None else {}
    seen = list(dict.fromkeys([*detail.get("stops_seen", []), stop]))
    update = {"stops_seen": seen}
    if tried:
        update["stops_tried"] = list(dict.fromkeys([*detail.get("stops_tried", []), stop]))
    return step_detail_update(patient=patient, step=TOUR, detail=update)


def tour_finish(
    *, patient: User, by: User, assist: AssistSession | None = None, watched: bool = False
) -> StepRecord:
    _check_actor(patient=patient, by=by, assist=assist)
    return step_complete(
        patient=patient, step=TOUR, by=by, assist=assist, detail={"watched": watched}
    )


# --- Groups --------------------------------------------------------------------------------------


@transaction.atomic
def quiz_answer(*, patient: User, answers: dict[str, str]) -> dict[str, bool]:
    """Check the answers to the guideline questions. Wrong answers are explained, never held
    against anyone: after trying once the person may carry on. Tries are counted per question."""
    results = quiz.check(answers)
    _lock_journey(patient)
    record = StepRecord.objects.filter(journey__patient=patient, step=GROUPS).first()
    detail = record.detail if record is not None else {}
    tries = detail.get("quiz_tries", 0) + 1
    update: dict[str, Any] = {"quiz_tries": tries, "quiz_version": quiz.VERSION}
    if tries == 1:
        update["quiz_right_first_time"] = sum(results.values())
    if all(results.values()):
        update["quiz_passed"] = True
    step_detail_update(patient=patient, step=GROUPS, detail=update)
    return results


def quiz_done(record: StepRecord | None) -> bool:
    """Answered (right, or wrong and shown why): the person may go on to choose a name."""
    return record is not None and record.detail.get("quiz_tries", 0) > 0


@transaction.atomic
def groups_step_join(*, patient: User, by: User, group: PeerGroup) -> StepRecord:
    """Join the chosen group (peersupport checks the name, the guidelines and that the group is
    open) and complete the step."""
    if by.pk != patient.pk:
        raise PermissionDenied("Only the patient joins a group.")
    group_join(user=patient, group=group)
    return step_complete(patient=patient, step=GROUPS, by=by, detail={"group": group.pk})


@transaction.atomic
def groups_step_choose_name(*, patient: User, by: User, pseudonym: str) -> None:
    """Choose the group name and accept the community guidelines in one go (peersupport owns
    both, and refuses a name that could identify the person, with the reason)."""
    if by.pk != patient.pk:
        raise PermissionDenied("Only the patient chooses their group name.")
    peer_member_set_pseudonym(user=patient, pseudonym=pseudonym)
    guidelines_accept(user=patient, version=GUIDELINES_VERSION)
