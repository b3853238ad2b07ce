"""Staff journeys: a clinician logs in with a second factor and invites a patient; staff without
a second factor are sent to set one up before any staff page opens."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Invitation, Role
from tests.factories import PASSWORD, ClinicianFactory, totp_code

pytestmark = pytest.mark.usefixtures("transactional_db")


def _log_in(page, visit, submit, user) -> None:
    visit(page, "/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Log in")


def test_clinician_logs_in_with_totp_and_invites_a_patient(page, visit, submit, click_through):
    clinician = ClinicianFactory()

    _log_in(page, visit, submit, clinician)
    assert "/accounts/2fa/authenticate/" in page.url
    page.get_by_role("textbox").fill(totp_code(clinician))
    submit(page, "Sign In")
    assert page.url.endswith("/clinician/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")

    click_through(page, page.get_by_role("main").get_by_role("link", name="Invite a patient"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a patient")
    discharged_on = timezone.localdate() - timedelta(days=2)
    page.get_by_label("Patient's full name").fill("Sam Okafor")
    page.get_by_label("Patient's email address").fill("sam.okafor@example.org")
    page.get_by_label("Date of discharge").fill(discharged_on.isoformat())
    submit(page, "Send invitation")

    assert page.url.endswith("/invitations/")
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to sam.okafor@example.org")
    expect(page.get_by_role("cell", name="Sam Okafor", exact=True)).to_be_visible()

    invitation = Invitation.objects.get(email="sam.okafor@example.org")
    assert invitation.role == Role.PATIENT
    assert invitation.clinician == clinician
    assert invitation.invited_by == clinician
    assert invitation.discharged_on == discharged_on


def test_staff_without_a_second_factor_must_set_one_up_first(page, visit, submit):
    clinician = ClinicianFactory(mfa=False)

    _log_in(page, visit, submit, clinician)
    if "/accounts/reauthenticate/" in page.url:
        page.get_by_label("Password").fill(PASSWORD)
        submit(page, "Confirm")
    assert page.url.endswith("/accounts/2fa/totp/activate/")

    # No staff page opens until a second factor is set up.
    visit(page, "/clinician/")
    assert page.url.endswith("/accounts/2fa/totp/activate/")

    # Setting it up with the secret shown on the page opens the caseload.
    # The key is shown as text that wraps at 360 px and can be copied (not a disabled input).
    key = page.locator("#authenticator_secret")
    expect(key).to_be_visible()
    secret = key.inner_text().strip()
    page.get_by_label("Authenticator code").fill(
        format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    )
    submit(page, "Turn on two-factor authentication")
    assert Authenticator.objects.filter(user=clinician, type=Authenticator.Type.TOTP).exists()
    visit(page, "/clinician/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your caseload")
