"""Session management (ASVS V3): sessions end after inactivity and a maximum lifetime, and when
the account is deactivated or its password or second factor changes (accounts/middleware.py,
accounts/receivers.py, accounts.services.user_sessions_end)."""

from __future__ import annotations

import time
from http import HTTPStatus
from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse
from django.utils.crypto import salted_hmac

from accounts import services
from accounts.middleware import LAST_ACTIVITY_KEY, SIGNED_IN_AT_KEY
from accounts.models import ApiToken
from core.models import AuditEvent
from tests.accounts.helpers import (
    logged_in_user_id,
    mfa_authenticate,
    password_login,
    reset_password_by_email,
)
from tests.factories import PASSWORD, AdminFactory, ClinicianFactory, PatientFactory, totp_code

pytestmark = pytest.mark.django_db

MINUTE = 60
HOUR = 60 * MINUTE


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real logins hash passwords; what is tested does not depend on the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _logged_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _age_session(client, *, idle: int = 0, signed_in: int | None = None) -> None:
    """Move the session's clocks back: last request `idle` seconds ago, login `signed_in` ago."""
    session = client.session
    now = int(time.time())
    session[LAST_ACTIVITY_KEY] = now - idle
    session[SIGNED_IN_AT_KEY] = now - (signed_in if signed_in is not None else idle)
    session.save()


def _login_url(next_path: str) -> str:
    return f"{reverse('account_login')}?next={quote(next_path)}"


# --- Inactivity and maximum lifetime --------------------------------------------------------------


def test_logging_in_through_the_login_page_starts_both_clocks(client, patient):
    before = int(time.time())

    password_login(client, patient)

    session = client.session
    assert before <= session[LAST_ACTIVITY_KEY] <= time.time()
    assert session[SIGNED_IN_AT_KEY] == session[LAST_ACTIVITY_KEY]


def test_staff_are_signed_out_after_30_minutes_without_a_request(client, clinician):
    client.force_login(clinician)
    _age_session(client, idle=30 * MINUTE + 1)
    home = reverse("accounts:clinician_home")

    response = client.get(home)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == _login_url(home)
    assert logged_in_user_id(client) is None
    login_page = client.get(response.url)
    assert "You were signed out because Exhale was not used for 30 minutes." in (
        login_page.content.decode()
    )


def test_staff_stay_signed_in_just_inside_the_limit(client, clinician):
    client.force_login(clinician)
    _age_session(client, idle=29 * MINUTE)

    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK
    assert logged_in_user_id(client) == clinician.pk


@pytest.mark.parametrize("factory", [AdminFactory, ClinicianFactory])
def test_every_staff_role_has_the_staff_limit(client, factory):
    client.force_login(factory())
    _age_session(client, idle=31 * MINUTE)

    client.get(reverse("home"))

    assert logged_in_user_id(client) is None


def test_patients_have_a_longer_limit(client, patient):
    client.force_login(patient)
    _age_session(client, idle=3 * HOUR)
    assert client.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK

    _age_session(client, idle=4 * HOUR + 1, signed_in=5 * HOUR)
    response = client.get(reverse("accounts:patient_home"))

    assert response.url == _login_url(reverse("accounts:patient_home"))
    assert logged_in_user_id(client) is None


def test_the_limits_come_from_settings(client, clinician, settings):
    settings.SESSION_IDLE_TIMEOUT_STAFF = 5 * MINUTE
    client.force_login(clinician)
    _age_session(client, idle=5 * MINUTE + 1)

    response = client.get(reverse("accounts:clinician_home"), follow=True)

    assert logged_in_user_id(client) is None
    assert "not used for 5 minutes" in response.content.decode()


def test_a_session_ends_12_hours_after_login_however_busy(client, patient):
    client.force_login(patient)
    _age_session(client, idle=0, signed_in=12 * HOUR + 1)

    response = client.get(reverse("accounts:patient_home"), follow=True)

    assert logged_in_user_id(client) is None
    assert "you signed in more than 12 hours ago" in response.content.decode()


def test_each_request_restarts_the_idle_clock(client, clinician):
    client.force_login(clinician)
    _age_session(client, idle=25 * MINUTE)
    client.get(reverse("accounts:clinician_home"))
    assert client.session[LAST_ACTIVITY_KEY] >= time.time() - 5

    # 25 + 25 minutes since login, but only 25 since the last request.
    session = client.session
    session[LAST_ACTIVITY_KEY] -= 25 * MINUTE
    session.save()

    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK


def test_the_clock_is_written_back_at_most_once_a_minute(client, clinician):
    """Page views within a minute of each other do not write the session (no extra query)."""
    client.force_login(clinician)
    _age_session(client, idle=50)
    stamped = client.session[LAST_ACTIVITY_KEY]

    client.get(reverse("accounts:clinician_home"))
    assert client.session[LAST_ACTIVITY_KEY] == stamped

    _age_session(client, idle=61)
    client.get(reverse("accounts:clinician_home"))
    assert client.session[LAST_ACTIVITY_KEY] >= time.time() - 5


def test_an_api_request_on_an_idle_session_gets_401(client, clinician):
    client.force_login(clinician)
    _age_session(client, idle=31 * MINUTE)

    response = client.get(reverse("api:me"))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "not_authenticated"
    assert logged_in_user_id(client) is None


def test_an_htmx_request_on_an_idle_session_sends_the_whole_window_to_login(client, clinician):
    client.force_login(clinician)
    _age_session(client, idle=31 * MINUTE)
    page = reverse("accounts:clinician_home")

    response = client.get(
        reverse("core:notification_list"),
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["HX-Redirect"] == _login_url(page)
    assert logged_in_user_id(client) is None


def test_crisis_help_still_opens_when_a_session_has_expired(client, patient):
    client.force_login(patient)
    _age_session(client, idle=5 * HOUR)

    response = client.get(reverse("safety:crisis"))

    assert response.status_code == HTTPStatus.OK
    assert logged_in_user_id(client) is None


def test_api_tokens_have_no_idle_clock_but_their_own_expiry(clinician):
    """Tokens are for scripts: they expire (API_TOKEN_LIFETIME) and are revoked, tested in
    tests/api; a session's idle limit does not touch them."""
    _, key = services.api_token_create(user=clinician, name="script")

    response = Client().get(reverse("api:me"), headers={"Authorization": f"Token {key}"})

    assert response.status_code == HTTPStatus.OK


# --- Deactivation -------------------------------------------------------------------------------


def test_deactivating_an_account_in_the_admin_ends_its_sessions_and_tokens(admin_user):
    clinician = ClinicianFactory()
    their_browser = _logged_in(clinician)
    _, key = services.api_token_create(user=clinician, name="script")
    admin = _logged_in(admin_user)

    response = admin.post(
        reverse("admin:accounts_user_change", args=[clinician.pk]),
        {"email": clinician.email, "full_name": clinician.full_name, "preferred_name": ""},
    )

    assert response.status_code == HTTPStatus.FOUND
    clinician.refresh_from_db()
    assert not clinician.is_active
    response = their_browser.get(reverse("accounts:clinician_home"))
    assert response.status_code == HTTPStatus.FOUND
    assert not response.wsgi_request.user.is_authenticated
    assert not ApiToken.objects.filter(user=clinician, revoked_at__isnull=True).exists()
    token_call = Client().get(reverse("api:me"), headers={"Authorization": f"Token {key}"})
    assert token_call.status_code == HTTPStatus.UNAUTHORIZED
    assert AuditEvent.objects.filter(
        actor=admin_user, action="account.deactivated", target_id=str(clinician.pk)
    ).exists()


def test_an_account_deactivated_directly_in_the_database_is_signed_out_too(clinician):
    """Django's backend refuses an inactive user on every request, whatever set the flag."""
    browser = _logged_in(clinician)
    type(clinician).objects.filter(pk=clinician.pk).update(is_active=False)

    response = browser.get(reverse("accounts:clinician_home"))

    assert response.status_code == HTTPStatus.FOUND
    assert not response.wsgi_request.user.is_authenticated


def test_reactivating_an_account_does_not_bring_its_old_sessions_back(patient):
    browser = _logged_in(patient)
    services.user_deactivate(user=patient, by=None)
    type(patient).objects.filter(pk=patient.pk).update(is_active=True)

    response = browser.get(reverse("accounts:patient_home"))

    assert response.status_code == HTTPStatus.FOUND
    assert logged_in_user_id(browser) is None


# --- Password changes -----------------------------------------------------------------------------


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(patient):
    here, elsewhere = _logged_in(patient), _logged_in(patient)

    response = here.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-brand-new-passphrase",
            "password2": "a-brand-new-passphrase",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert here.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK
    assert elsewhere.get(reverse("accounts:patient_home")).status_code == HTTPStatus.FOUND
    assert logged_in_user_id(elsewhere) is None


def test_resetting_the_password_by_email_ends_every_session(client, patient, mailoutbox):
    elsewhere = _logged_in(patient)

    reset_password_by_email(client, patient, mailoutbox, "a-brand-new-passphrase")

    elsewhere.get(reverse("accounts:patient_home"))
    assert logged_in_user_id(elsewhere) is None


# --- Second factor changes ------------------------------------------------------------------------


def _reauthenticate(browser: Client) -> None:
    """allauth asks for the password again before any change to a second factor."""
    response = browser.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND


def _staff_logged_in_with_totp(user) -> Client:
    """Through the real pages, then reauthenticated as allauth requires."""
    browser = Client()
    password_login(browser, user)
    mfa_authenticate(browser, totp_code(user))
    assert logged_in_user_id(browser) == user.pk
    _reauthenticate(browser)
    return browser


def test_removing_totp_ends_the_other_sessions_and_keeps_this_one(clinician):
    here = _staff_logged_in_with_totp(clinician)
    elsewhere = _logged_in(clinician)

    response = here.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=clinician).exists()
    assert logged_in_user_id(here) == clinician.pk
    elsewhere.get(reverse("mfa_index"))
    assert logged_in_user_id(elsewhere) is None
    assert AuditEvent.objects.filter(action="sessions.ended", target_id=str(clinician.pk)).exists()


def test_adding_totp_or_regenerating_codes_ends_the_other_sessions_and_keeps_this_one(client):
    from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value

    clinician = ClinicianFactory(mfa=False)
    password_login(client, clinician)
    _reauthenticate(client)
    elsewhere = _logged_in(clinician)
    activate = reverse("mfa_activate_totp")
    assert client.get(activate).status_code == HTTPStatus.OK
    secret = client.session[SECRET_SESSION_KEY]

    added = client.post(
        activate, {"code": format_hotp_value(hotp_value(secret, int(time.time()) // 30))}
    )

    assert added.status_code == HTTPStatus.FOUND
    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK
    elsewhere.get(reverse("mfa_index"))
    assert logged_in_user_id(elsewhere) is None

    elsewhere = _logged_in(clinician)
    first_codes = Authenticator.objects.get(user=clinician, type="recovery_codes")

    reset = client.post(reverse("mfa_generate_recovery_codes"))

    assert reset.status_code == HTTPStatus.FOUND
    assert Authenticator.objects.get(user=clinician, type="recovery_codes").pk != first_codes.pk
    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK
    assert elsewhere.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.FOUND
    assert logged_in_user_id(elsewhere) is None


def test_a_factor_deleted_by_an_admin_ends_every_session_of_its_owner(admin_user, clinician):
    browser = _logged_in(clinician)
    admin = _logged_in(admin_user)
    totp = Authenticator.objects.get(user=clinician, type="totp")

    response = admin.post(
        reverse("admin:mfa_authenticator_delete", args=[totp.pk]), {"post": "yes"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
    browser.get(reverse("mfa_index"))
    assert logged_in_user_id(browser) is None
    assert logged_in_user_id(admin) == admin_user.pk


def test_sessions_from_before_the_first_change_keep_djangos_hash(patient):
    """Deploying the session generation signs nobody out."""
    djangos = salted_hmac(
        "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
        patient.password,
        algorithm="sha256",
    ).hexdigest()
    assert patient.session_generation == 0
    assert patient.get_session_auth_hash() == djangos

    services.user_sessions_end(user=patient, reason="test")

    assert patient.session_generation == 1
    assert patient.get_session_auth_hash() != djangos


def test_a_patients_sessions_are_not_touched_by_another_users_change(patient):
    browser = _logged_in(patient)

    services.user_sessions_end(user=PatientFactory(), reason="test")

    assert browser.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK
