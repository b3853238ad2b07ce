"""The onboarding API: the patient's journey and consents (open before consent), the texts in
force (public), and a patient's onboarding for their care team (404 outside it, audited)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from core.models import AuditEvent
from onboarding import services
from onboarding.models import Consent, ContentVersion
from tests.factories import AdminFactory, ClinicianFactory
from tests.onboarding.helpers import a_new_patient, consent_version, through_consent

pytestmark = pytest.mark.django_db


def _new_version(key: str, admin) -> ContentVersion:
    current = ContentVersion.objects.filter(key=key).order_by("-version").first()
    version = services.content_version_create(
        key=key, title=current.title, body=current.body + "\nOne more line.", by=admin
    )
    services.content_approve(version=version, approver=admin, by=admin)
    return services.content_publish(version=version, by=admin)


def test_a_patient_reads_their_journey_before_agreeing_to_take_part(client):
    patient = a_new_patient()
    client.force_login(patient)

    response = client.get(reverse("api:onboarding"))

    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["current_step"] == "welcome"
    assert [step["key"] for step in data["steps"]][:3] == ["welcome", "privacy", "consent"]
    assert data["steps"][0]["reachable"] is True
    assert data["steps"][2]["reachable"] is False
    # The rest of the API stays closed until they agree.
    closed = client.get(reverse("api:quit_plan"))
    assert closed.status_code == HTTPStatus.FORBIDDEN
    assert closed.json()["code"] == "consent_required"


def test_consent_through_the_api_names_the_version_and_a_stale_one_is_refused(client):
    patient = a_new_patient()
    services.step_complete(patient=patient, step="welcome", by=patient)
    services.step_complete(patient=patient, step="privacy", by=patient)
    client.force_login(patient)
    old = consent_version()
    _new_version(ContentVersion.Key.CONSENT_PROGRAMME, AdminFactory(password=None))

    stale = client.post(
        reverse("api:onboarding_consents"),
        {"kind": "programme", "version": old},
        content_type="application/json",
    )
    assert stale.status_code == HTTPStatus.CONFLICT
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["errors"]["version"] == [str(old + 1)]
    assert not Consent.objects.exists()

    given = client.post(
        reverse("api:onboarding_consents"),
        {"kind": "programme", "version": old + 1},
        content_type="application/json",
    )
    again = client.post(
        reverse("api:onboarding_consents"),
        {"kind": "programme", "version": old + 1},
        content_type="application/json",
    )

    assert given.status_code == HTTPStatus.CREATED
    assert again.status_code == HTTPStatus.CREATED
    assert again.json()["id"] == given.json()["id"]
    assert Consent.objects.filter(patient=patient).count() == 1
    assert client.get(reverse("api:quit_plan")).status_code != HTTPStatus.FORBIDDEN


def test_bad_consent_input_is_a_400_and_changes_nothing(client):
    patient = a_new_patient()
    client.force_login(patient)

    response = client.post(
        reverse("api:onboarding_consents"),
        {"kind": "everything", "version": "latest"},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.json()["errors"]) == {"kind", "version"}
    assert not Consent.objects.exists()


def test_withdrawing_through_the_api_closes_the_programme(client):
    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)
    assert client.get(reverse("api:quit_plan")).status_code != HTTPStatus.FORBIDDEN

    response = client.post(
        reverse("api:onboarding_consent_withdraw", args=["programme"]),
        {"reason": "too_much"},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["withdrawal_reason"] == "too_much"
    assert client.get(reverse("api:quit_plan")).json()["code"] == "consent_required"
    twice = client.post(
        reverse("api:onboarding_consent_withdraw", args=["programme"]),
        {"reason": "too_much"},
        content_type="application/json",
    )
    assert twice.status_code == HTTPStatus.CONFLICT
    unknown = client.post(
        reverse("api:onboarding_consent_withdraw", args=["everything"]),
        {"reason": "too_much"},
        content_type="application/json",
    )
    assert unknown.status_code == HTTPStatus.NOT_FOUND


def test_the_texts_in_force_are_public(client):
    response = client.get(reverse("api:onboarding_text", args=["privacy_easy"]))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["version"] == 1
    assert response.json()["approved_by"] is None
    assert client.get(reverse("api:onboarding_text", args=["secrets"])).status_code == 404


def test_the_care_team_reads_a_patients_onboarding_and_others_get_404(client):
    clinician = ClinicianFactory(password=None)
    patient = a_new_patient(clinician=clinician)
    url = reverse("api:patient_onboarding", args=[patient.pk])

    client.force_login(ClinicianFactory(password=None))
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    client.force_login(clinician)
    response = client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["current_step"] == "welcome"
    assert AuditEvent.objects.filter(
        actor=clinician, subject=patient, action="patient.viewed"
    ).exists()
    client.force_login(patient)
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
