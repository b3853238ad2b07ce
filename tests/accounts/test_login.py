"""Logging in through allauth's real pages: password then TOTP for staff, recovery codes,
replay protection, rate limits, and login by emailed code for patients."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from accounts.models import Role, User
from tests.accounts.helpers import ROLE_HOMES, logged_in_user_id, mfa_authenticate, password_login
from tests.factories import PASSWORD, ClinicianFactory, PatientFactory, enrol_totp, totp_code

pytestmark = pytest.mark.django_db

LOGIN_CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.MULTILINE)


# --- Password and TOTP ----------------------------------------------------------------------------


def test_staff_password_login_stops_at_the_second_factor(client, clinician):
    response = password_login(client, clinician)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_authenticate")
    assert logged_in_user_id(client) is None
    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.FOUND


def test_a_wrong_totp_code_is_refused(client, clinician):
    password_login(client, clinician)
    right = totp_code(clinician)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = mfa_authenticate(client, wrong)

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["code"] == ["Incorrect code."]
    assert b"Incorrect code." in response.content
    assert logged_in_user_id(client) is None
    assert client.get(reverse("api:me")).status_code == HTTPStatus.UNAUTHORIZED


def test_the_right_totp_code_logs_staff_in_to_their_home(client, clinician):
    password_login(client, clinician)

    response = mfa_authenticate(client, totp_code(clinician))

    assert response.status_code == HTTPStatus.FOUND
    assert logged_in_user_id(client) == clinician.pk
    assert client.get(response.url, follow=True).redirect_chain[-1][0] == reverse(
        ROLE_HOMES[Role.CLINICIAN]
    )
    assert client.get(reverse("accounts:clinician_home")).status_code == HTTPStatus.OK


def test_a_totp_code_cannot_be_replayed_in_a_second_login(client, clinician):
    code = totp_code(clinician)
    password_login(client, clinician)
    mfa_authenticate(client, code)
    assert logged_in_user_id(client) == clinician.pk
    client.post(reverse("account_logout"))
    assert logged_in_user_id(client) is None

    password_login(client, clinician)
    response = mfa_authenticate(client, code)

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["code"] == ["Incorrect code."]
    assert logged_in_user_id(client) is None


def test_the_previous_periods_code_is_accepted_within_the_tolerance(client, clinician):
    password_login(client, clinician)

    mfa_authenticate(client, totp_code(clinician, offset_periods=-1))

    assert logged_in_user_id(client) == clinician.pk


def test_a_code_from_long_ago_is_refused(client, clinician):
    password_login(client, clinician)

    mfa_authenticate(client, totp_code(clinician, offset_periods=-10))

    assert logged_in_user_id(client) is None


def test_another_staff_members_code_is_refused(client, clinician):
    other = ClinicianFactory(mfa=False)
    enrol_totp(other, secret="KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU")
    password_login(client, clinician)

    mfa_authenticate(client, totp_code(other))

    assert logged_in_user_id(client) is None


def test_a_recovery_code_works_once(client, clinician):
    codes = RecoveryCodes.activate(clinician).generate_codes()

    password_login(client, clinician)
    mfa_authenticate(client, codes[0])
    assert logged_in_user_id(client) == clinician.pk
    client.post(reverse("account_logout"))

    password_login(client, clinician)
    response = mfa_authenticate(client, codes[0])
    assert logged_in_user_id(client) is None
    assert response.context["form"].errors["code"] == ["Incorrect code."]

    mfa_authenticate(client, codes[1])
    assert logged_in_user_id(client) == clinician.pk


def test_the_mfa_page_is_useless_without_a_password_first(client, clinician):
    response = mfa_authenticate(client, totp_code(clinician))

    assert logged_in_user_id(client) is None
    assert response.status_code == HTTPStatus.FOUND


def test_a_wrong_password_is_refused(client, patient):
    response = password_login(client, patient, password="not-the-password")

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    assert logged_in_user_id(client) is None


def test_a_patient_logs_in_with_a_password_alone(client, patient):
    response = password_login(client, patient)

    assert logged_in_user_id(client) == patient.pk
    assert client.get(response.url, follow=True).redirect_chain[-1][0] == reverse(
        "accounts:patient_home"
    )


def test_an_inactive_account_cannot_log_in(client, patient):
    patient.is_active = False
    patient.save(update_fields=["is_active"])

    password_login(client, patient)

    assert logged_in_user_id(client) is None


def test_the_login_form_goes_back_to_the_page_asked_for(client, clinician):
    client.post(
        reverse("account_login"),
        {"login": clinician.email, "password": PASSWORD, "next": reverse("accounts:account")},
    )

    response = mfa_authenticate(client, totp_code(clinician))

    assert response.url == reverse("accounts:account")


def test_the_login_never_sends_anyone_to_another_site(client, patient):
    response = client.post(
        reverse("account_login"),
        {"login": patient.email, "password": PASSWORD, "next": "https://evil.example/phish"},
    )

    assert logged_in_user_id(client) == patient.pk
    assert "evil.example" not in response.url


def test_there_is_no_open_sign_up(client, db):
    data = {"email": "walk.in@example.org", "password1": "a-long-pass-phrase-1"}
    data["password2"] = data["password1"]

    response = client.post(reverse("account_signup"), data)

    assert response.status_code == HTTPStatus.OK
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not User.objects.filter(email="walk.in@example.org").exists()
    assert logged_in_user_id(client) is None


def test_an_admin_logs_in_with_totp_and_reaches_the_django_admin(client, admin_user):
    client.post(
        f"{reverse('account_login')}?next={reverse('admin:index')}",
        {"login": admin_user.email, "password": PASSWORD, "next": reverse("admin:index")},
    )
    response = mfa_authenticate(client, totp_code(admin_user))

    assert response.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == HTTPStatus.OK


# --- Rate limits ----------------------------------------------------------------------------------


def test_after_five_wrong_passwords_even_the_right_one_is_refused(client, patient):
    for _ in range(5):
        response = password_login(client, patient, password="wrong-password-guess")
        assert response.status_code == HTTPStatus.OK
        assert "Too many" not in response.content.decode()

    response = password_login(client, patient)

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].non_field_errors() == [
        "Too many failed login attempts. Try again later."
    ]
    assert b"Too many failed login attempts" in response.content
    assert logged_in_user_id(client) is None


def test_the_failed_login_limit_is_per_account_across_addresses(client, patient):
    """5/5m per key: guessing from many IP addresses does not get round it."""
    for number in range(5):
        client.post(
            reverse("account_login"),
            {"login": patient.email, "password": "wrong-password-guess"},
            REMOTE_ADDR=f"203.0.113.{number + 1}",
        )

    response = client.post(
        reverse("account_login"),
        {"login": patient.email, "password": PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )

    assert "Too many failed login attempts" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_after_five_wrong_totp_codes_even_the_right_one_is_refused(client, clinician):
    password_login(client, clinician)
    right = totp_code(clinician)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    for _ in range(5):
        response = mfa_authenticate(client, wrong)
        assert response.context["form"].errors["code"] == ["Incorrect code."]

    response = mfa_authenticate(client, right)

    assert response.context["form"].errors["code"] == [
        "Too many failed login attempts. Try again later."
    ]
    assert logged_in_user_id(client) is None


def test_successful_logins_do_not_use_up_the_failed_login_limit(client, patient):
    for _ in range(6):
        password_login(client, patient)
        assert logged_in_user_id(client) == patient.pk
        client.post(reverse("account_logout"))


# --- Login by emailed code ------------------------------------------------------------------------


def _request_code(client, email: str):
    return client.post(reverse("account_request_login_code"), {"email": email})


def _code_from(message) -> str:
    match = LOGIN_CODE.search(message.body)
    assert match, message.body
    return match.group(1)


def test_a_patient_logs_in_with_a_code_sent_by_email(client, patient, mailoutbox):
    assert client.get(reverse("account_request_login_code")).status_code == HTTPStatus.OK

    response = _request_code(client, patient.email)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_confirm_login_code")
    assert logged_in_user_id(client) is None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [patient.email]

    response = client.post(
        reverse("account_confirm_login_code"), {"code": _code_from(mailoutbox[0])}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert logged_in_user_id(client) == patient.pk
    assert client.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK


def test_a_wrong_login_code_is_refused(client, patient, mailoutbox):
    _request_code(client, patient.email)
    right = _code_from(mailoutbox[0])
    wrong = "AAAA-AAAA" if right != "AAAA-AAAA" else "BBBB-BBBB"

    response = client.post(reverse("account_confirm_login_code"), {"code": wrong})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["code"]
    assert logged_in_user_id(client) is None


def test_a_login_code_for_someone_else_does_not_log_you_in(client, patient, mailoutbox):
    other = PatientFactory()
    _request_code(client, other.email)
    others_code = _code_from(mailoutbox[0])
    client.cookies.clear()

    _request_code(client, patient.email)
    client.post(reverse("account_confirm_login_code"), {"code": others_code})

    assert logged_in_user_id(client) != other.pk
    assert logged_in_user_id(client) is None


def test_staff_logging_in_by_code_still_need_their_second_factor(client, clinician, mailoutbox):
    _request_code(client, clinician.email)

    response = client.post(
        reverse("account_confirm_login_code"), {"code": _code_from(mailoutbox[0])}
    )

    assert response.url == reverse("mfa_authenticate")
    assert logged_in_user_id(client) is None
    mfa_authenticate(client, totp_code(clinician))
    assert logged_in_user_id(client) == clinician.pk


def test_no_code_is_sent_for_an_unknown_address_and_nothing_gives_that_away(
    client, patient, mailoutbox
):
    known = _request_code(client, patient.email)
    client.cookies.clear()

    unknown = _request_code(client, "nobody@example.org")

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert [
        m for m in mailoutbox if "nobody@example.org" in m.to and LOGIN_CODE.search(m.body)
    ] == []
