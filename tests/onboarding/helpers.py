"""Patients at any point of onboarding, and the answers each step takes, for the onboarding
tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from onboarding import quiz, services
from onboarding.models import Consent, ContentVersion
from onboarding.selectors import content_current
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

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


def a_peer(*, mfa: bool = False) -> User:
    """A peer specialist; with `mfa` they have a second factor and can open staff pages."""
    return PeerFactory(password=None, mfa=mfa)


def a_clinician(**kwargs) -> User:
    """A clinician with a second factor, who can open staff pages (force_login needs no
    password)."""
    return ClinicianFactory(password=None, **kwargs)


def an_admin() -> User:
    return AdminFactory(password=None, mfa=False)


# The steps in order, and how a helper settles each one before the step a test is about.
STEPS = (
    "welcome",
    "privacy",
    "consent",
    "about_you",
    "safety_plan",
    "quit_plan",
    "tour",
    "groups",
)


def at_step(patient: User, step: str) -> User:
    """Settle every step before `step` the quickest way: welcome and privacy read, consent given,
    "About you" marked done, the optional steps left for later."""
    for key in STEPS[: STEPS.index(step)]:
        if key == "consent":
            services.consent_give(
                patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, version=consent_version()
            )
        elif key in ("welcome", "privacy", "about_you"):
            services.step_complete(patient=patient, step=key, by=patient)
        else:
            services.step_skip(patient=patient, step=key, by=patient)
    return patient


def all_done(patient: User) -> User:
    """Every step done (none left for later): onboarding finished."""
    at_step(patient, "about_you")
    for key in STEPS[STEPS.index("about_you") :]:
        services.step_complete(patient=patient, step=key, by=patient)
    return patient


def a_version_published(
    key: str = ContentVersion.Key.CONSENT_PROGRAMME,
    *,
    title: str = "Taking part in Exhale, second version",
    body: str = "# [check] What you agree to\nYou agree to the new words.\n- Check in each day.",
    approver: User | None = None,
) -> ContentVersion:
    """A new version of a text, approved and published the way an admin does it."""
    admin = an_admin()
    version = services.content_version_create(key=key, title=title, body=body, by=admin)
    services.content_approve(version=version, approver=approver or a_clinician(), by=admin)
    return services.content_publish(version=version, by=admin)


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
