"""Withdrawal is handled as the consent says, and leaves a record (the consent's own withdrawn
time and reason, a Withdrawal row for the study, audit rows), which the person's subject-access
copy shows.

What the words promise (onboarding/content/consent_*.txt, privacy_full.txt):
- the programme: "I can stop at any time ... Stopping will not change my care." No promise to
  delete: the health record is kept for care (privacy notice, "Keeping your information").
- the study: "If I stop, no new information about me will be collected. If I stop, what was
  already collected will be kept and used in the study, with a code number instead of my name."
"""

from __future__ import annotations

import json
import zipfile

import pytest
from django.utils import timezone

from core.models import AuditEvent
from onboarding import services as onboarding_services
from onboarding.defaults import standard_text
from onboarding.models import Consent
from records.services.subject_access import subject_access_build
from tests.cessation.factories import CheckInFactory
from tests.trials.helpers import a_recruiting_trial
from tests.trials.participation_helpers import a_follow_up_due_in_2030, a_randomised_patient
from trials.models import Participant, Withdrawal
from trials.services import participation

pytestmark = pytest.mark.django_db

ERASURE_WORDS = ("delete", "deleted", "remove", "removed", "erase", "erased", "destroy")


def test_the_words_promise_what_the_code_does():
    """If a consent text ever promises to delete something, this fails: implement the promise
    (in the app that holds the data) before publishing the words."""
    _title, programme = standard_text("consent_programme")
    _title, study = standard_text("consent_trial")
    assert not [word for word in ERASURE_WORDS if word in programme.casefold().split()]
    assert "no new information about me will be collected" in study
    assert "what was already collected will be kept and used" in study


def _copy(person) -> dict:
    with zipfile.ZipFile(subject_access_build(person=person)) as archive:
        return {
            name[:-5]: json.loads(archive.read(name))
            for name in archive.namelist()
            if name.endswith(".json")
        }


@pytest.fixture
def taking_part():
    trial = a_recruiting_trial()
    patient, participant = a_randomised_patient(trial)
    CheckInFactory(patient=patient, day=timezone.localdate(), note="before leaving")
    return trial, patient, participant


def test_leaving_the_programme_is_recorded_and_keeps_the_record_and_the_study(taking_part):
    _trial, patient, participant = taking_part
    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="too_much"
    )
    consent = Consent.objects.get(patient=patient, kind=Consent.Kind.PROGRAMME)
    assert consent.withdrawn_at is not None
    assert consent.withdrawal_reason == "too_much"
    audit = AuditEvent.objects.get(action="consent.withdrawn", subject_id=patient.pk)
    assert audit.detail == {"kind": "programme", "reason": "too_much"}
    # The study goes on (its own consent stands): only the intervention stops, with a record.
    participant.refresh_from_db()
    assert participant.status == Participant.Status.RANDOMISED
    withdrawal = participant.withdrawals.get()
    assert (withdrawal.level, withdrawal.source) == ("intervention", "patient")
    assert AuditEvent.objects.filter(action="trial.withdrawn", subject_id=patient.pk).exists()
    # Nothing promised to be deleted, and nothing is: the record stays for their care.
    assert [c.note for c in patient.checkins.all()] == ["before leaving"]

    copy = _copy(patient)
    programme = next(c for c in copy["consents"] if c["kind"] == "programme")
    assert programme["withdrawn_at"] == consent.withdrawn_at.isoformat()
    assert programme["withdrawal_reason_meaning"] == "It is too much right now"
    assert copy["study_withdrawals"][0]["level"] == "intervention"


def test_leaving_the_study_keeps_what_was_collected_stops_collecting_and_is_recorded(taking_part):
    _trial, patient, participant = taking_part
    a_follow_up_due_in_2030(participant)
    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.TRIAL, reason="privacy"
    )
    consent = Consent.objects.get(patient=patient, kind=Consent.Kind.TRIAL)
    participant.refresh_from_db()
    withdrawal = participant.withdrawals.get()
    assert (withdrawal.level, withdrawal.source, withdrawal.reason) == ("all", "patient", "privacy")
    assert participant.withdrawn_at == withdrawal.at
    assert consent.withdrawn_at is not None
    assert participant.withdrawn_at >= consent.withdrawn_at
    actions = set(AuditEvent.objects.filter(subject_id=patient.pk).values_list("action", flat=True))
    assert {"consent.withdrawn", "trial.withdrawn"} <= actions
    # Nothing new is collected: the follow-ups still to come stop...
    assert set(participant.followups.values_list("status", flat=True)) == {"stopped"}
    # ...and what was collected before is kept (used with the study code, intention to treat).
    assert Participant.objects.filter(pk=participant.pk).exists()
    assert participant.allocation is not None
    assert [c.note for c in patient.checkins.all()] == ["before leaving"]

    copy = _copy(patient)
    assert copy["study_participation"][0]["status"] == "withdrawn"
    assert copy["study_withdrawals"][0]["reason"] == "privacy"


def test_a_withdrawal_recorded_by_the_trial_team_is_recorded_with_who(taking_part):
    trial, patient, participant = taking_part
    participation.participant_withdraw(
        participant=participant,
        by=trial.manager,
        level=Withdrawal.Level.FOLLOW_UP,
        source=Withdrawal.Source.STAFF,
    )
    withdrawal = participant.withdrawals.get()
    assert withdrawal.recorded_by == trial.manager
    audit = AuditEvent.objects.get(action="trial.withdrawn", subject_id=patient.pk)
    assert audit.actor_id == trial.manager.pk
    assert audit.detail["level"] == "follow_up"
    # The consent itself stands: only the patient withdraws a consent.
    assert Consent.objects.get(patient=patient, kind=Consent.Kind.TRIAL).withdrawn_at is None
    copy = _copy(patient)
    assert copy["study_withdrawals"][0]["recorded_by"].endswith("(Admin (trial manager))")
