"""Query budgets for the onboarding pages: the caseload with its onboarding column costs the
same for 3 patients mid-onboarding as for 30 (a page of 25), and each step page has a fixed
budget, measured after a first request (which records the step as seen)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding import services
from tests.onboarding.helpers import (
    QUIZ_RIGHT,
    STEPS,
    a_clinician,
    a_new_patient,
    a_peer,
    at_step,
)
from tests.peersupport.helpers import a_group

pytestmark = pytest.mark.django_db

# Measured on the pages as built, the same on SQLite and PostgreSQL; lowering one is welcome,
# raising one needs a reason.
#
# The caseload: the session, the user, their second factor, the page of profiles and its count,
# the open invitations, the unread notices, and onboarding's column in two queries (the page's
# journeys, then their steps' records) whatever the number of patients. The peer's home page
# adds its own sections (outreach, the groups they moderate).
CASELOAD_BUDGETS = {"clinician": 9, "peer": 13}
# A step page: the session and the user; step_open in a savepoint (SAVEPOINT, the journey
# locked, its records, the UPDATE of last activity, RELEASE); the unread notices; and what the
# step shows: the text in force (welcome, your data, the agreement: plus the consent in force) or
# the answers given (about you). The tour's list of stops and the questions need nothing more;
# choosing a group adds the patient's group name and the open groups (one query, any number).
STEP_BUDGETS = {
    "welcome": 9,
    "privacy_step": 9,
    "consent": 10,
    "about_you": 9,
    "tour": 8,
    "groups": 8,
    "groups_join": 10,
}
STEP_OF_PAGE = {"privacy_step": "privacy", "groups_join": "groups"}


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def _mid_onboarding(n: int, **team):
    """The nth patient, stopped at one of the steps in turn."""
    return at_step(a_new_patient(full_name=f"Robin Example {n}", **team), STEPS[n % len(STEPS)])


@pytest.mark.parametrize("home", ["clinician", "peer"])
def test_the_caseload_costs_the_same_for_3_patients_as_for_30(client, home):
    clinician, peer = a_clinician(), a_peer(mfa=True)
    for n in range(3):
        _mid_onboarding(n, clinician=clinician, peer=peer)
    client.force_login(clinician if home == "clinician" else peer)
    url = reverse(f"accounts:{home}_home")
    client.get(url)  # the first request of a session does its own bookkeeping

    small = _count(client, url)
    for n in range(3, 30):
        _mid_onboarding(n, clinician=clinician, peer=peer)
    large = _count(client, url)

    assert small == large == CASELOAD_BUDGETS[home]


@pytest.mark.parametrize(("name", "budget"), STEP_BUDGETS.items())
def test_each_step_page_stays_within_its_query_budget(
    client, django_assert_max_num_queries, name, budget
):
    patient = at_step(a_new_patient(), STEP_OF_PAGE.get(name, name))
    if name == "groups_join":
        for slug in ("first-weeks", "evenings", "parents"):
            a_group(slug)
        services.quiz_answer(patient=patient, answers=QUIZ_RIGHT)
        services.groups_step_choose_name(patient=patient, by=patient, pseudonym="Quiet Fox")
    client.force_login(patient)
    url = reverse(f"onboarding:{name}")
    client.get(url)  # the first visit records the step as seen

    with django_assert_max_num_queries(budget):
        response = client.get(url)

    assert response.status_code == HTTPStatus.OK
