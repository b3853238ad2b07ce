"""`seed_demo` makes every role's demo login, idempotently, and refuses to run on a real
deployment; `totp_code` helps newcomers and never prints a real account's code."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.demo import DEMO_PASSWORD
from accounts.models import PatientProfile, Role, User
from core.models import Notification
from tests.accounts.helpers import logged_in_user_id, mfa_authenticate
from tests.factories import ClinicianFactory, totp_code

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def _counts() -> dict:
    return {
        "users": User.objects.count(),
        "profiles": PatientProfile.objects.count(),
        "authenticators": Authenticator.objects.count(),
        "emails": EmailAddress.objects.count(),
        "notifications": Notification.objects.count(),
    }


def test_seed_demo_creates_every_role_with_totp_for_staff():
    _seed()

    staff = {user.email: user.role for user in User.objects.exclude(role=Role.PATIENT)}
    assert staff == {
        "clinician@exhale.demo": Role.CLINICIAN,
        "backup@exhale.demo": Role.CLINICIAN,
        "peer@exhale.demo": Role.PEER,
        "admin@exhale.demo": Role.ADMIN,
    }
    for email in staff:
        assert Authenticator.objects.filter(
            user__email=email, type=Authenticator.Type.TOTP
        ).exists()
    patients = User.objects.filter(role=Role.PATIENT)
    assert patients.count() == 4
    assert PatientProfile.objects.filter(user__in=patients).count() == 4
    clinician = User.objects.get(email="clinician@exhale.demo")
    backup = User.objects.get(email="backup@exhale.demo")
    for profile in PatientProfile.objects.all():
        assert profile.clinician == clinician
        assert profile.backup_clinician == backup
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == 8


def test_seed_demo_twice_changes_nothing():
    _seed()
    first = _counts()
    secret = Authenticator.objects.get(
        user__email="clinician@exhale.demo", type=Authenticator.Type.TOTP
    ).data

    output = _seed()

    assert _counts() == first
    assert first["users"] == 8
    assert (
        Authenticator.objects.get(
            user__email="clinician@exhale.demo", type=Authenticator.Type.TOTP
        ).data
        == secret
    )
    assert "clinician@exhale.demo" in output


def test_seed_demo_leaves_existing_accounts_alone():
    ClinicianFactory(email="someone@example.org")

    _seed()

    assert User.objects.filter(email="someone@example.org").count() == 1
    assert User.objects.count() == 9


def test_seed_demo_refuses_without_force_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo", stdout=StringIO())

    assert not User.objects.exists()


def test_seed_demo_runs_without_force_when_debug_is_on(settings):
    settings.DEBUG = True

    call_command("seed_demo", stdout=StringIO())

    assert User.objects.count() == 8


def test_a_demo_clinician_logs_in_with_the_printed_password_and_totp(client):
    _seed()
    clinician = User.objects.get(email="clinician@exhale.demo")

    client.post(reverse("account_login"), {"login": clinician.email, "password": DEMO_PASSWORD})
    mfa_authenticate(client, totp_code(clinician))

    assert logged_in_user_id(client) == clinician.pk


def test_totp_code_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    _seed()

    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("totp_code", "clinician@exhale.demo", stdout=StringIO())


def test_totp_code_prints_the_current_code_of_a_demo_account(settings):
    _seed()
    settings.DEBUG = True
    out = StringIO()

    call_command("totp_code", "clinician@exhale.demo", stdout=out)

    code = re.match(r"(\d{6}) ", out.getvalue()).group(1)
    clinician = User.objects.get(email="clinician@exhale.demo")
    assert code in {totp_code(clinician, offset) for offset in (0, -1)}


def test_totp_code_never_prints_a_real_accounts_code(settings):
    real = ClinicianFactory(email="real.clinician@example.org")
    settings.DEBUG = True
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("totp_code", real.email, stdout=out)

    assert totp_code(real) not in out.getvalue()
