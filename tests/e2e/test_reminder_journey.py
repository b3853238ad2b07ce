"""A check-in reminder, from the clock to the person: the real claim and batch services send Kit a
reminder; Kit opens it from their notices and lands on today's check-in, their own, and checks
in. Sam, logged out, opens the very same link: they are asked to log in, then land on their own
empty check-in for that day, never on Kit's answers. Kit then changes when they are reminded:
a time in quiet hours is refused next to the box, 18:30 is saved and the page says so.

Then the care team: the clinician sees the missed days and the open outreach task in the
patient's quit tracking and moves the reminder and the quiet hours; the peer specialist finds the
person in their queue, by first name only, and marks the call as done.

Every page is audited at phone size (axe WCAG 2.2 AA, "Get help now" visible, no sideways
scrolling)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cessation import services
from cessation.models import (
    CheckIn,
    CheckInReminder,
    CheckInSchedule,
    MissedCheckIn,
    OutreachTask,
)
from core.models import Notification
from tests.e2e.test_safety_journeys import _expect_easy_to_tick, _log_in, _log_in_staff
from tests.factories import PASSWORD, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.usefixtures("transactional_db")

KITS_NOTE = "Walked to the shop instead of smoking."


def _long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def _heading(page):
    return page.get_by_role("heading", level=1)


def _fill_check_in(page, *, cigarettes: str, craving: str, mood: str, sleep: str, note: str):
    form = page.get_by_role("main").locator("form.checkin")
    _expect_easy_to_tick(form)
    form.get_by_label(
        "How many cigarettes or roll-ups have you smoked since your last check-in?"
    ).fill(cigarettes)
    for question, value in (
        ("How strong was your strongest craving?", craving),
        ("How is your mood?", mood),
    ):
        group = form.get_by_role("group", name=question)
        group.locator("label").filter(has_text=re.compile(rf"^\s*{value}\s*$")).click()
    form.get_by_role("group", name="How did you sleep last night?").get_by_role(
        "radio", name=sleep, exact=True
    ).check()
    form.get_by_role("group", name="Have you had thoughts of harming yourself?").get_by_role(
        "radio", name="No", exact=True
    ).check()
    form.get_by_label("Anything else you want your care team to know? (optional)").fill(note)


def test_a_reminder_opens_todays_check_in_for_the_person_reminded_and_no_one_else(
    new_page, visit, submit, click_through
):
    clinician = ClinicianFactory()
    kit = PatientFactory(profile=clinician, preferred_name="Kit")
    sam = PatientFactory(profile=clinician, preferred_name="Sam")
    services.schedule_for(sam)  # Sam has a schedule too, not due now
    services.schedule_for(kit)
    CheckInSchedule.objects.filter(pk=kit.pk).update(
        next_due_at=timezone.now() - timedelta(minutes=1)
    )

    # The clock: one tick's claim, one batch, run here rather than by a worker.
    claimed = services.reminders_claim_due()
    assert claimed == [kit.pk]
    assert services.reminders_send_batch(schedule_ids=claimed) == 1
    today = services.patient_today(kit)
    link = f"/check-in/{today.isoformat()}/"
    reminder = CheckInReminder.objects.get(patient=kit)
    assert reminder.day == today
    assert Notification.objects.get(recipient=kit, kind="checkin_reminder").url == link
    assert not Notification.objects.filter(recipient=sam).exists()

    # Kit opens the reminder from their notices and checks in for today.
    page = new_page()
    _log_in(page, visit, submit, kit)
    visit(page, "/notifications/")
    notice = (
        page.get_by_role("main")
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", name=re.compile("Time for your Exhale check-in")))
    )
    expect(notice).to_contain_text("It takes about a minute.")
    click_through(page, notice.get_by_role("button", name="Open", exact=True))
    assert page.url.endswith(link)
    expect(_heading(page)).to_have_text(re.compile(rf"Check in for\s+today, {_long_day(today)}"))
    _fill_check_in(page, cigarettes="0", craving="6", mood="4", sleep="OK", note=KITS_NOTE)
    submit(page, "Send my check-in")
    assert page.url.endswith("/progress/")
    expect(page.get_by_role("status")).to_contain_text("Thank you for checking in.")
    checkin = CheckIn.objects.get(patient=kit)
    assert (checkin.day, checkin.mood, checkin.note) == (today, 4, KITS_NOTE)

    # Sam, logged out, opens the same link: log in first, then their own, empty check-in.
    other = new_page()
    visit(other, link)
    assert "/accounts/login/" in other.url
    other.get_by_label("Email address").fill(sam.email)
    other.get_by_label("Password").fill(PASSWORD)
    submit(other, "Log in")
    assert other.url.endswith(link)
    expect(_heading(other)).to_have_text(re.compile(rf"Check in for\s+today, {_long_day(today)}"))
    main = other.get_by_role("main")
    expect(main).not_to_contain_text("Change your check-in")
    expect(main).not_to_contain_text(KITS_NOTE)
    expect(
        main.get_by_label(
            "How many cigarettes or roll-ups have you smoked since your last check-in?"
        )
    ).to_have_value("")
    for radio in main.locator("input[type=radio]").all():
        expect(radio).not_to_be_checked()
    assert not CheckIn.objects.filter(patient=sam).exists()

    # Kit changes when they are reminded, from the progress page.
    click_through(
        page, page.get_by_role("main").get_by_role("link", name="Change when we remind you")
    )
    assert page.url.endswith("/check-in/reminders/")
    summary = page.get_by_role("region", name="Your reminders")
    # A week out of hospital: morning and evening for now, the evening one after that.
    expect(summary).to_contain_text("more often: at 09:30 and 19:00 each day")
    expect(summary).to_contain_text("After that, at 19:00 each day.")
    expect(summary).to_contain_text("by email and in Exhale")
    expect(summary).to_contain_text("we never send a reminder between 22:00 and 08:00")
    first = page.get_by_label("First time", exact=True)
    expect(first).to_have_value("19:00")
    before = CheckInSchedule.objects.values_list("times", "next_due_at").get(pk=kit.pk)

    first.fill("23:00")
    submit(page, "Save my reminders", status=400)
    expect(page.locator("#id_time_1_error")).to_contain_text(
        "23:00 is in quiet hours (22:00 to 08:00)"
    )
    expect(page.get_by_label("First time", exact=True)).to_have_attribute(
        "aria-describedby", re.compile("id_time_1_error")
    )
    assert CheckInSchedule.objects.values_list("times", "next_due_at").get(pk=kit.pk) == before

    page.get_by_label("First time", exact=True).fill("18:30")
    submit(page, "Save my reminders")
    assert page.url.endswith("/check-in/reminders/")
    expect(page.get_by_role("status")).to_contain_text("Saved.")
    expect(summary).to_contain_text("After that, at 18:30 each day.")
    expect(page.get_by_label("First time", exact=True)).to_have_value("18:30")
    assert CheckInSchedule.objects.get(pk=kit.pk).times == ["18:30"]


def test_the_care_team_sees_who_has_stopped_checking_in_and_reaches_out(
    new_page, visit, submit, click_through
):
    clinician, peer = ClinicianFactory(), PeerFactory()
    kit = PatientFactory(
        profile=clinician,
        profile__peer_specialist=peer,
        full_name="Christopher Marlowe",
        preferred_name="Kit",
        date_joined=timezone.now() - timedelta(days=20),
    )
    services.schedule_for(kit)
    today = services.patient_today(kit)
    for n, ago in enumerate((2, 1), start=1):
        MissedCheckIn.objects.create(patient=kit, day=today - timedelta(days=ago), in_row=n)
    CheckInSchedule.objects.filter(pk=kit.pk).update(missed_in_row=2)
    task = OutreachTask.objects.create(
        patient=kit, peer=peer, reason="Has not checked in for 2 days in a row"
    )
    yesterday = today - timedelta(days=1)

    # The clinician sees the reminders, the missed days and the outreach on the patient page,
    # then moves the reminder later and the quiet hours with it.
    desk = new_page()
    _log_in_staff(desk, visit, submit, clinician)
    visit(desk, f"/patients/{kit.pk}/")
    main = desk.get_by_role("main")
    expect(main).to_contain_text("2 check-ins missed in a row")
    expect(main).to_contain_text(f"{yesterday:%a} {yesterday.day} {yesterday:%b} (2 in a row)")
    expect(main).to_contain_text(f"{peer.full_name} (peer support) is asked to reach out.")
    expect(main).to_contain_text("their time (Europe/London)")
    click_through(desk, main.get_by_role("link", name="Change their reminders"))
    assert desk.url.endswith(f"/patients/{kit.pk}/reminders/")
    desk.get_by_label("Quiet hours start").fill("18:00")
    submit(desk, "Save reminders", status=400)
    expect(desk.locator("#id_time_1_error")).to_contain_text("19:00 is in quiet hours")
    desk.get_by_label("Quiet hours start").fill("23:00")
    desk.get_by_label("Quiet hours end").fill("07:00")
    desk.get_by_label("First time", exact=True).fill("22:30")
    submit(desk, "Save reminders")
    assert f"/patients/{kit.pk}/" in desk.url
    expect(desk.get_by_role("status")).to_contain_text("Check-in reminders saved for Kit.")
    expect(desk.get_by_role("main")).to_contain_text("Quiet hours 23:00 to 07:00.")
    schedule = CheckInSchedule.objects.get(pk=kit.pk)
    assert schedule.times == ["22:30"]
    assert schedule.updated_by == clinician

    # The peer finds Kit in their queue, by first name only, and marks the call as done.
    peer_page = new_page()
    _log_in_staff(peer_page, visit, submit, peer)
    nav = peer_page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name=re.compile(r"^People to reach out to"))).to_contain_text(
        "1"
    )
    click_through(peer_page, nav.get_by_role("link", name=re.compile(r"^People to reach out to")))
    main = peer_page.get_by_role("main")
    item = main.get_by_role("listitem").filter(has=peer_page.get_by_role("heading", name="Kit"))
    expect(item).to_contain_text("Missed 2 check-ins in a row.")
    expect(main).not_to_contain_text("Marlowe")
    expect(main).not_to_contain_text(kit.email)
    item.get_by_label("What happened? (optional)").fill("Phoned. Phone had been broken.")
    click_through(peer_page, item.get_by_role("button", name="Mark as done for Kit"))
    expect(peer_page.get_by_role("status")).to_contain_text("Thank you. Marked as done.")
    expect(peer_page.get_by_role("main")).to_contain_text("Nobody to reach out to right now.")
    task.refresh_from_db()
    assert (task.status, task.note) == (OutreachTask.Status.DONE, "Phoned. Phone had been broken.")
