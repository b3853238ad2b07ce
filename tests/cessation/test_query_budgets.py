"""Query budgets for the pages patients and clinicians open most, at two sizes of history: the
budget holds for a week of check-ins and for two months of them (the count does not grow)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.cessation.test_patient_pages import _history
from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db

# Measured on the pages as built; lowering one is welcome, raising one needs a reason.
# The home page: 16, plus the peer-groups card (the patient's groups with their group name, and
# their 1:1 conversation with its waiting state), plus the onboarding card (the journey and its
# steps' records, one query when there is no journey).
PATIENT_BUDGETS = {"accounts:patient_home": 20, "cessation:progress": 14, "cessation:checkin": 6}
# 23, plus the check-in reminders in the quit-tracking section: the schedule, the recent missed
# days and the open outreach task (and the profile again for a patient with no schedule row yet),
# plus the peer-groups section (their group name; tests/peersupport holds the page with groups),
# plus the onboarding section (the journey and its steps' records).
CLINICIAN_PATIENT_PAGE_BUDGET = 30


@pytest.mark.parametrize("weeks", [1, 9])
@pytest.mark.parametrize(("name", "budget"), PATIENT_BUDGETS.items())
def test_patient_pages_stay_within_their_query_budget(
    client, django_assert_max_num_queries, name, budget, weeks
):
    patient = PatientFactory()
    _history(patient, weeks)
    client.force_login(patient)
    client.get(reverse(name))  # the first request of a session does its own bookkeeping

    with django_assert_max_num_queries(budget):
        response = client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize("weeks", [1, 9])
def test_the_clinicians_patient_page_stays_within_its_query_budget(
    client, django_assert_max_num_queries, weeks
):
    clinician = ClinicianFactory()
    patient = PatientFactory(profile=clinician)
    _history(patient, weeks)
    client.force_login(clinician)
    url = reverse("accounts:patient_detail", args=[patient.pk])
    client.get(url)

    with django_assert_max_num_queries(CLINICIAN_PATIENT_PAGE_BUDGET):
        response = client.get(url)

    assert response.status_code == HTTPStatus.OK
