"""Quit plans, check-ins (and the safety signals in them), cravings, CO readings, medications
and the medication review, approval of health content.

Every check-in is saved before anything it raises: the flags are written in the same
transaction by safety.services, and their notices go out after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from cessation import permissions
from cessation.models import (
    CheckIn,
    COReading,
    Craving,
    HealthBenefit,
    Medication,
    Product,
    QuitDateChange,
    QuitPlan,
    Support,
    TimeToFirst,
    Trigger,
)
from cessation.services import monitoring
from cessation.services.clock import patient_today
from core.services import audit_record
from safety.models import Flag, Severity
from safety.screening import screen_text
from safety.services import flag_raise, flag_raise_from_screening

QUIT_DATE_HORIZON_DAYS = 42  # "today, or a chosen day within the next weeks"
CO_HISTORY_DAYS = 366
LOW_MOOD_AT_OR_BELOW = 2
MAX_NOTE_LENGTH = 2000
MAX_REASONS_LENGTH = 2000
State = QuitPlan.MedicationReviewState


# --- Quit plan -----------------------------------------------------------------------------------


def _validate_plan(data: dict[str, Any], *, today: date, old_date: date | None) -> dict:
    errors: dict[str, str] = {}
    quit_date = data.get("quit_date")
    if quit_date is None:
        errors["quit_date"] = "Choose your quit date."
    elif quit_date != old_date and not (
        today <= quit_date <= today + timedelta(days=QUIT_DATE_HORIZON_DAYS)
    ):
        errors["quit_date"] = (
            f"Choose today or a day in the next {QUIT_DATE_HORIZON_DAYS // 7} weeks."
        )
    if data.get("product") not in Product.values:
        errors["product"] = "Choose what you smoke."
    per_day = data.get("per_day")
    if per_day is None or not (Decimal(0) < Decimal(per_day) <= 120):
        errors["per_day"] = "Enter a number between 1 and 120."
    price = data.get("pack_price")
    if price is None or not (Decimal(0) <= Decimal(price) <= 500):
        errors["pack_price"] = "Enter the price in pounds, like 14.50."
    size = data.get("pack_size")
    if size is None or not (1 <= int(size) <= 500):
        errors["pack_size"] = "Enter how many are in a pack or pouch (1 to 500)."
    if data.get("time_to_first", "") not in ["", *TimeToFirst.values]:
        errors["time_to_first"] = "Choose one of the answers."
    supports = data.get("supports") or []
    if any(item.get("kind") not in Support.values for item in supports):
        errors["supports"] = "Choose from the list."
    if any(trigger not in Trigger.values for trigger in data.get("triggers") or []):
        errors["triggers"] = "Choose from the list."
    if len(data.get("reasons") or "") > MAX_REASONS_LENGTH:
        errors["reasons"] = f"Keep this under {MAX_REASONS_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def quit_plan_save(
    *,
    patient: User,
    by: User,
    quit_date: date,
    product: str,
    per_day: Decimal,
    pack_price: Decimal,
    pack_size: int,
    time_to_first: str = "",
    supports: list[dict] | None = None,
    triggers: list[str] | None = None,
    triggers_other: str = "",
    reasons: str = "",
) -> QuitPlan:
    """Create or change a patient's quit plan. A new quit date is kept in the history and, for a
    patient on clozapine or olanzapine, raises a medication review."""
    if not permissions.can_edit_quit_plan(by, patient):
        raise PermissionDenied("You cannot change this quit plan.")
    plan = QuitPlan.objects.select_for_update().filter(patient=patient).first()
    old_date = plan.quit_date if plan else None
    data = _validate_plan(
        {
            "quit_date": quit_date,
            "product": product,
            "per_day": per_day,
            "pack_price": pack_price,
            "pack_size": pack_size,
            "time_to_first": time_to_first or "",
            "supports": [s for s in (supports or []) if s.get("kind")],
            "triggers": list(triggers or []),
            "triggers_other": (triggers_other or "").strip(),
            "reasons": (reasons or "").strip(),
        },
        today=patient_today(patient),
        old_date=old_date,
    )
    if plan is None:
        plan = QuitPlan(patient=patient)
    for name, value in data.items():
        setattr(plan, name, value)
    plan.save()
    if old_date != quit_date:
        QuitDateChange.objects.create(
            plan=plan, old_date=old_date, new_date=quit_date, changed_by=by
        )
        # A moved date is news even while a review is already pending: the levels check is
        # timed from the quit date (an earlier date makes it urgent).
        _medication_review(
            plan, state=State.DATE_SET, reason=_date_set_reason(quit_date), force=True
        )
    audit_record(
        actor=by,
        action="quit_plan.saved",
        subject=patient,
        target=plan,
        detail={"quit_date_changed": old_date != quit_date},
    )
    return plan


# --- Medication review ---------------------------------------------------------------------------


def review_medications(patient: User) -> list[Medication]:
    """The patient's current medications whose levels change when smoking stops or restarts."""
    return [
        m
        for m in Medication.objects.filter(patient=patient, stopped_on__isnull=True)
        if m.needs_review_on_quitting
    ]


def _date_set_reason(quit_date: date) -> str:
    return f"set a quit date of {quit_date:%-d %B %Y}"


def _medication_review(plan: QuitPlan, *, state: str, reason: str, force: bool = False) -> None:
    """Raise a medication-review flag when the smoking state changes for a patient on a
    CYP1A2-sensitive medication. Each state change is flagged once."""
    medications = review_medications(plan.patient)
    if not medications or (plan.medication_review_state == state and not force):
        return
    names = " and ".join(sorted({m.name.strip().lower() for m in medications}))
    if state == State.SMOKING_AGAIN:
        advice = (
            f"They are smoking again while on {names}: smoking lowers their levels again, so "
            "symptoms may return. Review the dose and check levels, per local protocol."
        )
    else:
        advice = (
            f"On {names}: tobacco smoke induces CYP1A2, so levels can rise sharply within days "
            "of stopping. Check levels at baseline and about a week after quitting, per local "
            "protocol, and review the dose."
        )
    flag_raise(
        patient=plan.patient,
        source=Flag.Source.MEDICATION_REVIEW,
        category=Flag.Category.MEDICATION_REVIEW,
        severity=Severity.HIGH,
        summary=f"Medication review: {reason}",
        evidence=[
            {"category": "medication_review", "rule_id": "", "excerpt": "", "reason": advice}
        ],
        source_ref=f"cessation.quitplan:{plan.pk}",
    )
    if plan.medication_review_state != state:
        plan.medication_review_state = state
        plan.save(update_fields=["medication_review_state", "updated_at"])


def _medication_review_after_checkin(plan: QuitPlan, checkin: CheckIn) -> None:
    baseline = Decimal(plan.per_day)
    cut_right_down = baseline > 0 and Decimal(checkin.cigarettes) <= baseline / 2
    smoking_again = checkin.cigarettes >= max(Decimal(5), baseline / 2)
    state = plan.medication_review_state
    if state == State.STOPPED and checkin.day >= plan.quit_date and smoking_again:
        _medication_review(
            plan, state=State.SMOKING_AGAIN, reason=f"smoking again ({checkin.cigarettes} a day)"
        )
    elif state != State.STOPPED and (
        (checkin.day >= plan.quit_date and checkin.cigarettes == 0)
        or (state != State.SMOKING_AGAIN and cut_right_down)
    ):
        reason = (
            "has reached their quit date"
            if checkin.day >= plan.quit_date and state != State.SMOKING_AGAIN
            else "has stopped smoking again"
            if state == State.SMOKING_AGAIN
            else f"is smoking far less ({checkin.cigarettes} a day, down from {plan.per_day})"
        )
        _medication_review(plan, state=State.STOPPED, reason=reason)


# --- Check-ins -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    created: bool
    crisis: bool  # the patient must see crisis support now
    flags: tuple[Flag, ...]


def checkin_allowed_days(patient: User, *, today: date | None = None) -> list[date]:
    """Today and the missed days before it that may still be filled in, newest first."""
    today = today or patient_today(patient)
    return [today - timedelta(days=n) for n in range(settings.CESSATION_BACKFILL_DAYS + 1)]


@transaction.atomic
def checkin_submit(
    *,
    patient: User,
    day: date,
    cigarettes: int,
    craving: int,
    mood: int,
    sleep: str,
    harm_thoughts: str,
    supports_used: list[str] | None = None,
    note: str = "",
) -> CheckInResult:
    """Save a patient's check-in for `day` (today or one of the last missed days), then hand its
    safety answers to safety: thoughts of self-harm or crisis words in the note raise a high
    flag and the patient sees crisis support at once; a mood of 2 or less raises a medium flag."""
    if patient.role != Role.PATIENT:
        raise PermissionDenied("Only patients check in.")
    errors: dict[str, str] = {}
    allowed = checkin_allowed_days(patient)
    if day not in allowed:
        errors["day"] = (
            f"You can check in for today or the last {settings.CESSATION_BACKFILL_DAYS} days only."
            if day < allowed[-1]
            else "You cannot check in for a day that has not happened yet."
        )
    for name, value, top in (
        ("cigarettes", cigarettes, 200),
        ("craving", craving, 10),
        ("mood", mood, 10),
    ):
        if value is None or not (0 <= int(value) <= top):
            errors[name] = f"Enter a number from 0 to {top}."
    if sleep not in CheckIn.Sleep.values:
        errors["sleep"] = "Choose how you slept."
    if harm_thoughts not in CheckIn.SafetyAnswer.values:
        errors["harm_thoughts"] = "Please answer this question."
    if any(kind not in Support.values for kind in supports_used or []):
        errors["supports_used"] = "Choose from the list."
    if len(note or "") > MAX_NOTE_LENGTH:
        errors["note"] = f"Keep this under {MAX_NOTE_LENGTH} characters."
    if errors:
        raise ValidationError(errors)

    checkin, created = CheckIn.objects.select_for_update().update_or_create(
        patient=patient,
        day=day,
        defaults={
            "cigarettes": cigarettes,
            "craving": craving,
            "mood": mood,
            "sleep": sleep,
            "harm_thoughts": harm_thoughts,
            "supports_used": list(supports_used or []),
            "note": (note or "").strip(),
        },
    )
    source_ref = f"cessation.checkin:{checkin.pk}"
    flags: list[Flag] = []
    crisis = False
    if harm_thoughts == CheckIn.SafetyAnswer.YES:
        crisis = True
        flags.append(
            flag_raise(
                patient=patient,
                source=Flag.Source.CHECKIN,
                category=Flag.Category.CRISIS,
                severity=Severity.HIGH,
                summary="Said yes to 'Have you had thoughts of harming yourself?' in a check-in",
                source_ref=source_ref,
            )
        )
    if checkin.note:
        verdict = screen_text(checkin.note)
        flag = flag_raise_from_screening(
            patient=patient, verdict=verdict, source=Flag.Source.CHECKIN, source_ref=source_ref
        )
        if flag is not None:
            flags.append(flag)
            crisis = crisis or flag.category == Flag.Category.CRISIS
    if mood <= LOW_MOOD_AT_OR_BELOW:
        flags.append(
            flag_raise(
                patient=patient,
                source=Flag.Source.CHECKIN,
                category=Flag.Category.LOW_MOOD,
                severity=Severity.MEDIUM,
                summary=f"Mood of {mood} out of 10 in a check-in",
                source_ref=source_ref,
            )
        )
    plan = QuitPlan.objects.select_for_update().filter(patient=patient).first()
    if plan is not None:
        _medication_review_after_checkin(plan, checkin)
    deteriorated = monitoring.deterioration_check(patient=patient, checkin=checkin)
    if deteriorated is not None:
        flags.append(deteriorated)
    monitoring.checkin_received(patient=patient, checkin=checkin)
    audit_record(
        actor=patient,
        action="checkin.created" if created else "checkin.updated",
        subject=patient,
        target=checkin,
        detail={"day": day.isoformat(), "flags": [f.pk for f in flags]},
    )
    return CheckInResult(checkin=checkin, created=created, crisis=crisis, flags=tuple(flags))


# --- Cravings, CO readings, medications ----------------------------------------------------


def craving_log(
    *,
    patient: User,
    intensity: int,
    where: str = "",
    with_whom: str = "",
    doing: str = "",
    mood: int | None = None,
    smoked: bool = False,
) -> Craving:
    """Log a craving as it happens. It feeds the craving chart."""
    if patient.role != Role.PATIENT:
        raise PermissionDenied("Only patients log cravings.")
    errors = {}
    if intensity is None or not 0 <= int(intensity) <= 10:
        errors["intensity"] = "Choose how strong it is, from 0 to 10."
    if mood is not None and not 0 <= int(mood) <= 10:
        errors["mood"] = "Choose a mood from 0 to 10."
    for name, value, choices in (
        ("where", where, Craving.Where.values),
        ("with_whom", with_whom, Craving.WithWhom.values),
        ("doing", doing, Craving.Doing.values),
    ):
        if value and value not in choices:
            errors[name] = "Choose from the list."
    if errors:
        raise ValidationError(errors)
    return Craving.objects.create(
        patient=patient,
        intensity=intensity,
        where=where,
        with_whom=with_whom,
        doing=doing,
        mood=mood,
        smoked=smoked,
    )


@transaction.atomic
def co_reading_record(*, patient: User, by: User, taken_on: date, ppm: int) -> COReading:
    """Record an expired-CO reading: by a clinician, or by the patient (marked self-reported)."""
    if not permissions.can_record_co(by, patient):
        raise PermissionDenied("You cannot record readings for this patient.")
    today = patient_today(patient)
    errors = {}
    if taken_on > today:
        errors["taken_on"] = "The date cannot be in the future."
    elif taken_on < today - timedelta(days=CO_HISTORY_DAYS):
        errors["taken_on"] = "The date is more than a year ago."
    if ppm is None or not 0 <= int(ppm) <= 100:
        errors["ppm"] = "Enter the reading in ppm, from 0 to 100."
    if errors:
        raise ValidationError(errors)
    reading = COReading.objects.create(
        patient=patient,
        taken_on=taken_on,
        ppm=ppm,
        self_reported=by.pk == patient.pk,
        recorded_by=by,
    )
    audit_record(
        actor=by,
        action="co_reading.recorded",
        subject=patient,
        target=reading,
        detail={"self_reported": reading.self_reported},
    )
    return reading


@transaction.atomic
def medication_add(*, patient: User, by: User, name: str, dose: str = "") -> Medication:
    """Record a medication. Adding clozapine or olanzapine to someone who is quitting raises a
    medication review at once."""
    if not permissions.can_manage_medications(by, patient):
        raise PermissionDenied("You cannot change this patient's medications.")
    name, dose = name.strip(), dose.strip()
    if not name:
        raise ValidationError({"name": "Enter the medication's name."})
    if Medication.objects.filter(
        patient=patient, name__iexact=name, stopped_on__isnull=True
    ).exists():
        raise ValidationError({"name": "This medication is already on the list."})
    medication = Medication.objects.create(patient=patient, name=name, dose=dose, recorded_by=by)
    audit_record(actor=by, action="medication.added", subject=patient, target=medication)
    plan = QuitPlan.objects.select_for_update().filter(patient=patient).first()
    if plan is not None and medication.needs_review_on_quitting:
        if plan.medication_review_state in (State.DATE_SET, State.STOPPED):
            _medication_review(
                plan,
                state=plan.medication_review_state,
                reason=f"{medication.name} recorded while they are stopping smoking",
                force=True,
            )
        elif plan.medication_review_state == State.NONE:
            _medication_review(plan, state=State.DATE_SET, reason=_date_set_reason(plan.quit_date))
    return medication


def medication_stop(*, medication: Medication, by: User) -> Medication:
    if not permissions.can_manage_medications(by, medication.patient):
        raise PermissionDenied("You cannot change this patient's medications.")
    if medication.stopped_on is None:
        medication.stopped_on = patient_today(medication.patient)
        medication.save(update_fields=["stopped_on", "updated_at"])
        audit_record(
            actor=by, action="medication.stopped", subject=medication.patient, target=medication
        )
    return medication


def health_benefits_approve(*, by: User) -> int:
    """A clinician approves the health-improvement timeline as it reads now."""
    if by.role != Role.CLINICIAN:
        raise PermissionDenied("Only clinicians approve clinical content.")
    count = HealthBenefit.objects.update(approved_by=by, approved_at=timezone.now())
    audit_record(actor=by, action="health_content.approved", detail={"entries": count})
    return count
