"""Feasibility-trial journeys in Chromium: the issue's acceptance journey (an admin sets up a
trial and opens recruitment, a clinician offers the study, a patient agrees on a phone and is
randomised, the dashboard and the CONSORT diagram count them, the admin downloads an export),
and a participant answering an open follow-up on a phone while the trial team assesses an
adverse event. Every page on the way is audited (axe, the help link, no sideways scrolling)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from core.models import AuditEvent
from tests.e2e.conftest import PHONE
from tests.factories import PASSWORD, AdminFactory, ClinicianFactory, totp_code
from tests.onboarding.helpers import a_new_patient, at_step
from tests.trials.followup_helpers import a_participant
from tests.trials.helpers import a_recruiting_trial
from trials import sequence
from trials.models import AdverseEvent, Allocation, FollowUp, Participant, ScreeningEntry, Trial
from trials.services.adverse_events import adverse_event_record
from trials.services.followups import followups_tick

pytestmark = pytest.mark.usefixtures("transactional_db")

DESKTOP = {"width": 1280, "height": 900}
TRIAL_NAME = "Exhale feasibility trial"
SLUG = "exhale-ft"
# The statistician's seed. With it, the first allocation of the stratum "psychosis|21+" (a
# diagnosis of psychosis, more than 20 a day) is usual care: the test checks that below.
SEED = "03030303030303030303030303030303"
STRATUM = "psychosis|21+"
PATIENT_NAME = "Casey Marlow"


def _log_in(page, visit, submit, user: User) -> None:
    visit(page, "/accounts/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Log in")


def _log_in_staff(page, visit, submit, user: User) -> None:
    _log_in(page, visit, submit, user)
    assert "/accounts/2fa/authenticate/" in page.url
    page.get_by_role("textbox").fill(totp_code(user))
    submit(page, "Sign In")


def _nav_link(page, name: str):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def _h1(page):
    return page.get_by_role("heading", level=1)


def _at(page, path: str) -> None:
    assert page.url.split("?")[0].endswith(path), f"expected {path}, at {page.url}"


def _summary(scope, term: str):
    """The <dd> after the <dt> `term` in a summary list."""
    return scope.locator(f"dl.summary dt:text-is('{term}') + dd")


def _choose(scope, question: str, answer: str) -> None:
    scope.get_by_role("group", name=question).get_by_role("radio", name=answer, exact=True).check()


def _answer_about_you(page) -> None:
    form = page.get_by_role("main").locator("form")
    form.get_by_label("How old were you when you started smoking?").fill("15")
    form.get_by_label("How many cigarettes or roll-ups do you smoke on a usual day?").fill("25")
    _choose(form, "How soon after waking do you have your first cigarette?", "Within 5 minutes")
    _choose(form, "How many times have you tried to stop in the last year?", "2 to 4 times")
    _choose(form, "How do you feel about stopping?", "I want to stop soon")
    _choose(form, "Do you use an e-cigarette (vape) now?", "No")
    medicines = form.get_by_role("group", name="Do you take any of these medicines?")
    medicines.get_by_role("checkbox", name="None of these").check()
    _choose(form, "How is your mood today?", "6")


def _first_arm_of_stratum() -> str:
    """The arm the seed gives the first participant of STRATUM, from the published algorithm."""
    slot = next(
        sequence.stratum_slots(
            seed=SEED,
            trial_slug=SLUG,
            stratum=STRATUM,
            arms=[("programme", 1), ("usual_care", 1)],
            block_multiples=[1, 2, 3],
            length=1,
        )
    )
    return slot.arm


# --- 1. The acceptance journey --------------------------------------------------------------------


def test_admin_sets_up_a_trial_a_patient_is_randomised_and_the_admin_exports(
    new_page, visit, submit, click_through
):
    assert _first_arm_of_stratum() == "usual_care"
    admin = AdminFactory(full_name="Alex Morgan")
    clinician = ClinicianFactory(full_name="Dr Ana Reyes")
    patient = at_step(a_new_patient(clinician=clinician, full_name=PATIENT_NAME), "about_you")
    patient.set_password(PASSWORD)
    patient.save(update_fields=["password"])

    # The admin sets the trial up (on a desktop screen).
    admin_page = new_page(viewport=DESKTOP)
    _log_in_staff(admin_page, visit, submit, admin)
    click_through(admin_page, _nav_link(admin_page, "Trials"))
    _at(admin_page, "/trials/")
    expect(_h1(admin_page)).to_have_text("Trials")
    expect(admin_page.get_by_role("main")).to_contain_text("No trials yet.")
    click_through(admin_page, admin_page.get_by_role("link", name="Set up a trial"))
    _at(admin_page, "/trials/new/")
    expect(_h1(admin_page)).to_have_text("Set up a trial")
    form = admin_page.get_by_role("main").locator("form")
    form.get_by_label("Name of the trial").fill(TRIAL_NAME)
    form.get_by_label("Short name").fill(SLUG)
    form.get_by_label("Recruitment target").fill("30")
    submit(admin_page, "Save")

    _at(admin_page, f"/trials/{SLUG}/")
    expect(_h1(admin_page)).to_have_text(TRIAL_NAME)
    expect(admin_page.get_by_role("status")).to_contain_text(
        "Trial created with two arms and three follow-ups."
    )
    expect(_summary(admin_page, "Status")).to_have_text("Being set up")
    expect(_summary(admin_page, "Recruitment target")).to_have_text("0 randomised of 30")
    arms = admin_page.get_by_role("table", name="Arms and allocation ratio").locator("tbody tr")
    expect(arms).to_have_count(2)
    expect(arms.nth(0)).to_contain_text("Exhale programme")
    expect(arms.nth(1)).to_contain_text("Usual care")
    points = admin_page.get_by_role("table", name="Follow-up points and their windows")
    expect(points.locator("tbody tr")).to_have_count(3)
    expect(points.locator("tbody tr").nth(0)).to_contain_text("4 weeks after the quit date")
    expect(points.locator("tbody tr").nth(0)).to_contain_text("primary")

    # Opening recruitment: the confirmation is needed, and the seed is shown once.
    click_through(admin_page, admin_page.get_by_role("link", name="Open recruitment"))
    _at(admin_page, f"/trials/{SLUG}/open/")
    expect(_h1(admin_page)).to_have_text(f"Open recruitment: {TRIAL_NAME}")
    admin_page.get_by_label("Seed from the trial statistician (optional)").fill(SEED)
    submit(admin_page, "Open recruitment", status=200)
    _at(admin_page, f"/trials/{SLUG}/open/")
    expect(_h1(admin_page)).to_have_text(f"Open recruitment: {TRIAL_NAME}")  # not ticked
    assert Trial.objects.get(slug=SLUG).status == Trial.Status.SETUP
    admin_page.get_by_label(re.compile("^I understand that arms, strata")).check()
    response = submit(admin_page, "Open recruitment")
    assert "no-store" in response.header_value("cache-control")
    expect(_h1(admin_page)).to_have_text("Recruitment is open")
    expect(admin_page.locator("#seed")).to_have_text(SEED)
    trial = Trial.objects.get(slug=SLUG)
    assert trial.status == Trial.Status.RECRUITING
    assert trial.seed_digest == sequence.seed_digest(SEED)
    click_through(admin_page, admin_page.get_by_role("link", name="I have stored the seed"))
    _at(admin_page, f"/trials/{SLUG}/")
    expect(_summary(admin_page, "Status")).to_have_text("Recruiting")
    expect(admin_page.get_by_role("main")).not_to_contain_text(SEED)
    visit(admin_page, f"/trials/{SLUG}/open/")  # shown once: the page does not open again
    _at(admin_page, f"/trials/{SLUG}/")
    expect(admin_page.get_by_role("main")).not_to_contain_text(SEED)

    # The screening log: someone approached who declined, with a reason and no name.
    click_through(
        admin_page,
        admin_page.get_by_role("navigation", name="This trial").get_by_role(
            "link", name="Screening log"
        ),
    )
    _at(admin_page, "/study/screening/")
    expect(_h1(admin_page)).to_have_text("Screening log")
    form = admin_page.get_by_role("main").locator("form")
    _choose(form, "What happened?", "Declined")
    form.get_by_label("Main reason").select_option(label="Not ready to quit")
    # Today's date is filled in (a date input shows an ISO date only).
    expect(form.get_by_label("Date approached")).to_have_value(timezone.localdate().isoformat())
    submit(admin_page, "Record")
    expect(admin_page.get_by_role("status")).to_contain_text("Recorded. Thank you.")
    counts = admin_page.get_by_role("region", name="Everyone approached so far")
    expect(counts).to_contain_text("Declined: 1")
    expect(counts).to_contain_text("Not ready to quit: 1")
    assert ScreeningEntry.objects.filter(trial=trial, outcome="declined").count() == 1

    # The patient's clinician offers them the study from their page.
    clinician_page = new_page(viewport=DESKTOP)
    _log_in_staff(clinician_page, visit, submit, clinician)
    click_through(clinician_page, _nav_link(clinician_page, "Caseload"))
    click_through(clinician_page, clinician_page.get_by_role("link", name=PATIENT_NAME).first)
    _at(clinician_page, f"/patients/{patient.pk}/")
    study = clinician_page.get_by_role("region", name="Study")
    expect(study).to_contain_text(f"“{TRIAL_NAME}” is recruiting.")
    _choose(
        study,
        "Diagnosis group (used to keep the groups balanced)",
        "Schizophrenia or other psychosis",
    )
    click_through(clinician_page, study.get_by_role("button", name="Offer the study"))
    _at(clinician_page, f"/patients/{patient.pk}/")
    expect(clinician_page.get_by_role("status")).to_contain_text("Study offered.")
    participant = Participant.objects.get(trial=trial, patient=patient)
    assert participant.status == Participant.Status.ENROLLED
    study = clinician_page.get_by_role("region", name="Study")
    expect(_summary(study, "Trial id")).to_have_text(participant.study_id)
    expect(_summary(study, "Status")).to_have_text("Enrolled, not yet agreed")

    # The patient, on their phone: "The study" in their first steps, then About you.
    patient_page = new_page(viewport=PHONE)
    _log_in(patient_page, visit, submit, patient)
    carry_on = patient_page.get_by_role("region", name="Carry on setting up")
    expect(carry_on).to_contain_text("Next: The study")
    click_through(patient_page, carry_on.get_by_role("link", name="Carry on where I left off"))
    _at(patient_page, "/study/agree/")
    main = patient_page.get_by_role("main")
    expect(main).to_contain_text("Taking part is up to you.")
    expect(main.get_by_role("button", name="No thanks")).to_be_visible()
    submit(patient_page, "I agree to take part in the study")
    _at(patient_page, "/welcome/about-you/")
    expect(patient_page.get_by_role("status")).to_contain_text(
        "Thank you for agreeing to take part in the study."
    )
    participant.refresh_from_db()
    assert participant.status == Participant.Status.CONSENTED
    _answer_about_you(patient_page)
    submit(patient_page, "Save and continue")

    allocation = Allocation.objects.select_related("arm").get(participant=participant)
    assert allocation.arm.code == "usual_care"
    assert allocation.stratum == STRATUM
    click_through(patient_page, _nav_link(patient_page, "Your study"))
    _at(patient_page, "/study/")
    expect(_h1(patient_page)).to_have_text("Your study")
    group = patient_page.get_by_role("region", name="Your group")
    expect(group.locator("strong")).to_have_text("Usual care")
    expect(group).to_contain_text("Your care carries on as usual.")
    # Usual care: the menu holds only the study and the safety plan; other pages lead here.
    menu = patient_page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(menu).to_have_text(["Your study", "My safety plan", re.compile("^Notices"), "Account"])
    expect(patient_page.get_by_role("link", name="Craving now")).to_have_count(0)
    visit(patient_page, "/check-in/")
    _at(patient_page, "/study/")

    # The dashboard and the CONSORT flow count them.
    visit(admin_page, f"/trials/{SLUG}/")
    expect(_summary(admin_page, "Recruitment target")).to_have_text("1 randomised of 30")
    click_through(
        admin_page,
        admin_page.get_by_role("navigation", name="This trial").get_by_role(
            "link", name="Dashboard and CONSORT flow"
        ),
    )
    _at(admin_page, f"/trials/{SLUG}/dashboard/")
    expect(_h1(admin_page)).to_have_text(f"Dashboard: {TRIAL_NAME}")
    recruitment = admin_page.get_by_role("region", name="Recruitment", exact=True)
    expect(_summary(recruitment, "Randomised of the target")).to_contain_text(
        re.compile(r"^\s*1\b.*\b30\b")
    )
    expect(_summary(recruitment, "Screened, enrolled, consented, randomised")).to_have_text(
        re.compile(r"^\s*2, 1, 1, 1\s*$")
    )
    consent = admin_page.get_by_role("region", name="Consent and randomisation")
    expect(_summary(consent, "Consent rate (agreed of those asked)")).to_contain_text(
        re.compile(r"100\s*%")
    )
    per_arm = consent.get_by_role("table", name="Randomised per arm")
    expect(per_arm.get_by_role("row", name=re.compile("^Usual care"))).to_contain_text("1")
    expect(per_arm.get_by_role("row", name=re.compile("^Exhale programme"))).to_contain_text("0")
    diagram = admin_page.get_by_role("region", name="CONSORT flow").get_by_role(
        "img", name=re.compile("CONSORT")
    )
    expect(diagram).to_contain_text("Assessed for eligibility (n=2)")
    expect(diagram).to_contain_text("Declined (n=1)")
    expect(diagram).to_contain_text("Randomised (n=1)")
    expect(diagram).to_contain_text("Allocated to Usual care (n=1)")

    svg = admin_page.request.get(f"/trials/{SLUG}/consort.svg")
    assert svg.ok
    assert svg.headers["content-type"].startswith("image/svg+xml")
    body = svg.text()
    for text in ("Assessed for eligibility (n=2)", "Declined (n=1)", "Randomised (n=1)"):
        assert text in body, text

    # The export: a reason, then the participants file, by trial id and nothing that names.
    visit(admin_page, f"/trials/{SLUG}/")
    click_through(
        admin_page,
        admin_page.get_by_role("navigation", name="This trial").get_by_role(
            "link", name="Export the data"
        ),
    )
    _at(admin_page, f"/trials/{SLUG}/exports/")
    main = admin_page.get_by_role("main")
    _choose(main, "Why are you exporting the data?", "The statistician checks the data")
    with admin_page.expect_download() as download_info:
        main.get_by_role("button", name=re.compile(r"^CSV\s*: Participants$")).click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"{SLUG}_")
    assert download.suggested_filename.endswith(".csv")
    text = download.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["study_id"] for row in rows] == [participant.study_id]
    for identifier in (PATIENT_NAME, patient.email, patient.full_name.split()[-1]):
        assert identifier not in text, identifier
    assert AuditEvent.objects.filter(actor=admin, action__startswith="trial.export").exists()
    _at(admin_page, f"/trials/{SLUG}/exports/")  # the page stays where it was


# --- 2. An open follow-up on the phone; an adverse event assessed ---------------------------------


def test_participant_answers_a_follow_up_and_the_trial_team_assesses_an_adverse_event(
    new_page, visit, submit, click_through
):
    admin = AdminFactory(full_name="Alex Morgan")
    trial = a_recruiting_trial(manager=admin)
    clinician = ClinicianFactory(full_name="Dr Ana Reyes")
    today = timezone.localdate()
    participant = a_participant(
        trial=trial,
        clinician=clinician,
        allocated_at=timezone.now() - timedelta(days=35),
        quit_date=today - timedelta(days=30),
    )
    patient = participant.patient
    patient.set_password(PASSWORD)
    patient.save(update_fields=["password"])
    followups_tick(now=timezone.now())
    followup = FollowUp.objects.get(participant=participant, point__code="4w")
    assert followup.status == FollowUp.Status.OPEN
    event = adverse_event_record(
        patient=patient,
        by=clinician,
        source=AdverseEvent.Source.READMISSION,
        occurred_on=today - timedelta(days=3),
        description="Admitted for two nights.",
    )

    # The participant answers the open questions on their phone.
    page = new_page(viewport=PHONE)
    _log_in(page, visit, submit, patient)
    visit(page, "/study/")
    questions = page.get_by_role("region", name="Study questions")
    click_through(
        page,
        questions.get_by_role("link", name="Answer the questions: 4 weeks after the quit date"),
    )
    _at(page, f"/study/follow-up/{followup.pk}/")
    expect(_h1(page)).to_have_text("Your study questions")
    form = page.get_by_role("main").locator("form")
    submit(page, "Send my answers", status=400)  # nothing chosen: told, next to the questions
    expect(page.get_by_role("alert")).to_contain_text("Nothing has been saved yet.")
    form.get_by_role("radio", name="Not even a puff").check()
    form.get_by_role("group", name=re.compile("In the last 7 days")).get_by_role(
        "radio", name="No", exact=True
    ).check()
    submit(page, "Send my answers")
    _at(page, f"/study/follow-up/{followup.pk}/thanks/")
    expect(_h1(page)).to_have_text("Thank you: your answers are saved")
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.COMPLETED
    assert followup.smoked_since == FollowUp.SmokedSince.NONE
    visit(page, "/study/")
    expect(page.get_by_role("region", name="Study questions")).not_to_contain_text(
        "Answer the questions: 4 weeks"
    )

    # The trial manager, also on a phone, lists and assesses the adverse event.
    admin_page = new_page(viewport=PHONE)
    _log_in_staff(admin_page, visit, submit, admin)
    visit(admin_page, f"/trials/{trial.slug}/")
    click_through(
        admin_page,
        admin_page.get_by_role("navigation", name="This trial").get_by_role(
            "link", name="Adverse events"
        ),
    )
    _at(admin_page, f"/trials/{trial.slug}/adverse-events/")
    main = admin_page.get_by_role("main")
    rows = main.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Hospital readmission")
    expect(rows.first).to_contain_text("Not yet")
    expect(main).not_to_contain_text(patient.full_name)
    click_through(admin_page, rows.first.get_by_role("link", name=participant.study_id))
    _at(admin_page, f"/trials/{trial.slug}/adverse-events/{event.pk}/")
    form = admin_page.get_by_role("main").locator("form")
    expect(form.get_by_label("Seriousness")).to_have_value("hospitalisation")
    form.get_by_label("Related to taking part in the study?").select_option(label="Not related")
    form.get_by_label("Expectedness").select_option(label="Expected")
    submit(admin_page, "Save the assessment")
    expect(admin_page.get_by_role("status")).to_contain_text("Assessment saved.")
    event.refresh_from_db()
    assert event.relatedness == AdverseEvent.Relatedness.NOT_RELATED
    assert event.expectedness == AdverseEvent.Expectedness.EXPECTED
    assert event.assessed_at is not None
    visit(admin_page, f"/trials/{trial.slug}/adverse-events/?unassessed=on")
    expect(admin_page.get_by_role("main")).to_contain_text("No adverse events to show.")

    # The trial team's other pages fit a phone too (audited at 360 px).
    for path in (
        "/trials/",
        f"/trials/{trial.slug}/dashboard/",
        f"/trials/{trial.slug}/participation/",
        "/study/screening/",
        f"/trials/{trial.slug}/exports/",
    ):
        visit(admin_page, path)
        _at(admin_page, path)
