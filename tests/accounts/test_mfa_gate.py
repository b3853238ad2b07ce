"""Staff reach no staff page, API or the Django admin until a second factor is enrolled
(accounts/middleware.py); the admin site is for admins with a second factor only."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

from core.models import AuditEvent
from tests.accounts.helpers import logged_in_user_id, password_login
from tests.factories import PASSWORD, AdminFactory, ClinicianFactory, PeerFactory, enrol_totp

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url_name",
    [
        "accounts:clinician_home",
        "accounts:invitation_list",
        "accounts:account",
        "core:notification_list",
    ],
)
def test_a_clinician_without_totp_is_sent_to_set_it_up(client, url_name):
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(reverse(url_name))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp")


def test_a_clinician_without_totp_cannot_send_an_invitation(client):
    client.force_login(ClinicianFactory(mfa=False))

    response = client.post(
        reverse("accounts:invitation_create_patient"),
        {"full_name": "Pat Example", "email": "pat@example.org"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp")


@pytest.mark.parametrize("url", ["/manage/", "/admin/", "/invitations/staff/"])
def test_an_admin_without_totp_is_sent_to_set_it_up(client, url):
    client.force_login(AdminFactory(mfa=False))

    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp")


def test_a_peer_without_totp_is_sent_to_set_it_up(client):
    client.force_login(PeerFactory(mfa=False))

    response = client.get(reverse("accounts:peer_home"))

    assert response.url == reverse("mfa_activate_totp")


@pytest.mark.parametrize("url_name", ["api:me", "api:patient_list", "api:notification_list"])
def test_the_api_answers_403_mfa_required_to_staff_without_totp(client, url_name):
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(reverse(url_name))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "mfa_required"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "url_name",
    [
        "safety:crisis",
        "mfa_index",
        "account_change_password",
    ],
)
def test_staff_without_totp_can_still_get_help_and_enrol(client, url_name):
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(reverse(url_name))

    assert response.status_code == HTTPStatus.OK


def test_new_staff_log_in_enrol_totp_and_then_reach_their_pages(client):
    """Through the real pages: password, sent to TOTP set-up (allauth asks for the password
    again before any change to the second factor), a code from the app, then the caseload."""
    clinician = ClinicianFactory(mfa=False)
    login = password_login(client, clinician)
    assert logged_in_user_id(client) == clinician.pk
    home = client.get(login.url, follow=True)
    activate_url = reverse("mfa_activate_totp")
    assert (activate_url, HTTPStatus.FOUND) in home.redirect_chain
    reauthenticate_url = home.redirect_chain[-1][0]
    assert reauthenticate_url.startswith(reverse("account_reauthenticate"))

    confirmed = client.post(reauthenticate_url, {"password": PASSWORD})
    assert confirmed.url == activate_url
    assert client.get(activate_url).status_code == HTTPStatus.OK
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(activate_url, {"code": code})

    assert response.status_code == HTTPStatus.FOUND
    assert Authenticator.objects.filter(user=clinician, type=Authenticator.Type.TOTP).exists()
    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK


def test_staff_without_totp_can_log_out(client):
    clinician = ClinicianFactory(mfa=False)
    client.force_login(clinician)

    client.post(reverse("account_logout"))

    assert logged_in_user_id(client) is None


def test_once_totp_is_enrolled_the_clinician_reaches_their_pages(client):
    clinician = ClinicianFactory(mfa=False)
    client.force_login(clinician)
    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.FOUND

    enrol_totp(clinician)

    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK
    assert client.get(reverse("accounts:invitation_list")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:me")).status_code == HTTPStatus.OK


def test_patients_need_no_second_factor(client, patient):
    client.force_login(patient)

    assert client.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK
    assert client.get(reverse("api:me")).status_code == HTTPStatus.OK


# --- The Django admin ---------------------------------------------------------------------------


def test_an_admin_with_totp_opens_the_django_admin(client, admin_user):
    client.force_login(admin_user)

    assert client.get(reverse("admin:index")).status_code == HTTPStatus.OK


def test_accounts_cannot_be_added_or_deleted_in_the_django_admin(client, admin_user, patient):
    client.force_login(admin_user)

    add = client.get(reverse("admin:accounts_user_add"))
    delete = client.post(reverse("admin:accounts_user_delete", args=[patient.pk]), {"post": "yes"})

    assert add.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert type(patient).objects.filter(pk=patient.pk).exists()


def test_opening_a_patient_in_the_django_admin_is_audited(client, admin_user, patient):
    client.force_login(admin_user)

    response = client.get(reverse("admin:accounts_user_change", args=[patient.pk]))

    assert response.status_code == HTTPStatus.OK
    event = AuditEvent.objects.get(action="patient.viewed", subject=patient)
    assert event.actor == admin_user
    assert event.detail == {"purpose": "admin"}


def test_an_admin_without_totp_does_not_reach_the_django_admin(client):
    client.force_login(AdminFactory(mfa=False))

    response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp")


@pytest.mark.parametrize("user_fixture", ["clinician", "peer", "patient"])
def test_nobody_but_admins_reaches_the_django_admin(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(reverse("admin:index"), follow=True)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"Exhale administration" not in response.content
    changelist = client.get(reverse("admin:accounts_user_changelist"), follow=True)
    assert changelist.status_code == HTTPStatus.FORBIDDEN


def test_the_django_admin_login_cannot_bypass_the_second_factor(client, admin_user):
    """The admin's own password form would log an admin in without TOTP; it must not."""
    response = client.post(
        reverse("admin:login"),
        {"username": admin_user.email, "password": PASSWORD, "next": reverse("admin:index")},
    )

    assert logged_in_user_id(client) is None
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert client.get(reverse("admin:index")).status_code == HTTPStatus.FOUND


def test_the_django_admin_sends_anonymous_users_to_the_real_login(client):
    response = client.get(reverse("admin:index"), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert response.redirect_chain[-1][0] == f"{reverse('account_login')}?next=%2Fadmin%2F"
