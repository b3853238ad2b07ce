"""Every patient-facing step works with JavaScript switched off, as on some cheap phones and
locked-down browsers: accepting an invitation, crisis help, logging out and in; every page a
patient reaches shows its content and the way to crisis help; checking in, replying in a group
and writing to a peer specialist. (The first steps and posting in a group without JavaScript are
in test_onboarding_journeys.py and test_peer_journeys.py.)"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from cessation.models import CheckIn
from peersupport.models import PeerMessage, Post
from tests.e2e.test_page_weight import build_world, log_in, open_page, patient_pages
from tests.e2e.test_quit_journeys import _check_in
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


# One synchronous look at the page (Playwright's expect would poll each point separately, and
# this runs on every page a patient reaches).
_USABLE = """() => {
    const h1 = document.querySelector('main h1');
    const help = [...document.querySelectorAll('header a')]
        .find(a => a.textContent.trim() === 'Get help now');
    return {
        heading: h1 && h1.checkVisibility() ? h1.textContent.trim() : null,
        help: help && help.checkVisibility() ? help.getAttribute('href') : null,
        styled: [...document.querySelectorAll('link[rel=stylesheet]')].every(l => l.sheet),
    };
}"""


def _expect_usable(page, path: str) -> None:
    """The page's own content is there and styled, and so is the way to crisis help."""
    seen = page.evaluate(_USABLE)
    assert seen["heading"], f"{path}: no visible heading in the main content"
    assert seen["help"] == "/help/", f"{path}: no visible 'Get help now' link to /help/"
    assert seen["styled"], f"{path}: a stylesheet did not load"


def _press(page, button_name: str) -> None:
    """Send the main content's form, as a plain form post, and land on the page it leads to."""
    with page.expect_navigation() as navigation:
        page.get_by_role("main").get_by_role("button", name=button_name, exact=True).click()
    assert navigation.value.status == 200, f"{navigation.value.url}: {navigation.value.status}"


def test_every_patient_page_and_its_main_actions_work_without_javascript(new_page, submit):
    """Each page is opened once; the pages the actions lead to are audited elsewhere (axe runs
    on every page of the journeys), so only the check-in is sent through `submit`, which runs it."""
    world = build_world()
    tabs = {}
    for who, paths in patient_pages(world).items():
        tabs[who] = page = new_page(javascript=False)
        if who is not None:
            log_in(page, world.users[who])
        for path in paths:
            open_page(page, path)
            _expect_usable(page, path)
    page = tabs["alex"]
    alex = world.users["alex"]
    assert page.evaluate("typeof window.htmx") == "undefined"  # really no scripts ran

    open_page(page, "/check-in/")
    _check_in(page, submit, cigarettes=0, craving=2, mood=8, sleep="Well")
    expect(page.get_by_role("status")).to_contain_text(
        re.compile("Thank you for checking in|Your check-in is updated")
    )
    checkin = CheckIn.objects.get(patient=alex, day=timezone.localdate())
    assert (checkin.cigarettes, checkin.craving, checkin.mood) == (0, 2, 8)
    assert checkin.sleep == CheckIn.Sleep.WELL

    with page.expect_navigation():
        page.locator("header").get_by_role("link", name="Get help now").click()
    expect(page.get_by_role("link", name="Call 999", exact=True)).to_have_attribute(
        "href", "tel:999"
    )

    reply = "Day three without one. Tea in the garden instead, and it helped."
    open_page(page, f"/groups/{world.group.slug}/threads/{world.thread.pk}/")
    page.get_by_label("Your reply").fill(reply)
    _press(page, "Send reply")
    expect(page.get_by_role("main")).to_contain_text(reply)
    posted = Post.objects.filter(author=alex, parent=world.thread).latest("pk")
    assert (posted.body, posted.status) == (reply, Post.Status.PUBLISHED)

    message = "Could we talk about patches on Thursday?"
    open_page(page, "/messages/")
    page.get_by_label("Your message to a peer specialist").fill(message)
    _press(page, "Send")
    expect(page.get_by_role("status")).to_contain_text("Sent.")
    expect(page.get_by_role("main")).to_contain_text(message)
    assert PeerMessage.objects.filter(sender=alex).latest("pk").body == message
