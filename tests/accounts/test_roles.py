"""Each role has one home page: every other role is refused it, anonymous users are sent to log
in, and the root sends each user to theirs."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from tests.accounts.helpers import ROLE_HOMES
from tests.factories import ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

ROLES = list(ROLE_HOMES)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_its_own_home(client, make_user, role):
    client.force_login(make_user(role))

    response = client.get(reverse(ROLE_HOMES[role]))

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("viewer_role", "page_role"),
    [(viewer, page) for viewer in ROLES for page in ROLES if viewer != page],
)
def test_every_other_role_is_refused_a_home(client, make_user, viewer_role, page_role):
    client.force_login(make_user(viewer_role))

    response = client.get(reverse(ROLE_HOMES[page_role]))

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize(
    "url_name",
    [
        "accounts:clinician_home",
        "accounts:peer_home",
        "accounts:admin_home",
        "accounts:invitation_list",
        "accounts:invitation_create_patient",
        "accounts:invitation_create_staff",
    ],
)
def test_a_patient_opening_a_staff_page_is_refused(client, patient, url_name):
    client.force_login(patient)

    response = client.get(reverse(url_name))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"Get help now" in response.content  # the 403 page keeps the way to crisis help


@pytest.mark.parametrize(
    "url",
    [reverse(name) for name in ROLE_HOMES.values()]
    + [reverse("accounts:invitation_list"), reverse("accounts:account")],
)
def test_anonymous_users_are_sent_to_log_in_and_back(client, url):
    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{reverse('account_login')}?next={url}"


@pytest.mark.parametrize("role", ROLES)
def test_root_sends_a_logged_in_user_to_their_home(client, make_user, role):
    client.force_login(make_user(role))

    response = client.get(reverse("home"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse(ROLE_HOMES[role])


def test_root_shows_the_landing_page_to_anonymous_users(client):
    response = client.get(reverse("home"))

    assert response.status_code == HTTPStatus.OK
    assert "accounts/landing.html" in [t.name for t in response.templates]
    assert b"invitation from your care team" in response.content
    assert reverse("account_login").encode() in response.content


def test_the_patient_home_shows_their_care_team(client):
    clinician = ClinicianFactory(full_name="Dr Imogen Carter")
    peer = PeerFactory(full_name="Ravi Shah")
    patient = PatientFactory(profile=clinician, profile__peer_specialist=peer)
    client.force_login(patient)

    response = client.get(reverse("accounts:patient_home"))

    assert b"Dr Imogen Carter" in response.content
    assert b"Ravi Shah" in response.content
