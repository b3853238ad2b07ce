"""Participants at each point of taking part, for the participation tests."""

from __future__ import annotations

from accounts.models import User
from onboarding import services as onboarding_services
from onboarding.models import Consent
from onboarding.steps import TRIAL_CONSENT
from tests.onboarding.helpers import a_clinician, a_new_patient, at_step, consent_version
from trials.models import FollowUp, Participant, Trial
from trials.services import participation


def about_you(patient: User, *, per_day: int = 25) -> None:
    """Answer "About you" (the baseline), which completes the step."""
    onboarding_services.baseline_save(
        patient=patient,
        by=patient,
        age_started=16,
        per_day=per_day,
        time_to_first="5",
        quit_attempts="2-4",
        motivation="soon",
        vapes=False,
        medicines=[],
        support_wanted=[],
        mood=6,
    )


def an_enrolled_patient(
    trial: Trial, *, diagnosis: str = "psychosis", clinician: User | None = None, **kwargs
) -> tuple[User, Participant]:
    """A patient through their programme consent, offered the study by their clinician."""
    clinician = clinician or a_clinician()
    patient = at_step(a_new_patient(clinician=clinician, **kwargs), "about_you")
    participant = participation.participant_enrol(
        trial=trial, profile=patient.patient_profile, by=clinician, diagnosis_group=diagnosis
    )
    return patient, participant


def agree(patient: User) -> None:
    """ "I agree to take part in the study", as the study's step does it."""
    onboarding_services.consent_give(
        patient=patient, by=patient, kind=Consent.Kind.TRIAL, version=consent_version("trial")
    )
    onboarding_services.step_complete(
        patient=patient, step=TRIAL_CONSENT, by=patient, detail={"answer": "agreed"}
    )


def a_randomised_patient(trial: Trial, **kwargs) -> tuple[User, Participant]:
    patient, participant = an_enrolled_patient(trial, **kwargs)
    agree(patient)
    about_you(patient)
    participant.refresh_from_db()
    return patient, participant


def a_follow_up_due_in_2030(participant: Participant) -> FollowUp:
    """The participant's first follow-up, due far in the future (so still open), made once."""
    followup, _ = FollowUp.objects.get_or_create(
        participant=participant,
        point=participant.trial.points.first(),
        defaults={
            "anchor_date": "2030-01-01",
            "due_on": "2030-01-29",
            "window_opens_on": "2030-01-26",
            "window_closes_on": "2030-02-12",
        },
    )
    return followup
