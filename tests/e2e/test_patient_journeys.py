"""A patient's first journey on a phone: invitation, crisis help, log out and back in, home."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Invitation, Role, User
from tests.factories import ClinicianFactory, InvitationFactory, PatientFactory

pytestmark = pytest.mark.usefixtures("transactional_db")

NEW_PASSWORD = "kettle-window-orchard-47"
# (service, link text, link): each one a tap away on a phone.
CRISIS_SERVICES = [
    ("Emergency services", "Call 999", "tel:999"),
    ("NHS 111, option 2", "Call 111 and choose option 2", "tel:111"),
    ("Samaritans", "Call 116 123 (free)", "tel:116123"),
    ("SHOUT", "Text SHOUT to 85258", "sms:85258?body=SHOUT"),
]


def test_patient_accepts_invitation_finds_help_and_logs_back_in(page, visit, submit, click_through):
    clinician = ClinicianFactory()
    invitation = InvitationFactory(invited_by=clinician, full_name="Alex Morgan")

    visit(page, f"/invite/{invitation.raw_token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to Exhale, Alex Morgan")
    expect(page.get_by_text(invitation.email)).to_be_visible()

    # A mistake first: the error is shown, tied to its field, and the page is still accessible.
    page.get_by_label("What should we call you?").fill("Al")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD + "x")
    submit(page, "Create my account", status=400)
    second = page.get_by_label("Type the password again")
    expect(second).to_have_accessible_description(re.compile("passwords are not the same"))

    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    second.fill(NEW_PASSWORD)
    submit(page, "Create my account")
    # A new patient starts setting up; the programme stays closed until they agree to take part.
    assert page.url.endswith("/welcome/hello/")
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    visit(page, "/me/")
    assert page.url.endswith("/welcome/hello/")

    patient = User.objects.get(email=invitation.email)
    assert patient.role == Role.PATIENT
    assert patient.patient_profile.clinician == clinician
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED

    # Crisis help is open before anything is agreed.
    click_through(page, page.locator("header").get_by_role("link", name="Get help now"))
    assert page.url.endswith("/help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    for service, link_text, href in CRISIS_SERVICES:
        expect(page.get_by_role("heading", name=service, exact=True)).to_be_visible()
        link = page.get_by_role("link", name=link_text, exact=True)
        expect(link).to_have_attribute("href", href)

    click_through(page, page.get_by_role("navigation").get_by_role("button", name="Log out"))
    assert page.url.endswith("/accounts/login/")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    page.get_by_label("Email address").fill(invitation.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    submit(page, "Log in")
    # Back where they left off; once they agree, their home page greets them by their name.
    assert page.url.endswith("/welcome/hello/")
    submit(page, "Continue")
    submit(page, "Continue")
    page.get_by_label("I have read this and I agree to take part").check()
    submit(page, "I agree")
    assert page.url.endswith("/welcome/about-you/")
    visit(page, "/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Al")


def test_public_pages_pass_on_a_phone(page, visit):
    """What someone sees before logging in, including a broken invitation link."""
    visit(page, "/")
    visit(page, "/accounts/login/")
    visit(page, "/help/")
    visit(page, "/accounts/password/reset/")
    visit(page, "/accounts/login/code/")
    visit(page, "/invite/not-a-real-token/", status=404)
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation link does not work")


def test_patient_without_a_password_logs_in_with_an_emailed_code(
    page, visit, submit, click_through, mailoutbox
):
    patient = PatientFactory(preferred_name="Robin")

    visit(page, "/accounts/login/")
    click_through(page, page.get_by_role("link", name="Email me a code"))
    page.get_by_label(re.compile("Email")).fill(patient.email)
    submit(page, "Request Code")
    assert "/accounts/login/code/confirm/" in page.url

    (message,) = mailoutbox
    code = re.search(r"^\s*([A-Z0-9-]{6,})\s*$", message.body, re.MULTILINE).group(1)
    page.get_by_label(re.compile("Code")).fill(code)
    submit(page, "Confirm")
    assert page.url.endswith("/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin")
