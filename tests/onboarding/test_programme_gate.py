"""The programme is closed until the patient agrees to take part (onboarding/middleware.py):
every other page takes them to their onboarding and the API answers 403 consent_required, while
crisis help, the privacy pages, their account, their notices and logging out stay open."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from onboarding.middleware import CONSENT_REQUIRED_DETAIL
from onboarding.models import Consent
from tests.factories import PatientFactory
from tests.onboarding.helpers import a_clinician, a_new_patient, through_consent

pytestmark = pytest.mark.django_db

PROGRAMME_PAGES = [
    "accounts:patient_home",
    "cessation:progress",
    "cessation:checkin",
    "cessation:craving",
    "peersupport:groups",
    "peersupport:messages",
    "safety:safety_plan",
]
OPEN_PAGES = [
    "safety:crisis",
    "safety:crisis_support",
    "onboarding:privacy",
    "onboarding:privacy_full",
    "accounts:account",
    "onboarding:consents",
    "core:notification_list",
]
PROGRAMME_API = ["api:checkin_list", "api:progress", "api:quit_plan", "api:safety_plan"]
OPEN_API = ["api:crisis_resource_list", "api:onboarding", "api:me", "api:notification_list"]


@pytest.fixture
def patient_before_consent(client):
    patient = a_new_patient()
    client.force_login(patient)
    return patient


@pytest.mark.parametrize("name", PROGRAMME_PAGES)
def test_before_consent_a_programme_page_goes_to_onboarding(client, patient_before_consent, name):
    response = client.get(reverse(name))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("onboarding:start")


@pytest.mark.parametrize("name", OPEN_PAGES)
def test_before_consent_help_privacy_account_and_notices_stay_open(
    client, patient_before_consent, name
):
    assert client.get(reverse(name)).status_code == HTTPStatus.OK


def test_before_consent_logging_out_works(client, patient_before_consent):
    response = client.post(reverse("account_logout"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_login")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("name", PROGRAMME_API)
def test_before_consent_the_programme_api_answers_consent_required(
    client, patient_before_consent, name
):
    response = client.get(reverse(name))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json() == {"detail": CONSENT_REQUIRED_DETAIL, "code": "consent_required"}


@pytest.mark.parametrize("name", OPEN_API)
def test_before_consent_crisis_onboarding_me_and_notices_stay_open_on_the_api(
    client, patient_before_consent, name
):
    assert client.get(reverse(name)).status_code == HTTPStatus.OK


def test_the_api_refuses_a_write_before_consent_and_saves_nothing(client, patient_before_consent):
    response = client.post(
        reverse("api:checkin_list"),
        {"cigarettes": 5, "craving": 5, "mood": 5, "sleep": "ok", "harm_thoughts": "no"},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "consent_required"
    assert not patient_before_consent.checkins.exists()


def test_after_consent_the_programme_opens_on_pages_and_api(client, patient_before_consent):
    through_consent(patient_before_consent)

    assert client.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK
    assert client.get(reverse("cessation:progress")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:progress")).status_code == HTTPStatus.OK


def test_a_patient_who_joined_before_onboarding_has_the_programme_open(client):
    client.force_login(PatientFactory(password=None))

    assert client.get(reverse("cessation:progress")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:progress")).status_code == HTTPStatus.OK


def test_staff_are_not_asked_for_a_consent(client):
    clinician = a_clinician()
    a_new_patient(clinician=clinician)
    client.force_login(clinician)

    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:patient_list")).status_code == HTTPStatus.OK


def test_withdrawing_on_one_device_closes_the_programme_on_the_others():
    patient = a_new_patient()
    through_consent(patient)
    laptop, phone = Client(), Client()
    laptop.force_login(patient)
    phone.force_login(patient)
    assert laptop.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK

    phone.post(reverse("onboarding:consent_withdraw", args=["programme"]), {"reason": "other"})

    assert not Consent.objects.filter(patient=patient, withdrawn_at__isnull=True).exists()
    assert laptop.get(reverse("api:checkin_list")).status_code == HTTPStatus.FORBIDDEN
    assert laptop.get(reverse("accounts:patient_home")).url == reverse("onboarding:start")


def test_a_patient_who_joined_before_onboarding_and_withdrew_has_the_programme_closed(client):
    patient = PatientFactory(password=None)
    client.force_login(patient)
    client.post(
        reverse("onboarding:consent_again", args=["programme"]), {"version": "1", "agree": "on"}
    )
    client.post(reverse("onboarding:consent_withdraw", args=["programme"]), {"reason": "other"})
    assert Consent.objects.get(patient=patient).withdrawn_at is not None

    assert client.get(reverse("api:checkin_list")).status_code == HTTPStatus.FORBIDDEN
