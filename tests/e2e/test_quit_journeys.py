"""Quit-tracking journeys: a patient makes a quit plan, checks in for three days (two of them
back-filled), watches their progress and charts change and uses "Craving now"; a patient answers
"yes" to the safety question and lands on the crisis page while their clinician's queue shows
the flag; a patient on clozapine sets a quit date and their clinician sees the medication-review
flag and the patient's quit tracking.

Every page is audited (axe WCAG 2.2 AA, "Get help now" visible, no sideways scrolling) at phone
size, and the first journey once more on a desktop. On every page a logged-in patient sees, the
"Craving now" link is in the header, and the page's first-load size is recorded (shown with
`pytest -rP`; no budget is asserted here).
"""

from __future__ import annotations

import re
import weakref
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cessation.models import CheckIn, Craving, Product, QuitPlan, Support, Trigger
from cessation.services import patient_today
from safety.models import Flag
from safety.selectors import crisis_resource_list
from safety.services import safety_plan_update
from tests.cessation.factories import Clock, MedicationFactory
from tests.e2e.test_safety_journeys import (
    _expect_easy_to_tick,
    _log_in,
    _log_in_staff,
    _nav_link,
)
from tests.factories import PASSWORD, ClinicianFactory, PatientFactory

pytestmark = pytest.mark.usefixtures("transactional_db")

DESKTOP = {"width": 1280, "height": 800}
REASONS = "I want to run for the bus without stopping.\nMy grandson asked me to."
SMOKING_CHART = "Cigarettes each day, with your strongest craving"
MOOD_CHART = "Mood beside smoking"

# Tabs in which a patient is logged in: on each of their pages `audit` below also checks the
# header's "Craving now" link and records how much the page weighs on a first load.
_PATIENT_CONTEXTS: weakref.WeakSet = weakref.WeakSet()
# What a first load of the page costs: the HTML as transferred, plus the encoded (compressed)
# body of every stylesheet, script and image it pulls in, whether or not this tab had it cached.
_FIRST_LOAD = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const sizes = {html: nav.transferSize, css: 0, js: 0, other: 0};
    for (const r of performance.getEntriesByType('resource')) {
        const kind = {link: 'css', css: 'css', script: 'js'}[r.initiatorType] || 'other';
        sizes[kind] += r.encodedBodySize;
    }
    return sizes;
}"""


@pytest.fixture
def audit(audit, record_property):
    """The shared audit, and on a logged-in patient's pages: the "Craving now" link is in the
    header, visible and a 48 px target, and the first-load size is recorded."""
    sizes: dict[str, dict] = {}

    def run(page) -> None:
        audit(page)
        if page.context not in _PATIENT_CONTEXTS or "/accounts/login/" in page.url:
            return
        link = page.locator("header").get_by_role("link", name="Craving now", exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert min(box["height"], box["width"]) >= 47.5, f"a small Craving now: {box}"
        path = re.sub(r"\d{4}-\d\d-\d\d", "<day>", page.url.split("/", 3)[-1].split("#")[0])
        sizes.setdefault("/" + path, page.evaluate(_FIRST_LOAD))

    yield run
    if sizes:
        record_property("first_load_bytes", sizes)
        print("First load (bytes) of the patient pages:")
        for path, size in sizes.items():
            total = sum(size.values())
            print(f"  {path:28} {total:>7}  " + ", ".join(f"{k} {v}" for k, v in size.items()))


def _log_in_patient(page, visit, submit, patient) -> None:
    _PATIENT_CONTEXTS.add(page.context)
    _log_in(page, visit, submit, patient)
    assert page.url.endswith("/me/")


def _long_day(day: date) -> str:
    """A day as the check-in pages write it: "Monday 14 July"."""
    return f"{day:%A} {day.day} {day:%B}"


def _stat(page, text: str):
    return page.locator(".stats .stat").filter(has_text=text)


def _chart(page, title: str):
    return page.get_by_role("main").locator("figure.chart").filter(has_text=title)


def _chart_row(page, title: str, day: date):
    """The row for `day` in a chart's "Show the numbers" table, opening the table first."""
    chart = _chart(page, title)
    details = chart.locator("details.chart__data")
    if details.get_attribute("open") is None:
        chart.get_by_text("Show the numbers", exact=True).click()
    label = f"{day:%a} {day.day} {day:%b}"
    return chart.locator("tbody tr").filter(has=page.get_by_role("cell", name=label, exact=True))


def _expect_scale_targets(group) -> None:
    """A 0 to 10 scale: eleven boxes, each one (the number with its radio button) a target at
    least 48 px wide and high, as the design asks, at the page's width."""
    for label in group.locator("label").all():
        box = label.bounding_box()
        assert min(box["width"], box["height"]) >= 47.5, (
            f"scale box {label.inner_text().strip()!r} is {box['width']:.0f} x "
            f"{box['height']:.0f} px"
        )


def _pick(scale, value: int) -> None:
    """Tap a number's box on a 0 to 10 scale (not the small radio button inside it)."""
    _expect_scale_targets(scale)
    scale.locator("label").filter(has_text=re.compile(rf"^\s*{value}\s*$")).click()
    expect(scale.get_by_role("radio", name=str(value), exact=True)).to_be_checked()


def _check_in(page, submit, *, cigarettes: int, craving: int, mood: int, sleep: str, harm="No"):
    form = page.get_by_role("main").locator("form.checkin")
    _expect_easy_to_tick(form)
    form.get_by_label(
        "How many cigarettes or roll-ups have you smoked since your last check-in?"
    ).fill(str(cigarettes))
    for question, value in (
        ("How strong was your strongest craving?", craving),
        ("How is your mood?", mood),
    ):
        _pick(form.get_by_role("group", name=question), value)
    form.get_by_role("group", name="How did you sleep last night?").get_by_role(
        "radio", name=sleep, exact=True
    ).check()
    form.get_by_role("group", name="Have you had thoughts of harming yourself?").get_by_role(
        "radio", name=harm, exact=True
    ).check()
    submit(page, "Send my check-in")


# --- 1. Quit plan, three days of check-ins, progress and charts, Craving now ---------------------


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["phone", "desktop"])
def test_patient_makes_a_quit_plan_checks_in_for_three_days_and_uses_craving_now(
    new_page, visit, submit, click_through, monkeypatch, viewport
):
    # The quit-plan form takes only today or a later day as a new quit date, and check-ins from
    # before the quit date count for nothing in the progress figures. So the clock is set two days
    # back: the patient makes their plan on the day they quit, then comes back two days later,
    # fills in the two days they missed from the links on the check-in page, and checks in today.
    # Then every check-in is on or after the quit date and counts, as it would for someone
    # really using Exhale: the days and the money move with time (quit day → 2 days, £0 → £29),
    # the slip on the quit day takes 2 cigarettes and £1.45 off, the smoke-free days leave the
    # figures as they are, and each check-in adds its numbers to the charts and their summary.
    now = timezone.now()
    page = new_page(viewport=viewport)
    with monkeypatch.context() as patch:
        # The same time of day two calendar days back, in the patient's (default) time zone,
        # so that a clock change in between cannot make it three days.
        Clock(patch, timezone.localtime(now) - timedelta(days=2))
        # Joined a while ago: days before joining are not offered as missed check-ins.
        patient = PatientFactory(
            preferred_name="Robin", date_joined=timezone.now() - timedelta(days=14)
        )
        quit_day = patient_today(patient)

        _log_in_patient(page, visit, submit, patient)
        today_card = page.get_by_role("region", name="Today")
        click_through(page, today_card.get_by_role("link", name="Make my quit plan"))
        assert page.url.endswith("/quit-plan/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Make my quit plan")
        form = page.get_by_role("main").locator("form.quit-plan")
        _expect_easy_to_tick(form)
        form.get_by_label("Your quit date").fill(quit_day.isoformat())
        form.get_by_role("radio", name="Cigarettes", exact=True).check()
        per_day = form.get_by_label("How many a day, before quitting?")
        per_day.fill("3,000")  # a slip of the thumb
        form.get_by_label("Price of a pack or pouch, in pounds").fill("14,50")
        form.get_by_label("How many in a pack, or grams in a pouch?").fill("20")
        form.get_by_role("radio", name="Within 5 minutes").check()
        dose = form.get_by_label("Dose (optional) for nicotine patch", exact=True)
        expect(dose).to_be_hidden()  # each dose box opens once its support is ticked
        form.get_by_role("checkbox", name="Nicotine patch").check()
        expect(dose).to_be_visible()
        dose.fill("21 mg")
        form.get_by_role("checkbox", name="When stressed or upset").check()
        form.get_by_label("Your reasons to quit, in your own words (optional)").fill(REASONS)
        submit(page, "Save my quit plan", status=400)
        # A clear message tied to the field, nothing saved, and everything else still filled in
        # (the price as they typed it, with its comma).
        per_day = page.get_by_label("How many a day, before quitting?")
        expect(per_day).to_have_accessible_description(
            re.compile("Enter a number between 1 and 120.")
        )
        expect(page.get_by_label("Price of a pack or pouch, in pounds")).to_have_value("14,50")
        expect(page.get_by_label("Dose (optional) for nicotine patch", exact=True)).to_have_value(
            "21 mg"
        )
        assert not QuitPlan.objects.filter(patient=patient).exists()
        per_day.fill("20")
        submit(page, "Save my quit plan")

        assert page.url.endswith("/progress/")
        expect(page.get_by_role("status")).to_contain_text("Your quit plan is saved.")
        expect(_stat(page, "is your quit day")).to_contain_text("Today")
        expect(_stat(page, "saved")).to_have_text(re.compile(r"£0\.00\s+saved"))
        expect(_stat(page, "not smoked")).to_have_text(re.compile(r"^\s*0\s+cigarettes not smoked"))
        expect(_chart(page, SMOKING_CHART)).to_contain_text("No check-ins in the last 28 days.")

        plan = QuitPlan.objects.get(patient=patient)
        assert plan.quit_date == quit_day
        assert plan.product == Product.CIGARETTES
        assert (plan.per_day, plan.pack_price, plan.pack_size) == (
            Decimal(20),
            Decimal("14.50"),
            20,
        )
        assert plan.supports == [{"kind": Support.PATCH, "dose": "21 mg"}]
        assert plan.triggers == [Trigger.STRESS]
        assert plan.reasons.replace("\r\n", "\n") == REASONS  # a textarea sends CRLF

    # Two days later, in real time. The session (12 hours unless configured otherwise) has
    # ended: they log in again and land where they were going.
    today = patient_today(patient)
    assert today == quit_day + timedelta(days=2)
    visit(page, "/progress/")
    if "/accounts/login/" in page.url:
        page.get_by_label("Email address").fill(patient.email)
        page.get_by_label("Password").fill(PASSWORD)
        submit(page, "Log in")
    assert page.url.endswith("/progress/")
    # 2 days × 20 cigarettes at £14.50 for 20 (72.5p each).
    expect(_stat(page, "since your quit date")).to_have_text(re.compile(r"^\s*2\s+days since"))
    expect(_stat(page, "saved")).to_have_text(re.compile(r"£29\.00\s+saved"))
    expect(_stat(page, "not smoked")).to_have_text(re.compile(r"^\s*40\s+cigarettes not smoked"))
    expect(page.get_by_role("region", name="How you are doing")).to_contain_text(
        "These are the first two weeks: slips happen, and they do not count against you."
    )

    # Day one, the quit day, back-filled: a slip of 2, a strong craving, a low-ish mood.
    # (Check-in numbers differ day by day so each one shows up in the charts' tables.)
    days = [
        # (day, cigarettes, craving, mood, sleep, not smoked, saved, days checked in)
        (quit_day, 2, 8, 4, "Poorly", 38, "27.55", 1),
        (quit_day + timedelta(days=1), 0, 6, 6, "OK", 38, "27.55", 2),
        (today, 0, 4, 8, "Well", 38, "27.55", 3),
    ]
    for n, (day, cigarettes, craving, mood, sleep, not_smoked, saved, checked) in enumerate(days):
        click_through(page, _nav_link(page, "Check in"))
        assert page.url.endswith("/check-in/")
        missed = page.get_by_role("region", name="Days you can still fill in")
        # Today and the last 3 days can be filled in; the ones already done are not offered.
        backfill = [today - timedelta(days=k) for k in (1, 2, 3)]
        offered = [d for d in backfill if d not in [x[0] for x in days[:n]]]
        expect(missed.get_by_role("link")).to_have_text([_long_day(d) for d in offered])
        if day == today:
            expect(page.get_by_role("heading", level=1)).to_have_text(
                re.compile(r"Check in for\s+today")
            )
        else:
            click_through(page, missed.get_by_role("link", name=_long_day(day), exact=True))
            assert page.url.endswith(f"/check-in/{day.isoformat()}/")
            expect(page.get_by_role("heading", level=1)).to_have_text(
                re.compile(rf"Check in for\s+{_long_day(day)}")
            )
        _check_in(page, submit, cigarettes=cigarettes, craving=craving, mood=mood, sleep=sleep)

        assert page.url.endswith("/progress/")
        status = page.get_by_role("status")
        expect(status).to_contain_text("Thank you for checking in.")
        if cigarettes:
            expect(status).to_contain_text("You had a slip, and that is OK")
        expect(_stat(page, "since your quit date")).to_have_text(re.compile(r"^\s*2\s+days since"))
        expect(_stat(page, "saved")).to_have_text(re.compile(rf"£{re.escape(saved)}\s+saved"))
        expect(_stat(page, "not smoked")).to_have_text(
            re.compile(rf"^\s*{not_smoked}\s+cigarettes not smoked")
        )
        doing = page.get_by_role("region", name="How you are doing")
        expect(doing).to_contain_text("These are the first two weeks")
        expect(doing).to_contain_text("you have told us about 2 cigarettes on 1 day.")
        summary = f"In the last 28 days you checked in on {checked} day{'s' if checked > 1 else ''}"
        expect(_chart(page, SMOKING_CHART).locator(".chart__summary")).to_contain_text(
            f"{summary} and smoked 2 cigarettes on 1 of them."
        )
        # Every day checked in so far is in both charts' tables, with its own numbers.
        for earlier, cigs, crave, feel, *_ in days[: n + 1]:
            expect(_chart_row(page, SMOKING_CHART, earlier).locator("td")).to_have_text(
                [re.compile(r"\w"), str(cigs), str(crave)]
            )
            expect(_chart_row(page, MOOD_CHART, earlier).locator("td")).to_have_text(
                [re.compile(r"\w"), str(cigs), str(feel)]
            )
        expect(
            _chart_row(page, SMOKING_CHART, today - timedelta(days=3)).locator("td")
        ).to_have_text([re.compile(r"\w"), "No check-in", "—"])
    expect(_chart(page, SMOKING_CHART).locator(".chart__summary")).to_contain_text(
        "Cravings averaged 6 out of 10, mood averaged 6 out of 10."
    )
    expect(_chart(page, MOOD_CHART).locator(".chart__summary")).to_have_text(
        "Your mood averaged 6 out of 10: 7 on smoke-free days and 4 on days you smoked."
    )
    assert list(
        CheckIn.objects.filter(patient=patient).order_by("day").values_list("day", "cigarettes")
    ) == [(quit_day, 2), (quit_day + timedelta(days=1), 0), (today, 0)]

    click_through(page, _nav_link(page, "Home"))
    today_card = page.get_by_role("region", name="Today")
    expect(today_card).to_contain_text("You have checked in today. Thank you.")
    expect(today_card.get_by_role("link", name="Change today's check-in")).to_be_visible()
    expect(today_card).to_contain_text(re.compile(r"2\s+days since your quit date"))

    # A craving hits: "Craving now" from the header.
    click_through(page, page.locator("header").get_by_role("link", name="Craving now"))
    assert page.url.endswith("/craving/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Craving now")
    breathe = page.get_by_role("region", name="Breathe for 3 minutes")
    breathe.get_by_role("link", name="Start breathing").click()
    page.wait_for_url(re.compile(r"/craving/#breathe$"))
    expect(breathe.locator(".breathe__circle")).to_be_visible()
    expect(breathe.get_by_role("link", name="Stop")).to_be_visible()
    reasons = page.get_by_role("region", name="Why you are quitting")
    expect(reasons.locator("blockquote")).to_contain_text(
        "I want to run for the bus without stopping."
    )
    expect(reasons.locator("blockquote")).to_contain_text("My grandson asked me to.")
    expect(page.get_by_role("region", name="Things to do for the next 5 minutes")).to_be_visible()

    log = page.get_by_role("region", name="Log this craving")
    strength = log.get_by_role("group", name="How strong is the craving?")
    _expect_easy_to_tick(strength)
    _pick(strength, 7)
    submit(page, "Log this craving")
    # Back on the page's top, the exercise stopped, the confirmation in view.
    assert page.url.endswith("/craving/")
    expect(page.get_by_role("status")).to_contain_text(
        "Logged. Cravings pass, usually within a few minutes."
    )
    expect(page.get_by_role("status")).to_be_in_viewport()
    expect(breathe.locator(".breathe__circle")).to_be_hidden()
    craving = Craving.objects.get(patient=patient)
    assert craving.intensity == 7

    # The craving (7) is now today's strongest, above the 4 of today's check-in.
    click_through(page, _nav_link(page, "My progress"))
    expect(_chart_row(page, SMOKING_CHART, today).locator("td")).to_have_text(
        [re.compile(r"\w"), "0", "7"]
    )
    expect(_chart(page, SMOKING_CHART).locator(".chart__summary")).to_contain_text(
        "Cravings averaged 7 out of 10"
    )


# --- 2. "Yes" to the safety question: crisis page at once, flag in the clinician's queue ---------

PLAN = {
    "warning_signs": ("My warning signs", "I stop eating and sleep all day."),
    "people_to_ask": ("People I can ask for help", "My brother Dev, 07700 900456."),
    "reasons_to_live": ("What matters most to me", "My cat, Biscuit."),
}


def test_yes_to_the_safety_question_shows_crisis_support_and_flags_the_clinician(
    new_page, visit, submit, click_through
):
    clinician = ClinicianFactory(full_name="Dr Amara Osei")
    patient = PatientFactory(profile=clinician, full_name="Casey Doyle", preferred_name="Casey")
    safety_plan_update(
        patient=patient, by=patient, sections={name: text for name, (_, text) in PLAN.items()}
    )

    page = new_page()
    _log_in_patient(page, visit, submit, patient)
    click_through(page, _nav_link(page, "Check in"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"Check in for\s+today"))
    question = page.get_by_role("group", name="Have you had thoughts of harming yourself?")
    expect(question).to_have_accessible_description(
        re.compile("we will show you where to get help straight away and let your care team know")
    )
    _check_in(page, submit, cigarettes=3, craving=7, mood=3, sleep="Hardly at all", harm="Yes")

    assert page.url.endswith("/help/support/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for telling us")
    expect(page.get_by_text("We have let your care team know")).to_be_visible()
    plan = page.get_by_role("region", name="Your safety plan")
    for title, text in PLAN.values():
        expect(plan.get_by_text(title, exact=True)).to_be_visible()
        expect(plan.get_by_text(text, exact=True)).to_be_visible()
    for resource in crisis_resource_list():
        expect(page.get_by_role("heading", name=resource["name"], exact=True)).to_be_visible()
        if resource["href"]:
            link = page.get_by_role("link", name=resource["how"], exact=True)
            expect(link).to_have_attribute("href", resource["href"])

    checkin = CheckIn.objects.get(patient=patient)
    assert checkin.harm_thoughts == CheckIn.SafetyAnswer.YES
    flag = Flag.objects.get(patient=patient, category=Flag.Category.CRISIS)
    assert (flag.severity, flag.source, flag.status) == ("high", Flag.Source.CHECKIN, "open")
    assert flag.handled_by == clinician

    desk = new_page()
    _log_in_staff(desk, visit, submit, clinician)
    expect(desk.locator("header").get_by_role("link", name="Craving now")).to_have_count(0)
    click_through(desk, _nav_link(desk, "Safety flags"))
    row = desk.get_by_role("row").filter(has=desk.get_by_role("link", name="Casey Doyle"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Possible crisis (suicide or self-harm)")
    expect(row.get_by_text("High", exact=True)).to_be_visible()
    expect(row).to_contain_text("Acknowledge within")
    click_through(desk, row.get_by_role("link", name="Casey Doyle"))
    assert desk.url.endswith(f"/flags/{flag.pk}/")
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Possible crisis")
    expect(desk.locator("p.lead")).to_have_text(
        "Said yes to 'Have you had thoughts of harming yourself?' in a check-in"
    )
    expect(desk.get_by_role("main")).to_contain_text("from daily check-in")


# --- 3. A patient on clozapine sets a quit date: medication review for their clinician ----------


def test_patient_on_clozapine_sets_a_quit_date_and_their_clinician_reviews_it(
    new_page, visit, submit, click_through
):
    clinician = ClinicianFactory(full_name="Dr Lena Fischer")
    patient = PatientFactory(profile=clinician, full_name="Jamie Reid", preferred_name="Jamie")
    MedicationFactory(patient=patient, name="Clozapine", dose="300 mg at night")
    MedicationFactory(patient=patient, name="Sertraline", dose="50 mg")
    assert not Flag.objects.filter(patient=patient).exists()

    page = new_page()
    _log_in_patient(page, visit, submit, patient)
    visit(page, "/quit-plan/")
    quit_day = patient_today(patient) + timedelta(days=7)
    form = page.get_by_role("main").locator("form.quit-plan")
    form.get_by_label("Your quit date").fill(quit_day.isoformat())
    form.get_by_role("radio", name="Roll-ups", exact=True).check()
    form.get_by_label("How many a day, before quitting?").fill("15")
    form.get_by_label("Price of a pack or pouch, in pounds").fill("£32.80")
    form.get_by_label("How many in a pack, or grams in a pouch?").fill("50")
    form.get_by_role("checkbox", name="Nicotine gum").check()
    form.get_by_label("Dose (optional) for nicotine gum", exact=True).fill("4 mg")
    form.get_by_role("checkbox", name="When my symptoms are bad").check()
    form.get_by_label("Your reasons to quit, in your own words (optional)").fill("Money.")
    submit(page, "Save my quit plan")

    assert page.url.endswith("/progress/")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Your quit plan is saved.")
    expect(status).to_contain_text(
        "You take Clozapine. When you stop smoking, the amount of it in your blood can go up. "
        "Your care team will check your medicine levels around your quit date. "
        "Please keep taking it as prescribed."
    )
    countdown = page.get_by_role("region", name=re.compile("to your quit date"))
    expect(countdown).to_contain_text(re.compile(r"7\s+days to your quit date"))
    expect(countdown).to_contain_text("Your care team will check your medicine levels")

    flag = Flag.objects.get(patient=patient)
    assert (flag.category, flag.severity) == (Flag.Category.MEDICATION_REVIEW, "high")
    quit_words = f"{quit_day.day} {quit_day:%B %Y}"

    desk = new_page()
    _log_in_staff(desk, visit, submit, clinician)
    click_through(desk, _nav_link(desk, "Safety flags"))
    row = desk.get_by_role("row").filter(has=desk.get_by_role("link", name="Jamie Reid"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Medication review needed")
    expect(row.get_by_text("High", exact=True)).to_be_visible()
    click_through(desk, row.get_by_role("link", name="Jamie Reid"))
    assert desk.url.endswith(f"/flags/{flag.pk}/")
    expect(desk.get_by_role("heading", level=1)).to_contain_text("Medication review needed")
    expect(desk.locator("p.lead")).to_have_text(
        f"Medication review: set a quit date of {quit_words}"
    )
    raised = desk.locator("ol.signals")
    expect(raised).to_contain_text("On clozapine: tobacco smoke induces CYP1A2")
    expect(raised).to_contain_text("Check levels at baseline and about a week after quitting")
    expect(raised.locator("q")).to_have_count(0)  # no empty quotation marks: nothing was said

    click_through(desk, desk.locator("dl.summary").get_by_role("link", name="Jamie Reid"))
    assert desk.url.endswith(f"/patients/{patient.pk}/")
    quit = desk.get_by_role("region", name="Quit tracking")
    expect(quit).to_contain_text("On clozapine (300 mg at night): tobacco smoke induces CYP1A2")
    quit_date = quit.locator("dl.summary dt:text-is('Quit date') + dd")
    expect(quit_date).to_have_text(
        re.compile(rf"{_long_day(quit_day)} {quit_day.year}\s+\(in 7 days\)")
    )
    expect(quit.locator("dl.summary dt:text-is('Support') + dd")).to_contain_text(
        "Nicotine gum: 4 mg"
    )
    expect(quit.get_by_text("Money.", exact=True)).to_be_visible()
    expect(quit.locator("dl.summary dt:text-is('Quit-date history') + dd")).to_contain_text(
        re.compile(rf"set to {quit_day.day} {quit_day:%b %Y}\s+by them")
    )
    calendar = quit.get_by_role("table", name="Check-ins in the last 5 weeks")
    expect(calendar).to_be_visible()
    expect(calendar).to_contain_text("Today: not yet")
    expect(quit.locator("figure.chart")).to_have_count(2)
    expect(quit.locator("figure.chart").first).to_contain_text(SMOKING_CHART)
    medicines = quit.get_by_role("table", name="Medications")
    clozapine = medicines.get_by_role("row").filter(has_text="Clozapine")
    expect(clozapine).to_contain_text("Review when quitting")
    expect(clozapine).to_contain_text("300 mg at night")
    expect(clozapine).to_contain_text("Current")
    expect(medicines.get_by_role("row").filter(has_text="Sertraline")).not_to_contain_text(
        "Review when quitting"
    )
