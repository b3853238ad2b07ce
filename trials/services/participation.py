"""Taking part in the trial: the screening log, enrolment by the patient's clinician, agreeing to
or declining the study, randomisation from the concealed sequence, allocation notes and
withdrawal. Every change is audited; an allocation is made once and never changed.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from cessation import services as cessation_services
from core.exceptions import StateConflict
from core.services import audit_record, notification_send
from onboarding.models import Baseline, Consent
from trials import allocation as allocator
from trials import permissions, pseudonyms, strata
from trials.gate import study_forget
from trials.models import (
    Allocation,
    AllocationNote,
    FollowUp,
    Participant,
    ScreeningEntry,
    SequenceSlot,
    Trial,
    Withdrawal,
)
from trials.selectors import trial_managers
from trials.services.setup import PAUSE_REASON

# Which reasons fit which outcome of the screening log: those not eligible are excluded by the
# criteria; those who decline give their own reason; nobody is asked why they were not reached.
INELIGIBLE_REASONS = (
    ScreeningEntry.Reason.NOT_SMOKER,
    ScreeningEntry.Reason.NO_PHONE,
    ScreeningEntry.Reason.TOO_UNWELL,
    ScreeningEntry.Reason.CAPACITY,
    ScreeningEntry.Reason.NO_ENGLISH,
    ScreeningEntry.Reason.OTHER_STUDY,
    ScreeningEntry.Reason.OTHER,
)
DECLINED_REASONS = (
    ScreeningEntry.Reason.NOT_INTERESTED,
    ScreeningEntry.Reason.NOT_READY,
    ScreeningEntry.Reason.TOO_BUSY,
    ScreeningEntry.Reason.DATA_WORRY,
    ScreeningEntry.Reason.NO_REASON,
    ScreeningEntry.Reason.OTHER,
)
REASONS_FOR = {
    ScreeningEntry.Outcome.INELIGIBLE: INELIGIBLE_REASONS,
    ScreeningEntry.Outcome.DECLINED: DECLINED_REASONS,
    ScreeningEntry.Outcome.NOT_REACHED: (),
}


def _recruiting_trial(trial: Trial | None) -> Trial:
    if trial is None or trial.status != Trial.Status.RECRUITING:
        raise StateConflict(_("No study is recruiting at the moment."))
    return trial


def _notify_managers(trial: Trial, *, kind: str, title: str, body: str, urgent=False) -> None:
    url = reverse("trials:participation_list", args=[trial.slug])
    for manager in trial_managers(trial):
        notification_send(
            recipient=manager, kind=kind, title=title, body=body, url=url, urgent=urgent
        )


# --- Screening log -------------------------------------------------------------------------------


@transaction.atomic
def screening_record(
    *,
    trial: Trial | None,
    by: User,
    outcome: str,
    reason: str = "",
    screened_on: date | None = None,
    request: HttpRequest | None = None,
) -> ScreeningEntry:
    """Count one person approached who does not take part, with a reason and nothing that
    identifies them. (Those who go on are logged by `participant_enrol`.)"""
    if not permissions.can_log_screening(by):
        raise PermissionDenied("Only clinicians and trial managers log screening.")
    trial = _recruiting_trial(trial)
    screened_on = screened_on or timezone.localdate()
    errors: dict[str, str] = {}
    if outcome not in REASONS_FOR:
        errors["outcome"] = _("Choose what happened: not eligible, declined or not reached.")
    else:
        allowed = REASONS_FOR[outcome]
        if allowed and not reason:
            errors["reason"] = _("Choose a reason.")
        elif reason and reason not in allowed:
            errors["reason"] = (
                _("Leave the reason empty for someone who could not be reached.")
                if not allowed
                else _("This reason does not fit the outcome. Choose one from the list.")
            )
    if screened_on > timezone.localdate():
        errors["screened_on"] = _("The date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    entry = ScreeningEntry.objects.create(
        trial=trial, screened_on=screened_on, outcome=outcome, reason=reason, recorded_by=by
    )
    audit_record(
        actor=by,
        action="trial.screened",
        target=entry,
        detail={"trial": trial.pk, "outcome": outcome, "reason": reason},
        request=request,
    )
    return entry


# --- Enrolment and consent -----------------------------------------------------------------------


@transaction.atomic
def participant_enrol(
    *,
    trial: Trial | None,
    profile: PatientProfile,
    by: User,
    diagnosis_group: str,
    request: HttpRequest | None = None,
) -> Participant:
    """The patient's clinician offers them the study: they are logged as approached and
    enrolled, and "The study" joins their first steps, where they agree or decline."""
    if not permissions.can_enrol(by, profile):
        raise PermissionDenied("Only the patient's clinician offers them the study.")
    trial = _recruiting_trial(trial)
    if diagnosis_group not in Participant.DiagnosisGroup.values:
        raise ValidationError({"diagnosis_group": _("Choose the diagnosis group.")})
    patient = profile.user
    if profile.programme_status == PatientProfile.ProgrammeStatus.WITHDRAWN:
        raise StateConflict(
            _("This patient has withdrawn from the programme: they cannot be offered the study.")
        )
    if Participant.objects.filter(trial=trial, patient=patient).exists():
        raise StateConflict(_("This patient has already been offered this study."))
    if (
        Participant.objects.filter(patient=patient)
        .exclude(trial=trial)
        .exclude(trial__status=Trial.Status.CLOSED)
        .exclude(status__in=(Participant.Status.DECLINED, Participant.Status.WITHDRAWN))
        .exists()
    ):
        raise StateConflict(_("This patient is taking part in another study that has not closed."))
    now = timezone.now()
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                trial=trial,
                patient=patient,
                study_id=pseudonyms.trial_id_for(key=trial.pseudonym_key, patient_id=patient.pk),
                diagnosis_group=diagnosis_group,
                enrolled_at=now,
                enrolled_by=by,
            )
            ScreeningEntry.objects.create(
                trial=trial,
                outcome=ScreeningEntry.Outcome.ENROLLED,
                recorded_by=by,
                recorded_at=now,
                patient=patient,
            )
    except IntegrityError as exc:  # the same form sent twice at the same moment
        raise StateConflict(_("This patient has already been offered this study.")) from exc
    audit_record(
        actor=by,
        action="trial.enrolled",
        subject=patient,
        target=participant,
        detail={"trial": trial.pk, "diagnosis_group": diagnosis_group},
        request=request,
    )
    study_forget(patient)
    return participant


def _participant_for_update(patient: User) -> Participant | None:
    return (
        Participant.objects.select_for_update()
        .select_related("trial")
        .filter(patient=patient)
        .exclude(trial__status=Trial.Status.CLOSED)
        .order_by("-enrolled_at")
        .first()
    )


def on_consent_given(*, consent: Consent, by: User) -> None:
    """onboarding.hooks.consent_given: a study consent makes the participant CONSENTED (and
    randomised at once when About you is already done). A newer version agreed to later is
    recorded on the participant."""
    if consent.kind == Consent.Kind.PROGRAMME:
        _programme_agreed_again(consent.patient)
        return
    if consent.kind != Consent.Kind.TRIAL:
        return
    participant = _participant_for_update(consent.patient)
    if participant is None:
        return
    if participant.status in (Participant.Status.ENROLLED, Participant.Status.DECLINED):
        participant.status = Participant.Status.CONSENTED
        participant.consented_at = consent.given_at
        participant.consent = consent
        participant.save(update_fields=["status", "consented_at", "consent"])
        audit_record(
            actor=by,
            action="trial.consented",
            subject=participant.patient,
            target=participant,
            detail={"trial": participant.trial_id, "consent": consent.pk},
        )
        study_forget(participant.patient)
        if Baseline.objects.filter(patient=participant.patient).exists():
            _randomise_quietly(participant, by=by)
    elif participant.status in (Participant.Status.CONSENTED, Participant.Status.RANDOMISED):
        participant.consent = consent  # a newer version of the words
        participant.save(update_fields=["consent"])


def _programme_agreed_again(patient: User) -> None:
    """Agreeing to the programme again after stopping it: a participant of an arm with the
    programme gets it back (their earlier stop no longer counts, trials/gate.py), reminders
    included."""
    participant = (
        Participant.objects.filter(patient=patient, allocation__arm__gets_programme=True)
        .exclude(trial__status=Trial.Status.CLOSED)
        .first()
    )
    if participant is None:
        return
    cessation_services.schedule_resume(patient=patient, reason=PAUSE_REASON)
    study_forget(patient)


@transaction.atomic
def participant_decline(*, patient: User, by: User, request: HttpRequest | None = None) -> None:
    """ "No thanks": the patient takes part in the programme as usual, not in the study."""
    if not permissions.is_participant_self(by, patient):
        raise PermissionDenied("Only the patient answers for themselves.")
    participant = _participant_for_update(patient)
    if participant is None or participant.status not in (
        Participant.Status.ENROLLED,
        Participant.Status.DECLINED,
    ):
        raise StateConflict(_("There is no study invitation waiting for your answer."))
    if participant.status == Participant.Status.DECLINED:
        return
    participant.status = Participant.Status.DECLINED
    participant.declined_at = timezone.now()
    participant.save(update_fields=["status", "declined_at"])
    audit_record(
        actor=by,
        action="trial.declined",
        subject=patient,
        target=participant,
        detail={"trial": participant.trial_id},
        request=request,
    )
    study_forget(patient)


# --- Randomisation -------------------------------------------------------------------------------


def _first_slot_of_stratum_locked(trial: Trial, stratum: str) -> None:
    """Serialise randomisations within a stratum: every one locks the stratum's first position
    before reading the next unused one (a LIMIT 1 under FOR UPDATE could skip a row another
    transaction has just used)."""
    list(
        SequenceSlot.objects.select_for_update()
        .filter(trial=trial, stratum=stratum, position=1)
        .values_list("pk", flat=True)
    )


def _randomise(participant_id: int, by: User) -> Allocation:
    participant = (
        Participant.objects.select_for_update()
        .select_related("trial", "patient")
        .get(pk=participant_id)
    )
    trial = participant.trial
    if participant.status == Participant.Status.WITHDRAWN:
        raise StateConflict(_("This participant has withdrawn: they cannot be randomised."))
    if Allocation.objects.filter(participant=participant).exists():
        raise StateConflict(
            _("This participant is already randomised; an allocation never changes.")
        )
    if participant.status != Participant.Status.CONSENTED:
        raise StateConflict(_("Only a participant who has agreed to the study can be randomised."))
    if trial.status != Trial.Status.RECRUITING:
        raise StateConflict(_("This trial is not recruiting: nobody can be randomised."))
    baseline = Baseline.objects.filter(patient=participant.patient).first()
    if baseline is None:
        raise StateConflict(_("Randomisation waits for the participant's About you answers."))
    stratum = strata.stratum_for(trial.strata_factors, participant, baseline)
    _first_slot_of_stratum_locked(trial, stratum)
    unused = (
        SequenceSlot.objects.filter(trial=trial, stratum=stratum, used_at__isnull=True)
        .order_by("position")
        .only("pk", "position", "arm_sealed")[:1]
    )
    slot = allocator.slot_next(list(unused), stratum=stratum)  # SequenceExhausted
    arm = allocator.arm_for_slot(slot.arm_sealed, {arm.code: arm for arm in trial.arms.all()})
    now = timezone.now()
    if not SequenceSlot.objects.filter(pk=slot.pk, used_at__isnull=True).update(used_at=now):
        # Taken by a randomisation at the same moment (possible only without row locks, on
        # SQLite): nothing is written, and the participant is randomised on the next try.
        raise StateConflict(_("Another randomisation took this place; try again."))
    allocation = Allocation.objects.create(
        participant=participant,
        arm=arm,
        stratum=stratum,
        slot=slot,
        allocated_at=now,
        allocated_by=by,
    )
    participant.status = Participant.Status.RANDOMISED
    participant.save(update_fields=["status"])
    audit_record(
        actor=by,
        action="trial.randomised",
        subject=participant.patient,
        target=allocation,
        detail={"trial": trial.pk, "arm": arm.code, "stratum": stratum},
    )
    study_forget(participant.patient)
    _after_randomisation(participant, allocation)
    return allocation


def _after_randomisation(participant: Participant, allocation: Allocation) -> None:
    arm = allocation.arm
    if not arm.gets_programme:
        # Usual care: no programme reminders, missed check-in calls or non-response flags
        # (they would be the intervention), until the trial closes.
        cessation_services.schedule_pause(patient=participant.patient, reason=PAUSE_REASON)
    if arm.gets_programme:
        body = _(
            "You are in the group “%(arm)s”. You get the whole Exhale programme: check-ins, your "
            "progress, peer groups and messages. We will also ask you a few questions at set "
            "times, to see how you are doing."
        )
    else:
        body = _(
            "You are in the group “%(arm)s”. Your care carries on as usual. In Exhale you will "
            "see your study questions, your safety plan and crisis help. We will ask you a few "
            "questions at set times. Both groups matter equally to the study."
        )
    notification_send(
        recipient=participant.patient,
        kind="trial.randomised",
        title=_("Your study group"),
        body=body % {"arm": arm.label},
        url=reverse("trials:study"),
    )
    try:
        from trials.services.followups import followups_schedule
    except ImportError:  # the follow-ups part is not there yet
        return
    followups_schedule(participant=participant)


def participant_randomise(*, participant: Participant, by: User) -> Allocation:
    """Allocate a consented participant to an arm: the next unused position of their stratum's
    concealed sequence. Once only, never changed; refused before consent, after withdrawal,
    when the trial is not recruiting, and when the stratum's sequence is used up (the trial
    manager is told; the participant stays waiting). Refusals write nothing."""
    try:
        with transaction.atomic():
            return _randomise(participant.pk, by)
    except allocator.SequenceExhausted as exc:
        trial = Trial.objects.get(pk=participant.trial_id)
        with transaction.atomic():
            _notify_managers(
                trial,
                kind="trial.sequence_used_up",
                title=_("A study needs attention"),
                body=_(
                    "The sealed sequence of a stratum (%(stratum)s) is used up: recruitment has "
                    "gone past the target there. A participant who agreed is waiting to be "
                    "randomised; close recruitment, or agree a new sequence with the trial "
                    "statistician."
                )
                % {"stratum": exc.stratum},
                urgent=True,
            )
            audit_record(
                actor=by,
                action="trial.sequence_used_up",
                target=trial,
                detail={"trial": trial.pk, "stratum": exc.stratum, "participant": participant.pk},
            )
        raise StateConflict(
            _(
                "The allocation sequence of this stratum is used up. "
                "The trial manager has been told."
            )
        ) from exc


def _randomise_quietly(participant: Participant, *, by: User) -> Allocation | None:
    """From a hook: randomise if possible; a refusal leaves the participant waiting and never
    undoes what the patient just did (their consent, their answers)."""
    try:
        return participant_randomise(participant=participant, by=by)
    except StateConflict:
        return None


def on_step_completed(*, patient: User, step: str, by: User) -> None:
    """onboarding.hooks.step_completed: About you done by a consented participant randomises
    them. Changing the answers later changes nothing (an allocation is made once)."""
    from onboarding.steps import ABOUT_YOU

    if step != ABOUT_YOU:
        return
    participant = (
        Participant.objects.filter(patient=patient, status=Participant.Status.CONSENTED)
        .exclude(trial__status=Trial.Status.CLOSED)
        .first()
    )
    if participant is not None:
        _randomise_quietly(participant, by=by)


@transaction.atomic
def allocation_annotate(*, allocation: Allocation, by: User, text: str) -> AllocationNote:
    """A note on an allocation (an allocation itself never changes). Trial managers only."""
    if not permissions.can_manage_trial(by):
        raise PermissionDenied("Only trial managers annotate allocations.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the note.")})
    if len(text) > 2000:
        raise ValidationError({"text": _("Keep the note under 2,000 characters.")})
    note = AllocationNote.objects.create(allocation=allocation, author=by, text=text)
    audit_record(
        actor=by,
        action="trial.allocation_annotated",
        subject=allocation.participant.patient,
        target=note,
        detail={"allocation": allocation.pk},
    )
    return note


# --- Withdrawal ----------------------------------------------------------------------------------


def _followups_stop(participant: Participant) -> None:
    try:
        from trials.services.followups import followups_stop
    except ImportError:
        FollowUp.objects.filter(
            participant=participant,
            status__in=(FollowUp.Status.SCHEDULED, FollowUp.Status.OPEN),
        ).update(status=FollowUp.Status.STOPPED)
        return
    followups_stop(participant=participant)


@transaction.atomic
def participant_withdraw(
    *,
    participant: Participant,
    by: User,
    level: str,
    source: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Withdrawal:
    """Record a withdrawal. ALL and FOLLOW_UP stop the follow-ups still to come (what was
    collected before is kept, as the study consent says; nothing after `withdrawn_at` is used);
    ALL ends taking part in the study; INTERVENTION stops the programme while follow-up goes on.
    The trial manager is told."""
    if level not in Withdrawal.Level.values:
        raise ValidationError({"level": _("Choose what the participant stops.")})
    if source not in Withdrawal.Source.values:
        raise ValidationError({"source": _("Unknown source.")})
    if source == Withdrawal.Source.STAFF and not permissions.can_manage_trial(by):
        raise PermissionDenied("Only the trial team records a withdrawal.")
    if source == Withdrawal.Source.PATIENT and not permissions.is_participant_self(
        by, participant.patient
    ):
        raise PermissionDenied("Only the participant withdraws themselves.")
    if reason and reason not in Consent.WithdrawalReason.values:
        raise ValidationError({"reason": _("Choose one of the reasons.")})
    participant = (
        Participant.objects.select_for_update()
        .select_related("trial", "patient")
        .get(pk=participant.pk)
    )
    if participant.status == Participant.Status.WITHDRAWN:
        raise StateConflict(_("This participant has already withdrawn from the study."))
    if participant.status in (Participant.Status.ENROLLED, Participant.Status.DECLINED):
        raise StateConflict(_("This person has not agreed to the study: there is nothing to stop."))
    if participant.withdrawals.filter(level=level).exists():
        raise StateConflict(_("This withdrawal is already recorded."))
    now = timezone.now()
    withdrawal = Withdrawal.objects.create(
        participant=participant,
        level=level,
        source=source,
        at=now,
        recorded_by=by,
        reason=reason,
    )
    fields = []
    if level in (Withdrawal.Level.ALL, Withdrawal.Level.FOLLOW_UP):
        _followups_stop(participant)
    if level == Withdrawal.Level.INTERVENTION:
        cessation_services.schedule_pause(patient=participant.patient, reason=PAUSE_REASON)
    if level == Withdrawal.Level.ALL:
        participant.status = Participant.Status.WITHDRAWN
        participant.withdrawn_at = now
        fields += ["status", "withdrawn_at"]
    if fields:
        participant.save(update_fields=fields)
    audit_record(
        actor=by,
        action="trial.withdrawn",
        subject=participant.patient,
        target=withdrawal,
        detail={"trial": participant.trial_id, "level": level, "source": source},
        request=request,
    )
    _notify_managers(
        participant.trial,
        kind="trial.withdrawal",
        title=_("A study participant withdrew"),
        body=_("Participant %(study_id)s: %(level)s.")
        % {"study_id": participant.study_id, "level": withdrawal.get_level_display()},
    )
    study_forget(participant.patient)
    return withdrawal


def on_consent_withdrawn(*, consent: Consent, by: User) -> None:
    """onboarding.hooks.consent_withdrawn: withdrawing the study consent withdraws from the
    study (data so far kept); withdrawing from the programme stops the intervention while
    follow-up goes on, as the study consent says."""
    participant = (
        Participant.objects.filter(patient=consent.patient)
        .exclude(trial__status=Trial.Status.CLOSED)
        .exclude(status__in=(Participant.Status.WITHDRAWN,))
        .order_by("-enrolled_at")
        .first()
    )
    if participant is None:
        return
    if consent.kind == Consent.Kind.TRIAL:
        if participant.status in (Participant.Status.ENROLLED, Participant.Status.DECLINED):
            return
        participant_withdraw(
            participant=participant,
            by=by,
            level=Withdrawal.Level.ALL,
            source=Withdrawal.Source.PATIENT,
            reason=consent.withdrawal_reason,
        )
    elif consent.kind == Consent.Kind.PROGRAMME and participant.status in (
        Participant.Status.CONSENTED,
        Participant.Status.RANDOMISED,
    ):
        if participant.withdrawals.filter(level=Withdrawal.Level.INTERVENTION).exists():
            return
        participant_withdraw(
            participant=participant,
            by=by,
            level=Withdrawal.Level.INTERVENTION,
            source=Withdrawal.Source.PATIENT,
            reason=consent.withdrawal_reason,
        )
