"""Patients at any point of onboarding, and the answers each step takes, for the onboarding
tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from onboarding import quiz, services
from onboarding.models import Consent, ContentVersion
from onboarding.selectors import content_current
from tests.factories import ClinicianFactory, PatientFactory, PeerFactory

BASELINE = {
    "age_started": "15",
    "per_day": "25",
    "time_to_first": "5",
    "quit_attempts": "2-4",
    "motivation": "soon",
    "vapes": "no",
    "medicines": ["clozapine"],
    "support_wanted": ["group", "peer"],
    "mood": "6",
}

QUIZ_RIGHT = {question.key: question.correct for question in quiz.QUESTIONS}


def a_new_patient(*, clinician: User | None = None, peer: User | None = None, **kwargs) -> User:
    """A patient whose onboarding has just begun, as after accepting their invitation."""
    clinician = clinician or ClinicianFactory(password=None, mfa=False)
    kwargs.setdefault("full_name", "Robin Example")
    patient = PatientFactory(
        password=None, profile=clinician, profile__peer_specialist=peer, **kwargs
    )
    services.journey_start(patient=patient)
    return patient


def a_peer() -> User:
    return PeerFactory(password=None, mfa=False)


def consent_version(kind: str = Consent.Kind.PROGRAMME) -> int:
    key = {
        Consent.Kind.PROGRAMME: ContentVersion.Key.CONSENT_PROGRAMME,
        Consent.Kind.TRIAL: ContentVersion.Key.CONSENT_TRIAL,
    }[kind]
    return content_current(key=key).version


def through_consent(patient: User) -> None:
    """Welcome and privacy read, programme consent given."""
    services.step_complete(patient=patient, step="welcome", by=patient)
    services.step_complete(patient=patient, step="privacy", by=patient)
    services.consent_give(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, version=consent_version()
    )


def quit_plan_data(patient_today) -> dict:
    return {
        "quit_date": (patient_today + timedelta(days=7)).isoformat(),
        "product": "cigarettes",
        "per_day": "20",
        "pack_price": "16.00",
        "pack_size": "20",
    }


def today():
    return timezone.localdate()
