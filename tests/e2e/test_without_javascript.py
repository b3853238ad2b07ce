"""Every patient-facing step works with JavaScript switched off, as on some cheap phones and
locked-down browsers: accepting an invitation, crisis help, logging out and in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.factories import InvitationFactory

pytestmark = pytest.mark.usefixtures("transactional_db")

NEW_PASSWORD = "lantern-meadow-pebble-82"


def test_invitation_crisis_help_and_login_work_without_javascript(
    nojs_page, visit, submit, click_through
):
    page = nojs_page
    invitation = InvitationFactory(full_name="Jo Patel")

    visit(page, f"/invite/{invitation.raw_token}/")
    assert page.evaluate("typeof window.htmx") == "undefined"  # really no scripts ran
    page.get_by_label("What should we call you?").fill("Jo")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    submit(page, "Create my account")
    # A new patient starts setting up (tests/e2e/test_onboarding_journeys.py goes on without
    # JavaScript); crisis help is open to them from the first page.
    assert page.url.endswith("/welcome/hello/")
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    assert User.objects.get(email=invitation.email).preferred_name == "Jo"

    click_through(page, page.locator("header").get_by_role("link", name="Get help now"))
    expect(page.get_by_role("link", name="Call 999", exact=True)).to_have_attribute(
        "href", "tel:999"
    )

    click_through(page, page.get_by_role("navigation").get_by_role("button", name="Log out"))
    assert page.url.endswith("/accounts/login/")

    page.get_by_label("Email address").fill(invitation.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    submit(page, "Log in")
    assert page.url.endswith("/welcome/hello/")
    expect(page.get_by_role("navigation", name="Setting up Exhale")).to_contain_text("Step 1 of")
