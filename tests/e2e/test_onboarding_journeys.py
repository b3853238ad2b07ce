"""Onboarding journeys on a phone: a new patient opens their invitation email and goes through
every step, stopping half-way and coming back; a peer specialist takes another patient through
the tour beside them; and the first steps without JavaScript. Every page on the way is audited
(axe, the help link, no sideways scrolling)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import User
from accounts.services import invitation_email_send
from cessation.models import CheckIn, QuitPlan
from cessation.services import patient_today
from core.models import AuditEvent
from onboarding import quiz, services
from onboarding.forms import BaselineForm
from onboarding.models import Consent, Journey, StepRecord
from peersupport.models import Membership
from safety.models import SafetyPlan
from tests.e2e.conftest import PHONE
from tests.factories import (
    PASSWORD,
    ClinicianFactory,
    InvitationFactory,
    PatientFactory,
    PeerFactory,
    totp_code,
)
from tests.onboarding.helpers import BASELINE, QUIZ_RIGHT, through_consent
from tests.peersupport.helpers import a_group

pytestmark = pytest.mark.usefixtures("transactional_db")

NEW_PASSWORD = "harbour-lantern-thistle-62"
STEPS = (
    "welcome",
    "privacy",
    "consent",
    "about_you",
    "safety_plan",
    "quit_plan",
    "tour",
    "groups",
)
# The tour's stops: (key, title), in order.
TOUR_STOPS = [
    ("checkin", "Checking in"),
    ("progress", "Your progress"),
    ("craving", "Craving now"),
    ("groups", "Peer groups"),
    ("messages", "Messages to your peer support specialist"),
    ("help", "Get help now"),
]
# (label on the form, what the patient writes): part of their safety plan.
PLAN = [
    ("My warning signs", "I stop opening the curtains and stop eating."),
    ("Things I can do on my own", "Put the radio on loud and walk to the river."),
    ("People I can ask for help", "My brother Dev, 07700 900456."),
]
GROUP_NAME = "Quiet Heron"


def _log_in(page, visit, submit, email: str, password: str = PASSWORD) -> None:
    visit(page, "/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    submit(page, "Log in")


def _log_in_staff(page, visit, submit, user) -> None:
    _log_in(page, visit, submit, user.email)
    assert "/accounts/2fa/authenticate/" in page.url
    page.get_by_role("textbox").fill(totp_code(user))
    submit(page, "Sign In")


def _h1(page):
    return page.get_by_role("heading", level=1)


def _at(page, path: str) -> None:
    assert page.url.endswith(path), f"expected {path}, at {page.url}"


def _step_count(page, n: int) -> None:
    progress = page.get_by_role("navigation", name="Setting up Exhale")
    expect(progress).to_contain_text(f"Step {n} of {len(STEPS)}")


def _choose(form, question: str, answer: str) -> None:
    form.get_by_role("group", name=question).get_by_role("radio", name=answer, exact=True).check()


def _invitation_link(live_server, invitation, outbox) -> str:
    """The link in the invitation email, as the worker sends it, pointing at the live server."""
    assert invitation_email_send(invitation_id=invitation.pk)
    (message,) = outbox
    assert message.to == [invitation.email]
    url = re.search(r"^(http\S+/invite/\S+/)$", message.body, re.MULTILINE).group(1)
    assert url.startswith(settings.SITE_URL)
    return live_server.url + url.removeprefix(settings.SITE_URL)


# --- 1. A new patient, from the invitation email to their home page ----------------------------


def _answer_about_you(page) -> None:
    form = page.get_by_role("main").locator("form")
    form.get_by_label("How old were you when you started smoking?").fill("15")
    form.get_by_label("How many cigarettes or roll-ups do you smoke on a usual day?").fill("25")
    _choose(form, "How soon after waking do you have your first cigarette?", "Within 5 minutes")
    _choose(form, "How many times have you tried to stop in the last year?", "2 to 4 times")
    _choose(form, "How do you feel about stopping?", "I want to stop soon")
    _choose(form, "Do you use an e-cigarette (vape) now?", "No")
    medicines = form.get_by_role("group", name="Do you take any of these medicines?")
    medicines.get_by_role("checkbox", name="Clozapine (Clozaril, Denzapine, Zaponex)").check()
    support = form.get_by_role("group", name="What support would you like?")
    support.get_by_role("checkbox", name="Talking with others in a peer group").check()
    support.get_by_role("checkbox", name="Messages with a peer support specialist").check()
    _choose(form, "How is your mood today?", "6")


def _check_in(page, submit) -> None:
    form = page.get_by_role("main").locator("form.checkin")
    form.get_by_label(
        "How many cigarettes or roll-ups have you smoked since your last check-in?"
    ).fill("12")
    _choose(form, "How strong was your strongest craving?", "6")
    _choose(form, "How is your mood?", "5")
    _choose(form, "How did you sleep last night?", "OK")
    _choose(form, "Have you had thoughts of harming yourself?", "No")
    submit(page, "Send my check-in")


def test_new_patient_goes_through_every_step_of_onboarding_on_a_phone(
    new_page, live_server, visit, submit, click_through, mailoutbox
):
    clinician = ClinicianFactory(full_name="Dr Ana Reyes")
    peer = PeerFactory(full_name="Sam Price", preferred_name="Sam")
    group = a_group("first-weeks", name="First weeks home", description="Just home again.")
    invitation = InvitationFactory(
        invited_by=clinician, full_name="Jordan Blake", peer_specialist=peer
    )
    link = _invitation_link(live_server, invitation, mailoutbox)

    page = new_page(viewport=PHONE)
    visit(page, link)
    expect(_h1(page)).to_have_text("Welcome to Exhale, Jordan Blake")
    page.get_by_label("What should we call you?").fill("Jordan")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    submit(page, "Create my account")
    patient = User.objects.get(email=invitation.email)

    # 1. Welcome. Until they agree, the programme is closed: its pages lead back here.
    _at(page, "/welcome/hello/")
    _step_count(page, 1)
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")
    visit(page, "/me/")
    _at(page, "/welcome/hello/")
    visit(page, "/check-in/")
    _at(page, "/welcome/hello/")
    submit(page, "Continue")

    # 2. Your data.
    _at(page, "/welcome/your-data/")
    _step_count(page, 2)
    submit(page, "Continue")

    # 3. The agreement: not ticking the box is explained, next to the box.
    _at(page, "/welcome/agreement/")
    _step_count(page, 3)
    submit(page, "I agree", status=400)
    agree = page.get_by_label("I have read this and I agree to take part")
    expect(agree).to_have_accessible_description(re.compile("Tick the box"))
    agree.check()
    submit(page, "I agree")
    assert Consent.objects.filter(patient=patient, withdrawn_at__isnull=True).exists()

    # 4. About you.
    _at(page, "/welcome/about-you/")
    _step_count(page, 4)
    _answer_about_you(page)
    submit(page, "Save and continue")
    _at(page, "/welcome/safety-plan/")

    # Half-way: they log out and close the page. Logging in another day brings them back.
    click_through(page, page.get_by_role("navigation").get_by_role("button", name="Log out"))
    page.close()
    page = new_page(viewport=PHONE)
    _log_in(page, visit, submit, invitation.email, NEW_PASSWORD)
    _at(page, "/me/")
    expect(_h1(page)).to_have_text("Hello, Jordan")
    carry_on = page.get_by_role("region", name="Carry on setting up")
    expect(carry_on).to_contain_text("Next: Safety plan")
    click_through(page, carry_on.get_by_role("link", name="Carry on where I left off"))
    _at(page, "/welcome/safety-plan/")
    visit(page, "/welcome/")
    _at(page, "/welcome/safety-plan/")

    # 5. The safety plan.
    _step_count(page, 5)
    for label, text in PLAN:
        page.get_by_label(label, exact=True).fill(text)
    submit(page, "Save my safety plan")

    # 6. The quit plan: filled in to start with, from "About you".
    _at(page, "/welcome/quit-plan/")
    _step_count(page, 6)
    form = page.get_by_role("main").locator("form.quit-plan")
    expect(form.get_by_label("How many a day, before quitting?")).to_have_value("25")
    form.get_by_label("Your reasons to quit, in your own words (optional)").fill("My lungs.")
    submit(page, "Save my quit plan")

    # 7. The tour: each stop, and "Try it" for real, with a way back.
    _at(page, "/welcome/tour/")
    _step_count(page, 7)
    stops = page.get_by_role("main").locator("ol.tour-stops")
    click_through(page, stops.get_by_role("link", name="Checking in"))
    _at(page, "/welcome/tour/checkin/")
    click_through(page, page.get_by_role("link", name="Do my first check-in"))
    assert "/check-in/" in page.url
    expect(page.get_by_role("link", name="← Back to the tour")).to_be_visible()
    _check_in(page, submit)
    _at(page, "/welcome/tour/checkin/")
    expect(page.get_by_role("status")).to_contain_text("Thank you for checking in.")
    expect(page.get_by_text("You have checked in today. Well done.")).to_be_visible()

    for key, title in TOUR_STOPS[1:]:
        click_through(page, page.get_by_role("link", name=f"Next: {title}"))
        _at(page, f"/welcome/tour/{key}/")
        expect(_h1(page)).to_have_text(title)
        click_through(page, page.get_by_role("main").get_by_role("link", name="Try it"))
        assert "/welcome/" not in page.url
        click_through(page, page.get_by_role("link", name="← Back to the tour"))
        _at(page, f"/welcome/tour/{key}/")
    click_through(page, page.get_by_role("link", name="Back to the list, to finish the tour"))
    _at(page, "/welcome/tour/")
    for _, title in TOUR_STOPS:
        item = stops.get_by_role("listitem").filter(has_text=title)
        expect(item).to_contain_text("tried")
    click_through(page, page.get_by_role("link", name=re.compile("Rather watch than try")))
    _at(page, "/welcome/tour/watch/")
    expect(_h1(page)).to_have_text("Exhale in pictures")
    for _, title in TOUR_STOPS:
        expect(page.get_by_role("heading", name=re.compile(re.escape(title)))).to_be_visible()
    click_through(page, page.get_by_role("link", name="Back to the tour"))
    submit(page, "Finish the tour")

    # 8. Peer groups: three questions (a wrong answer is explained), a group name, a group.
    _at(page, "/welcome/groups/")
    _step_count(page, 8)
    quiz_form = page.get_by_role("main").locator("form.quiz")
    answers = {q.key: dict(q.choices) for q in quiz.QUESTIONS}
    for n, question in enumerate(quiz.QUESTIONS, start=1):
        answer = "yes" if question.key == "personal_details" else QUIZ_RIGHT[question.key]
        _choose(quiz_form, f"{n}. {question.text}", answers[question.key][answer])
    submit(page, "Check my answers")
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text("Not quite")
    _choose(
        quiz_form,
        f"1. {quiz.QUESTIONS[0].text}",
        answers["personal_details"][QUIZ_RIGHT["personal_details"]],
    )
    submit(page, "Check my answers again")
    _at(page, "/welcome/groups/name/")
    page.get_by_role("main").get_by_role("textbox").fill(GROUP_NAME)
    submit(page, "Save my group name")
    _at(page, "/welcome/groups/join/")
    submit(page, f"Join {group.name}")

    # Home, with everything in place.
    _at(page, "/me/")
    expect(page.get_by_role("status")).to_contain_text("You joined First weeks home.")
    expect(page.get_by_role("status")).to_contain_text("You have finished setting up.")
    expect(page.get_by_role("region", name="Carry on setting up")).to_have_count(0)
    today = page.get_by_role("region", name="Today")
    expect(today).to_contain_text("You have checked in today.")
    expect(today).to_contain_text("days to your quit date")
    groups = page.get_by_role("region", name="Your peer groups")
    expect(groups).to_contain_text(f"You go by {GROUP_NAME}")
    expect(groups.get_by_role("link", name=group.name, exact=True)).to_be_visible()

    assert CheckIn.objects.filter(patient=patient, day=patient_today(patient)).exists()
    assert QuitPlan.objects.filter(patient=patient).exists()
    plan = SafetyPlan.objects.get(patient=patient)
    assert plan.warning_signs == PLAN[0][1]
    assert plan.coping_strategies == PLAN[1][1]
    assert plan.people_to_ask == PLAN[2][1]
    assert Membership.objects.filter(member=patient, group=group, left_at__isnull=True).exists()
    records = {r.step: r for r in StepRecord.objects.filter(journey__patient=patient)}
    assert set(records) == set(STEPS)
    for key, record in records.items():
        assert record.completed_at is not None, f"{key} is not done"
        assert record.completed_by == patient
        assert record.assist is None
    assert set(records["tour"].detail["stops_tried"]) == {key for key, _ in TOUR_STOPS}
    assert Journey.objects.get(patient=patient).finished_at is not None

    # The plan they wrote is under "Get help now".
    click_through(page, page.locator("header").get_by_role("link", name="Get help now"))
    plan_section = page.get_by_role("region", name="My safety plan")
    for title, text in PLAN:
        expect(plan_section.get_by_text(title, exact=True)).to_be_visible()
        expect(plan_section.get_by_text(text, exact=True)).to_be_visible()


# --- 2. A peer specialist takes a patient through the tour, beside them -------------------------


def _at_the_tour(patient: User) -> None:
    """Consent given, "About you" answered, both plans left for later: the tour is next."""
    through_consent(patient)
    form = BaselineForm(BASELINE)
    assert form.is_valid(), form.errors
    services.baseline_save(patient=patient, by=patient, **form.cleaned_data)
    services.step_skip(patient=patient, step="safety_plan", by=patient)
    services.step_skip(patient=patient, step="quit_plan", by=patient)


def test_peer_specialist_assists_a_patient_through_the_tour(page, visit, submit, click_through):
    peer = PeerFactory(full_name="Sam Price", preferred_name="Sam")
    clinician = ClinicianFactory()
    patient = PatientFactory(
        full_name="Casey Nolan", profile=clinician, profile__peer_specialist=peer
    )
    services.journey_start(patient=patient)
    _at_the_tour(patient)

    _log_in_staff(page, visit, submit, peer)
    _at(page, "/peer/")
    click_through(page, page.get_by_role("main").get_by_role("link", name=re.compile("stopped at")))
    _at(page, f"/patients/{patient.pk}/onboarding/")
    expect(_h1(page)).to_have_text("Onboarding: Casey")  # display name
    submit(page, "Start assisting", status=400)
    # Without the patient's say-so, nothing starts; the error is beside the box.
    expect(page.locator(".field--error")).to_contain_text("tick the box")
    page.get_by_label(re.compile("The patient is with me now")).check()
    submit(page, "Start assisting")
    _at(page, f"/patients/{patient.pk}/onboarding/assist/tour/")

    stops = page.get_by_role("main").locator("ol.tour-stops")
    click_through(page, stops.get_by_role("link", name=TOUR_STOPS[0][1], exact=True))
    for n, (key, title) in enumerate(TOUR_STOPS):
        assert page.url.endswith(f"/assist/tour/?stop={key}"), page.url
        expect(_h1(page)).to_have_text(title)
        expect(page.get_by_text("Ask them to try it on their own phone")).to_be_visible()
        if n + 1 < len(TOUR_STOPS):
            click_through(page, page.get_by_role("link", name=f"Next: {TOUR_STOPS[n + 1][1]}"))
    click_through(page, page.get_by_role("link", name="Back to the list, to finish the tour"))
    _at(page, "/assist/tour/")
    page.get_by_label("We went through this together").check()
    submit(page, "Done, go on")
    expect(page.get_by_role("status")).to_contain_text("“A tour of Exhale” done.")
    # The groups are the patient's own, on their phone; the peer ends the session.
    _at(page, "/assist/groups/")
    expect(page.get_by_role("heading", name="The patient does this themselves")).to_be_visible()
    click_through(page, page.get_by_role("link", name="Overview, and ending the session"))
    tour_row = page.get_by_role("row").filter(has_text="A tour of Exhale")
    expect(tour_row).to_contain_text("Done (assisted)")
    submit(page, "End the session")
    expect(page.get_by_role("status")).to_contain_text("Assisted session ended.")

    record = StepRecord.objects.get(journey__patient=patient, step="tour")
    assert record.completed_at is not None
    assert record.completed_by == peer
    assert record.assist is not None
    assert record.assist.staff == peer
    assert record.assist.patient == patient
    assert record.assist.ended_at is not None
    assert set(record.detail["stops_seen"]) == {key for key, _ in TOUR_STOPS}
    events = AuditEvent.objects.filter(actor=peer, subject=patient)
    assert events.filter(action="onboarding.assist_started").exists()
    assert events.filter(action="patient.viewed").exists()


# --- 3. The first steps without JavaScript ------------------------------------------------------


def test_consent_about_you_and_later_work_without_javascript(new_page, visit, submit):
    page = new_page(javascript=False, viewport=PHONE)
    patient = PatientFactory(preferred_name="Jo")
    services.journey_start(patient=patient)

    _log_in(page, visit, submit, patient.email)
    _at(page, "/welcome/hello/")
    assert page.evaluate("typeof window.htmx") == "undefined"  # really no scripts ran
    submit(page, "Continue")
    submit(page, "Continue")
    _at(page, "/welcome/agreement/")
    page.get_by_label("I have read this and I agree to take part").check()
    submit(page, "I agree")
    _at(page, "/welcome/about-you/")
    _answer_about_you(page)
    submit(page, "Save and continue")
    _at(page, "/welcome/safety-plan/")
    submit(page, "Do this later")
    _at(page, "/welcome/quit-plan/")
    expect(page.get_by_role("status")).to_contain_text("Left for later")

    records = {r.step: r for r in StepRecord.objects.filter(journey__patient=patient)}
    assert records["consent"].completed_at is not None
    assert records["about_you"].completed_at is not None
    assert records["safety_plan"].skipped_at is not None
    assert records["safety_plan"].completed_at is None
    assert Consent.objects.filter(patient=patient, withdrawn_at__isnull=True).exists()
