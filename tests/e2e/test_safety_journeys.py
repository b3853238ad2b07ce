"""Safety journeys: a patient writes their safety plan and reaches it from "Get help now"; a flag
raised for a patient is acknowledged, noted and resolved by their clinician; a peer specialist
hands a worry to the clinician. Every page on the way is audited (axe, help link, no sideways
scrolling) on a phone, and the clinician's triage once more on a desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.models import AuditEvent
from safety import services
from safety.models import Flag, FlagEvent, SafetyPlan
from safety.selectors import crisis_resource_list
from tests.factories import PASSWORD, ClinicianFactory, PatientFactory, PeerFactory, totp_code

pytestmark = pytest.mark.usefixtures("transactional_db")

DESKTOP = {"width": 1280, "height": 800}
# (label on the form, what the patient writes): several Stanley–Brown sections, not all.
PLAN = [
    ("My warning signs", "I stop sleeping and stop answering the phone."),
    ("Things I can do on my own", "Walk the dog round the park. Put my headphones on."),
    ("People I can ask for help", "My sister Jo, 07700 900123."),
    ("What matters most to me", "My daughter, and seeing her graduate."),
]
EXCERPT = "I won't be here much longer"


def _log_in(page, visit, submit, user) -> None:
    visit(page, "/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Log in")


def _log_in_staff(page, visit, submit, user) -> None:
    _log_in(page, visit, submit, user)
    assert "/accounts/2fa/authenticate/" in page.url
    page.get_by_role("textbox").fill(totp_code(user))
    submit(page, "Sign In")


def _nav_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def _expect_easy_to_tick(form) -> None:
    """Every radio button and checkbox is full size, and sits in a row with its label that is at
    least 48 px high, so the whole label is an easy target on a phone."""
    for choice in form.locator("input[type=radio], input[type=checkbox]").all():
        box = choice.bounding_box()
        assert min(box["width"], box["height"]) >= 23, f"a squashed choice: {box}"
        label = form.locator(f"label[for='{choice.get_attribute('id')}']").bounding_box()
        assert label["height"] >= 47.5, f"a label only {label['height']} px high"
        middle = box["y"] + box["height"] / 2
        assert label["y"] <= middle <= label["y"] + label["height"], "a box off its label's row"


def _expect_plan_shown(page) -> None:
    plan = page.locator("#my-plan, main section:has(#plan-heading)").first
    for title, text in PLAN:
        expect(plan.get_by_text(title, exact=True)).to_be_visible()
        expect(plan.get_by_text(text, exact=True)).to_be_visible()


def test_patient_writes_a_safety_plan_and_reaches_it_from_get_help_now(
    page, visit, submit, click_through
):
    clinician = ClinicianFactory()
    patient = PatientFactory(profile=clinician, preferred_name="Kit")

    _log_in(page, visit, submit, patient)
    assert page.url.endswith("/me/")

    click_through(page, _nav_link(page, "My safety plan"))
    assert page.url.endswith("/safety-plan/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My safety plan")
    for label, text in PLAN:
        page.get_by_label(label, exact=True).fill(text)
    submit(page, "Save safety plan")
    assert page.url.endswith("/safety-plan/")
    expect(page.get_by_role("status")).to_contain_text("Safety plan saved.")
    # What was saved is what the form shows again.
    for label, text in PLAN:
        expect(page.get_by_label(label, exact=True)).to_have_value(text)

    plan = SafetyPlan.objects.get(patient=patient)
    assert plan.warning_signs == PLAN[0][1]
    assert plan.coping_strategies == PLAN[1][1]
    assert plan.people_to_ask == PLAN[2][1]
    assert plan.reasons_to_live == PLAN[3][1]
    assert plan.professionals == ""
    assert plan.updated_by == patient

    # "Get help now" shows the services and, one tap further, the patient's own plan.
    click_through(page, page.locator("header").get_by_role("link", name="Get help now"))
    assert page.url.endswith("/help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Get help now")
    for resource in crisis_resource_list():
        expect(page.get_by_role("heading", name=resource["name"], exact=True)).to_be_visible()
        if resource["href"]:
            link = page.get_by_role("link", name=resource["how"], exact=True)
            expect(link).to_have_attribute("href", resource["href"])
    page.get_by_role("link", name="Go to my safety plan").click()
    page.wait_for_url(re.compile(r"/help/#my-plan$"))
    plan_section = page.get_by_role("region", name="My safety plan")
    expect(plan_section).to_be_in_viewport()
    _expect_plan_shown(page)
    expect(plan_section.get_by_role("link", name="Change my safety plan")).to_have_attribute(
        "href", "/safety-plan/"
    )

    # The calm page shown after a patient writes something worrying has the plan too, and says
    # the care team knows once a flag has been raised.
    visit(page, "/help/support/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for telling us")
    _expect_plan_shown(page)
    expect(page.get_by_text("We have let your care team know")).to_have_count(0)
    services.flag_raise(
        patient=patient,
        source=Flag.Source.CHECKIN,
        category=Flag.Category.CRISIS,
        severity="high",
        summary="Crisis language in a daily check-in",
        evidence=[{"category": "crisis", "excerpt": EXCERPT, "reason": "Indirect intent"}],
    )
    visit(page, "/help/support/")
    expect(page.get_by_text("We have let your care team know")).to_be_visible()


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_clinician_acknowledges_notes_and_resolves_a_flag(
    new_page, visit, submit, click_through, viewport
):
    page = new_page(viewport=viewport)
    clinician = ClinicianFactory(full_name="Dr Priya Shah")
    patient = PatientFactory(profile=clinician, full_name="Morgan Ellis")
    other = PatientFactory(full_name="Someone Else")  # another clinician's caseload
    services.flag_raise(
        patient=other,
        source=Flag.Source.CHECKIN,
        category=Flag.Category.CRISIS,
        severity="critical",
        summary="Not for this clinician",
    )
    flag = services.flag_raise(
        patient=patient,
        source=Flag.Source.CHECKIN,
        category=Flag.Category.CRISIS,
        severity="high",
        summary="Crisis language in a daily check-in",
        evidence=[{"category": "crisis", "excerpt": EXCERPT, "reason": "Indirect intent"}],
    )

    _log_in_staff(page, visit, submit, clinician)
    click_through(page, _nav_link(page, "Safety flags"))
    assert page.url.endswith("/flags/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Safety flags")
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)  # not the other clinician's patient
    row = rows.first
    expect(row.get_by_text("High", exact=True)).to_be_visible()
    expect(row.get_by_role("link", name="Morgan Ellis")).to_be_visible()
    expect(row).to_contain_text("Possible crisis (suicide or self-harm)")
    # A high flag must be acknowledged within 4 hours (SAFETY_ACK_MINUTES_HIGH, by default).
    expect(row).to_contain_text(re.compile(r"Acknowledge within 3\xa0hours, 59\xa0minutes"))

    click_through(page, row.get_by_role("link", name="Morgan Ellis"))
    assert page.url.endswith(f"/flags/{flag.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Possible crisis")
    main = page.get_by_role("main")
    expect(main.get_by_text("Crisis language in a daily check-in").first).to_be_visible()
    expect(main.locator("q")).to_have_text(EXCERPT)
    expect(main).to_contain_text("Acknowledge within")

    submit(page, "Acknowledge: I am dealing with this")
    expect(page.get_by_role("status")).to_contain_text("Acknowledged.")
    status = page.locator("dl.summary dt:text-is('Status') + dd")
    expect(status).to_have_text(re.compile(r"^\s*Acknowledged\s+by Dr Priya Shah, "))
    expect(page.get_by_role("button", name="Acknowledge: I am dealing with this")).to_have_count(0)

    note = "Phoned Morgan at 14:10. Sister staying tonight; crisis line number checked."
    note_form = page.get_by_role("region", name="Add a note or record contact")
    note_form.get_by_label("Note", exact=True).fill(note)
    note_form.get_by_label("I have been in contact with the patient").check()
    _expect_easy_to_tick(note_form)
    submit(page, "Save note")
    expect(page.get_by_role("status")).to_contain_text("Contact recorded.")
    history = page.locator("h2:text-is('History of this flag') + ol")
    expect(history.get_by_text(note)).to_be_visible()
    expect(history).to_contain_text("Contact made by Dr Priya Shah")

    resolve_form = page.get_by_role("region", name="Resolve")
    _expect_easy_to_tick(resolve_form)
    resolve_form.get_by_label("Contacted: safe for now, plan agreed").check()
    submit(page, "Resolve flag")
    expect(page.get_by_role("status")).to_contain_text("Flag resolved.")
    expect(status).to_have_text(
        re.compile(r"^\s*Resolved\s+·\s+Contacted: safe for now, plan agreed\s*$")
    )

    click_through(page, page.get_by_role("link", name="All flags"))
    expect(page.get_by_role("table").get_by_role("link", name="Morgan Ellis")).to_have_count(0)
    expect(page.get_by_text("No open flags.")).to_be_visible()
    resolved = page.locator("h2:text-is('Resolved in the last two weeks') + ul")
    expect(resolved.get_by_role("link", name=re.compile("^Morgan Ellis"))).to_be_visible()
    expect(resolved).to_contain_text("contacted: safe for now, plan agreed")

    flag.refresh_from_db()
    assert flag.status == Flag.Status.RESOLVED
    assert flag.outcome == Flag.Outcome.CONTACTED_SAFE
    assert flag.acknowledged_by == clinician
    assert flag.resolved_by == clinician
    assert flag.acknowledged_at <= flag.resolved_at
    kinds = list(flag.events.values_list("kind", flat=True))
    assert kinds == [
        FlagEvent.Kind.RAISED,
        FlagEvent.Kind.NOTIFIED,
        FlagEvent.Kind.ACKNOWLEDGED,
        FlagEvent.Kind.CONTACT_MADE,
        FlagEvent.Kind.RESOLVED,
    ]
    assert flag.events.get(kind=FlagEvent.Kind.CONTACT_MADE).note == note
    # Every opening of the flag page and every action on it is in the audit log.
    actions = set(
        AuditEvent.objects.filter(
            actor=clinician, subject=patient, target_id=str(flag.pk)
        ).values_list("action", flat=True)
    )
    assert {"flag.viewed", "flag.acknowledged", "flag.contact_made", "flag.resolved"} <= actions


def test_peer_raises_a_concern_that_reaches_the_clinician(new_page, visit, submit, click_through):
    page = new_page()
    clinician = ClinicianFactory()
    peer = PeerFactory(preferred_name="Sam")
    patient = PatientFactory(
        profile=clinician, profile__peer_specialist=peer, full_name="Jordan Blake"
    )

    _log_in_staff(page, visit, submit, peer)
    assert page.url.endswith("/peer/")
    click_through(page, page.get_by_role("main").get_by_role("link", name=patient.display_name))
    assert page.url.endswith(f"/patients/{patient.pk}/")
    click_through(page, page.get_by_role("link", name="Raise a concern"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Raise a concern about")

    worry = "Said at the group meet-up that they have stopped taking their medication."
    _expect_easy_to_tick(page.get_by_role("main").locator("form"))
    page.get_by_label("High: needs a response within hours").check()
    page.get_by_label("What worries you?").fill(worry)
    submit(page, "Send to their clinician")
    assert page.url.endswith(f"/patients/{patient.pk}/")
    expect(page.get_by_role("status")).to_contain_text("Their clinician has been told")

    flag = Flag.objects.get(patient=patient)
    assert flag.source == Flag.Source.CONCERN
    assert flag.category == Flag.Category.CONCERN
    assert flag.severity == "high"
    assert flag.status == Flag.Status.OPEN
    assert flag.handled_by == clinician
    (signal,) = flag.signals.all()
    assert signal.raised_by == peer
    assert worry in signal.evidence

    # The clinician, in a browser of their own, finds it in their queue and opens it.
    desk = new_page(viewport=DESKTOP)
    _log_in_staff(desk, visit, submit, clinician)
    click_through(desk, _nav_link(desk, "Safety flags"))
    row = desk.get_by_role("row").filter(has=desk.get_by_role("link", name="Jordan Blake"))
    expect(row).to_contain_text("Concern raised by staff")
    expect(row).to_contain_text("High")
    expect(row).to_contain_text("Acknowledge within")
    click_through(desk, row.get_by_role("link", name="Jordan Blake"))
    expect(desk.get_by_role("main").locator("q")).to_have_text(worry)
    expect(desk.get_by_role("main")).to_contain_text(f"raised by {peer.full_name}")
