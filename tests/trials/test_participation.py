"""Taking part: enrolment by the patient's clinician (from their page and the API), the study's
step ("I agree" / "No thanks"), withdrawal (by the patient and recorded by the trial team) and
every refusal, each with a clear record and nothing half-written."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import PatientProfile
from core.exceptions import StateConflict
from core.models import AuditEvent
from onboarding import services as onboarding_services
from onboarding.models import Consent, StepRecord
from onboarding.steps import TRIAL_CONSENT
from tests.factories import PeerFactory
from tests.onboarding.helpers import a_clinician, a_new_patient, at_step, consent_version
from tests.trials.helpers import SEED, a_recruiting_trial, a_trial
from tests.trials.participation_helpers import (
    a_follow_up_due_in_2030,
    a_randomised_patient,
    about_you,
    an_enrolled_patient,
)
from trials import pseudonyms
from trials.models import FollowUp, Participant, ScreeningEntry, Withdrawal
from trials.services import participation, setup

pytestmark = pytest.mark.django_db


# --- Enrolment -----------------------------------------------------------------------------------


def test_the_clinician_offers_the_study_from_the_patients_page(client):
    trial = a_recruiting_trial()
    clinician = a_clinician()
    patient = at_step(a_new_patient(clinician=clinician), "about_you")
    client.force_login(clinician)
    page = client.get(reverse("accounts:patient_detail", args=[patient.pk]))
    assert "Offer the study" in page.content.decode()

    response = client.post(
        reverse("trials:enrol", args=[patient.pk]), {"diagnosis_group": "bipolar"}
    )

    assert response.status_code == HTTPStatus.FOUND
    participant = Participant.objects.get(patient=patient)
    assert participant.status == Participant.Status.ENROLLED
    assert participant.diagnosis_group == "bipolar"
    assert participant.study_id == pseudonyms.trial_id_for(
        key=trial.pseudonym_key, patient_id=patient.pk
    )
    entry = ScreeningEntry.objects.get(patient=patient)
    assert entry.outcome == ScreeningEntry.Outcome.ENROLLED
    assert AuditEvent.objects.filter(action="trial.enrolled", subject_id=patient.pk).exists()
    page = client.get(reverse("accounts:patient_detail", args=[patient.pk])).content.decode()
    assert "Enrolled, not yet agreed" in page
    assert participant.study_id in page


def test_enrolling_without_a_diagnosis_group_saves_nothing(client):
    a_recruiting_trial()
    clinician = a_clinician()
    patient = a_new_patient(clinician=clinician)
    client.force_login(clinician)
    response = client.post(reverse("trials:enrol", args=[patient.pk]), {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose the diagnosis group." in response.content.decode()
    assert not Participant.objects.exists()
    assert not ScreeningEntry.objects.exists()


def test_enrolling_another_clinicians_patient_is_not_found(client):
    a_recruiting_trial()
    patient = a_new_patient()
    client.force_login(a_clinician())
    response = client.post(reverse("trials:enrol", args=[patient.pk]), {"diagnosis_group": "other"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Participant.objects.exists()


def test_only_clinicians_enrol(client):
    trial = a_recruiting_trial()
    patient = a_new_patient()
    client.force_login(PeerFactory(password=None))
    response = client.post(reverse("trials:enrol", args=[patient.pk]), {"diagnosis_group": "other"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    with pytest.raises(PermissionDenied):
        participation.participant_enrol(
            trial=trial, profile=patient.patient_profile, by=trial.manager, diagnosis_group="other"
        )
    assert not Participant.objects.exists()


def test_enrolling_twice_is_refused():
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    with pytest.raises(StateConflict):
        participation.participant_enrol(
            trial=trial,
            profile=patient.patient_profile,
            by=participant.enrolled_by,
            diagnosis_group="other",
        )
    assert Participant.objects.count() == 1
    assert ScreeningEntry.objects.count() == 1


def test_a_patient_who_withdrew_from_the_programme_cannot_be_enrolled():
    trial = a_recruiting_trial()
    clinician = a_clinician()
    patient = at_step(a_new_patient(clinician=clinician), "about_you")
    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="other"
    )
    profile = PatientProfile.objects.get(user=patient)
    with pytest.raises(StateConflict, match="withdrawn"):
        participation.participant_enrol(
            trial=trial, profile=profile, by=clinician, diagnosis_group="other"
        )
    assert not Participant.objects.exists()


def test_nothing_to_enrol_in_without_a_recruiting_trial(client):
    a_trial()  # being set up
    clinician = a_clinician()
    patient = a_new_patient(clinician=clinician)
    with pytest.raises(StateConflict):
        participation.participant_enrol(
            trial=None, profile=patient.patient_profile, by=clinician, diagnosis_group="other"
        )
    client.force_login(clinician)
    page = client.get(reverse("accounts:patient_detail", args=[patient.pk])).content.decode()
    assert "Offer the study" not in page


def test_the_api_enrols_and_refuses_in_the_error_shape(client):
    a_recruiting_trial()
    clinician = a_clinician()
    patient = a_new_patient(clinician=clinician)
    client.force_login(clinician)
    url = reverse("api:study_enrol", args=[patient.pk])
    response = client.post(url, {"diagnosis_group": "depression"}, content_type="application/json")
    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["status"] == "enrolled"
    again = client.post(url, {"diagnosis_group": "depression"}, content_type="application/json")
    assert again.status_code == HTTPStatus.CONFLICT
    assert {"detail", "code"} <= set(again.json())
    other = a_new_patient()
    missing = client.post(
        reverse("api:study_enrol", args=[other.pk]),
        {"diagnosis_group": "depression"},
        content_type="application/json",
    )
    assert missing.status_code == HTTPStatus.NOT_FOUND


# --- The study's step ----------------------------------------------------------------------------


def test_the_study_step_joins_the_journey_only_for_someone_offered_the_study(client):
    trial = a_recruiting_trial()
    bystander = at_step(a_new_patient(), "about_you")
    client.force_login(bystander)
    assert client.get(reverse("trials:consent")).status_code == HTTPStatus.FOUND
    patient, _participant = an_enrolled_patient(trial)
    client.force_login(patient)
    page = client.get(reverse("trials:consent"))
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    assert "I agree to take part in the study" in body
    assert "No thanks" in body


def test_agreeing_on_the_page_records_the_consent_and_completes_the_step(client):
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    client.force_login(patient)
    response = client.post(
        reverse("trials:consent"), {"answer": "agree", "version": consent_version("trial")}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("onboarding:about_you")
    participant.refresh_from_db()
    assert participant.status == Participant.Status.CONSENTED
    assert participant.consent.kind == Consent.Kind.TRIAL
    record = StepRecord.objects.get(journey__patient=patient, step=TRIAL_CONSENT)
    assert record.completed_at
    assert record.detail["answer"] == "agreed"


def test_no_thanks_completes_the_step_and_the_programme_goes_on(client):
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    client.force_login(patient)
    response = client.post(reverse("trials:consent"), {"answer": "decline"})
    assert response.status_code == HTTPStatus.FOUND
    participant.refresh_from_db()
    assert participant.status == Participant.Status.DECLINED
    assert participant.declined_at
    assert not Consent.objects.filter(patient=patient, kind=Consent.Kind.TRIAL).exists()
    record = StepRecord.objects.get(journey__patient=patient, step=TRIAL_CONSENT)
    assert record.detail["answer"] == "declined"
    about_you(patient)
    participant.refresh_from_db()
    assert participant.status == Participant.Status.DECLINED  # never randomised
    assert client.get(reverse("cessation:checkin")).status_code == HTTPStatus.OK


def test_changed_words_are_shown_again_and_nothing_is_recorded(client):
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    client.force_login(patient)
    response = client.post(reverse("trials:consent"), {"answer": "agree", "version": 999})
    assert response.status_code == HTTPStatus.CONFLICT
    assert "changed while this page was open" in response.content.decode()
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ENROLLED


def test_a_patient_who_joined_before_onboarding_answers_on_the_page_alone(client):
    from tests.factories import PatientFactory

    trial = a_recruiting_trial()
    clinician = a_clinician()
    patient = PatientFactory(password=None, profile=clinician, full_name="Early Bird")
    participation.participant_enrol(
        trial=trial, profile=patient.patient_profile, by=clinician, diagnosis_group="other"
    )
    client.force_login(patient)
    home = client.get(reverse("accounts:patient_home")).content.decode()
    assert "Read about the study and answer" in home
    assert client.get(reverse("trials:consent")).status_code == HTTPStatus.OK


# --- Withdrawal ----------------------------------------------------------------------------------


def test_withdrawing_the_study_consent_stops_follow_ups_with_a_record():
    trial = a_recruiting_trial()
    patient, participant = a_randomised_patient(trial)
    followup = a_follow_up_due_in_2030(participant)
    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.TRIAL, reason="privacy"
    )
    participant.refresh_from_db()
    followup.refresh_from_db()
    assert participant.status == Participant.Status.WITHDRAWN
    assert followup.status == FollowUp.Status.STOPPED
    assert AuditEvent.objects.filter(action="trial.withdrawn", subject_id=patient.pk).exists()


def test_withdrawing_from_the_programme_keeps_the_follow_up():
    trial = a_recruiting_trial()
    patient, participant = a_randomised_patient(trial)
    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="too_much"
    )
    participant.refresh_from_db()
    assert participant.status == Participant.Status.RANDOMISED
    assert participant.withdrawals.get().level == Withdrawal.Level.INTERVENTION


def test_the_trial_team_records_a_withdrawal_from_the_participant_list(client):
    trial = a_recruiting_trial()
    _patient, participant = a_randomised_patient(trial)
    client.force_login(trial.manager)
    listing = client.get(reverse("trials:participation_list", args=[trial.slug]))
    assert participant.study_id in listing.content.decode()
    url = reverse("trials:participant_withdraw", args=[trial.slug, participant.pk])
    assert client.post(url, {}).status_code == HTTPStatus.BAD_REQUEST
    response = client.post(url, {"level": "follow_up"})
    assert response.status_code == HTTPStatus.FOUND
    withdrawal = participant.withdrawals.get()
    assert (withdrawal.level, withdrawal.source) == ("follow_up", "staff")
    again = client.post(url, {"level": "follow_up"})
    assert again.status_code == HTTPStatus.CONFLICT
    assert participant.withdrawals.count() == 1


def test_a_clinician_cannot_record_a_withdrawal_or_annotate(client):
    trial = a_recruiting_trial()
    _patient, participant = a_randomised_patient(trial)
    client.force_login(participant.enrolled_by)
    for name in ("participant_withdraw", "allocation_note"):
        url = reverse(f"trials:{name}", args=[trial.slug, participant.pk])
        assert client.post(url, {"level": "all", "text": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert not participant.withdrawals.exists()


def test_annotating_an_allocation_from_its_page(client):
    trial = a_recruiting_trial()
    _patient, participant = a_randomised_patient(trial)
    client.force_login(trial.manager)
    url = reverse("trials:allocation_note", args=[trial.slug, participant.pk])
    assert client.post(url, {"text": ""}).status_code == HTTPStatus.BAD_REQUEST
    assert client.post(url, {"text": "Phoned to confirm."}).status_code == HTTPStatus.FOUND
    assert "Phoned to confirm." in client.get(url).content.decode()
    read = AuditEvent.objects.get(action="trial.allocation_notes_viewed")
    assert (read.actor_id, read.subject_id) == (trial.manager.pk, participant.patient_id)


def test_a_withdrawal_before_agreeing_is_refused():
    trial = a_recruiting_trial()
    _patient, participant = an_enrolled_patient(trial)
    with pytest.raises(StateConflict):
        participation.participant_withdraw(
            participant=participant, by=trial.manager, level="all", source="staff"
        )
    with pytest.raises(ValidationError):
        participation.participant_withdraw(
            participant=participant, by=trial.manager, level="nonsense", source="staff"
        )


def test_the_patients_study_page_and_api(client):
    trial = a_recruiting_trial()
    patient, participant = a_randomised_patient(trial)
    client.force_login(patient)
    page = client.get(reverse("trials:study")).content.decode()
    assert participant.allocation.arm.label in page
    assert "Stop taking part in the study" in page
    data = client.get(reverse("api:study")).json()
    assert data["status"] == "randomised"
    assert data["arm"]["code"] == participant.allocation.arm.code
    assert data["study_id"] == participant.study_id


def test_a_patient_can_be_offered_a_later_study_but_not_two_at_once():
    first = a_recruiting_trial()
    patient, participant = an_enrolled_patient(first)
    clinician = patient.patient_profile.clinician
    second = setup.trial_create(
        by=first.manager, name="Second study", slug="second", recruitment_target=10
    )
    setup.recruitment_close(trial=first, by=first.manager)
    second = setup.recruitment_open(trial=second, by=second.manager, seed=SEED).trial
    agree_first = Participant.objects.filter(pk=participant.pk)
    agree_first.update(status=Participant.Status.RANDOMISED)
    with pytest.raises(StateConflict, match="another study"):
        participation.participant_enrol(
            trial=second, profile=patient.patient_profile, by=clinician, diagnosis_group="other"
        )
    setup.trial_close(trial=first, by=first.manager)
    later = participation.participant_enrol(
        trial=second, profile=patient.patient_profile, by=clinician, diagnosis_group="other"
    )
    assert later.trial == second
    assert ScreeningEntry.objects.filter(patient=patient).count() == 2
