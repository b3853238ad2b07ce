"""The Content-Security-Policy in a real browser: Django's admin and the API docs (Swagger UI) are
the pages with third-party markup and scripts. They render fully, with no violation reported,
under the production policy (no 'unsafe-inline'; a nonce on their inline style blocks)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import expect

from core.models import AuditEvent
from peersupport.models import Post
from tests.factories import PASSWORD, AdminFactory, PatientFactory, totp_code
from tests.peersupport.helpers import a_group, member_of

pytestmark = pytest.mark.usefixtures("transactional_db")

# Runs before any of the page's own scripts; the browser fires the event for every blocked
# script, style, image, connection or frame, and for inline code without the nonce.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', event => {
  window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`
                    + ` at ${event.sourceFile || ''}:${event.lineNumber}`);
});
"""


@pytest.fixture
def desk(new_page):
    """A desktop-sized tab that records CSP violations, from events and from the console."""
    page = new_page(viewport={"width": 1280, "height": 900})
    page.context.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    page.console_csp = console
    return page


def _open(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None, path
    assert response.status == 200, f"{path}: {response.status}"
    assert "unsafe-inline" not in response.header_value("content-security-policy")
    page.wait_for_load_state("networkidle")


def _assert_no_violations(page) -> None:
    reported = page.evaluate("window.__csp")
    assert reported == [], f"{page.url}: {reported}"
    assert page.console_csp == [], f"{page.url}: {page.console_csp}"


def test_the_admin_renders_without_a_csp_violation(desk, monkeypatch):
    admin_user = AdminFactory()
    patient = PatientFactory()

    _open(desk, "/accounts/login/")
    desk.get_by_label("Email address").fill(admin_user.email)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("main").get_by_role("button", name="Log in", exact=True).click()
    desk.wait_for_url("**/accounts/2fa/authenticate/")
    desk.get_by_role("textbox").fill(totp_code(admin_user))
    desk.get_by_role("main").get_by_role("button", name="Sign In", exact=True).click()
    desk.wait_for_url("**/manage/")
    _assert_no_violations(desk)

    for path in (
        "/admin/",
        "/admin/core/auditevent/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{patient.pk}/change/",
    ):
        _open(desk, path)
        # The admin's own stylesheet and scripts ran: the theme toggle is a script-built control.
        expect(desk.locator("#header")).to_be_visible()
        _assert_no_violations(desk)

    # The change list of a model admin without action bars writes an inline style block.
    model_admin = admin.site._registry[AuditEvent]
    monkeypatch.setattr(model_admin, "actions_on_top", False)
    monkeypatch.setattr(model_admin, "actions_on_bottom", False)
    _open(desk, "/admin/core/auditevent/")
    _assert_no_violations(desk)
    assert desk.evaluate("document.querySelector('style[nonce]').sheet.cssRules.length") == 1


def test_the_api_docs_render_without_a_csp_violation(desk):
    _open(desk, "/api/docs/")

    # Swagger UI built the page from the schema (a fetch to /api/schema/, connect-src 'self').
    expect(desk.locator(".swagger-ui .info .title")).to_contain_text("Exhale API")
    expect(desk.locator(".opblock").first).to_be_visible()
    desk.locator(".opblock-summary").first.click()  # an operation opens (React re-renders)
    expect(desk.locator(".opblock-body").first).to_be_visible()
    _assert_no_violations(desk)
    # The page's nonce-carrying style block applied.
    background = desk.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(250, 250, 250)"


def test_a_patients_pages_run_without_a_csp_violation(desk):
    """The product's own pages: htmx (told not to inject its indicator style) on a group and a
    thread, which alone load it, the progress charts, the check-in form and the help page."""
    patient = PatientFactory()
    group = a_group()
    member_of(group, patient=patient)  # with three published conversations of their own
    thread = Post.objects.filter(author=patient, parent=None).first()

    _open(desk, "/accounts/login/")
    desk.get_by_label("Email address").fill(patient.email)
    desk.get_by_label("Password").fill(PASSWORD)
    desk.get_by_role("main").get_by_role("button", name="Log in", exact=True).click()
    desk.wait_for_url("**/me/")
    _assert_no_violations(desk)

    for path in ("/me/", "/check-in/", "/progress/", "/notifications/", "/help/", "/account/"):
        _open(desk, path)
        assert desk.evaluate("typeof window.htmx") == "undefined", path  # not needed there
        _assert_no_violations(desk)
    for path in (
        reverse("peersupport:group", args=[group.slug]),
        reverse("peersupport:thread", args=[group.slug, thread.pk]),
    ):
        _open(desk, path)
        assert desk.evaluate("typeof window.htmx") == "object", path
        _assert_no_violations(desk)
