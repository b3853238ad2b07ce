"""Someone who leaves the programme stays in the study's follow-up, as the study consent says:
their study page and questions stay open while the rest of the programme closes."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from onboarding import services as onboarding_services
from onboarding.models import Consent
from tests.trials.helpers import a_recruiting_trial
from tests.trials.participation_helpers import a_randomised_patient

pytestmark = pytest.mark.django_db


def test_the_study_stays_open_after_leaving_the_programme(client):
    trial = a_recruiting_trial()
    patient, _participant = a_randomised_patient(trial)
    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="too_much"
    )
    client.force_login(patient)
    assert client.get(reverse("trials:study")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:study")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:study_followup_list")).status_code == HTTPStatus.OK
    # The programme itself is closed until they agree again.
    response = client.get(reverse("cessation:checkin"))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/welcome/")
