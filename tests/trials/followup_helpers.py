"""Participants for the follow-up and adverse-event tests, made directly from rows (a
Participant and its Allocation from the next slot of the trial's sealed sequence), so these
tests do not depend on the enrolment and randomisation pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import User
from tests.cessation.factories import QuitPlanFactory
from tests.factories import ClinicianFactory, PatientFactory
from tests.trials.helpers import a_recruiting_trial
from trials import pseudonyms
from trials.models import Allocation, FollowUp, Participant, SequenceSlot, Trial, Withdrawal
from trials.services.followups import followups_schedule


def a_participant(
    *,
    trial: Trial | None = None,
    clinician: User | None = None,
    allocated_at: datetime | None = None,
    quit_date: date | None = None,
    time_zone: str = "Europe/London",
    status: str = Participant.Status.RANDOMISED,
    schedule: bool = True,
) -> Participant:
    """A randomised participant (or one at `status`) of `trial` (a new recruiting trial by
    default), with their follow-ups scheduled."""
    trial = trial or Trial.objects.filter(slug="exhale-ft").first() or a_recruiting_trial()
    clinician = clinician or ClinicianFactory(password=None)
    patient = PatientFactory(
        password=None,
        full_name="Fixed Name",
        profile=clinician,
        profile__time_zone=time_zone,
    )
    allocated_at = allocated_at or timezone.now()
    if quit_date is not None:
        QuitPlanFactory(patient=patient, quit_date=quit_date)
    participant = Participant.objects.create(
        trial=trial,
        patient=patient,
        study_id=pseudonyms.trial_id_for(key=trial.pseudonym_key, patient_id=patient.pk),
        diagnosis_group=Participant.DiagnosisGroup.PSYCHOSIS,
        status=status,
        enrolled_by=clinician,
        enrolled_at=allocated_at - timedelta(days=1),
        consented_at=allocated_at - timedelta(hours=1),
    )
    if status in (Participant.Status.RANDOMISED, Participant.Status.WITHDRAWN):
        slot = (
            SequenceSlot.objects.filter(trial=trial, used_at__isnull=True)
            .order_by("stratum", "position")
            .first()
        )
        SequenceSlot.objects.filter(pk=slot.pk).update(used_at=allocated_at)
        Allocation.objects.create(
            participant=participant,
            arm=trial.arms.get(code=slot.arm_sealed),
            stratum=slot.stratum,
            slot=slot,
            allocated_at=allocated_at,
            allocated_by=clinician,
        )
        if schedule:
            followups_schedule(participant=Participant.objects.get(pk=participant.pk))
    return Participant.objects.get(pk=participant.pk)


def withdraw(participant: Participant, level: str) -> Withdrawal:
    """A withdrawal row, as the participation part records it (without stopping anything)."""
    return Withdrawal.objects.create(
        participant=participant,
        level=level,
        source=Withdrawal.Source.STAFF,
        recorded_by=participant.trial.manager,
    )


def followup_at(participant: Participant, code: str = "4w") -> FollowUp:
    return FollowUp.objects.select_related("point").get(participant=participant, point__code=code)


def at_local(day: date, hour: int, zone: str = "Europe/London") -> datetime:
    """An aware moment: `hour` o'clock on `day` in `zone`."""
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo(zone))
