"""The people's side of the check-in clock: the patient's reminder page, the clinician's, the
reminders in the clinician's section of the patient page, the peer's outreach queue, the
withdrawal note after a check-in, and where a reminder's link leads (and for whom).

Real URLs, real services, real status codes; the clock is set where a time is asserted."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cessation import services
from cessation.models import (
    CheckIn,
    CheckInReminder,
    CheckInSchedule,
    MissedCheckIn,
    OutreachTask,
    QuitPlan,
)
from core import services as core_services
from core.models import AuditEvent, Notification
from safety.models import Flag
from tests.cessation.factories import CheckInFactory, Clock
from tests.factories import PASSWORD, AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

# A Tuesday in British Summer Time: 12:00 in London.
NOON_IN_LONDON = datetime(2025, 7, 15, 11, 0, tzinfo=UTC)
SCHEDULE_FIELDS = (
    "frequency",
    "times",
    "early_times",
    "weekday",
    "quiet_start",
    "quiet_end",
    "next_due_at",
    "next_missed_check_at",
    "claimed_until",
    "updated_by_id",
    "updated_at",
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOON_IN_LONDON)


@pytest.fixture
def team(clock):
    """A patient a week out of hospital (so the first weeks' times apply) and their care team."""
    clinician, backup, peer = ClinicianFactory(), ClinicianFactory(), PeerFactory()
    patient = PatientFactory(
        profile=clinician,
        profile__backup_clinician=backup,
        profile__peer_specialist=peer,
        profile__discharged_on=date(2025, 7, 8),
        full_name="Christopher Marlowe",
        preferred_name="Kit",
        email="kit.marlowe@example.org",
        date_joined=NOON_IN_LONDON - timedelta(days=30),
    )
    return {"patient": patient, "clinician": clinician, "backup": backup, "peer": peer}


def _row(patient) -> tuple:
    return tuple(CheckInSchedule.objects.filter(pk=patient.pk).values_list(*SCHEDULE_FIELDS).get())


def _text(response) -> str:
    """The page's text as a person reads it: tags dropped, spaces collapsed."""
    body = re.sub(r"</?(strong|em|span|a)\b[^>]*>", "", response.content.decode())
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html_lib.unescape(body))


def _field_error(response, field: str) -> str:
    """The error shown next to one field (Django's id for it: id_<field>_error)."""
    match = re.search(
        rf'<div class="error" id="id_{field}_error">(.*?)</div>', response.content.decode(), re.S
    )
    assert match, f"no error next to {field}"
    return html_lib.unescape(re.sub(r"<[^>]+>|\s+", " ", match[1])).strip()


def _schedule_data(**overrides) -> dict:
    data = {
        "frequency": "daily",
        "weekday": "",
        "time_1": "19:00",
        "time_2": "",
        "time_3": "",
        "time_4": "",
        "early_1": "09:30",
        "early_2": "19:00",
        "early_3": "",
        "early_4": "",
    }
    data.update(overrides)
    return data


def _staff_data(**overrides) -> dict:
    return _schedule_data(**{"quiet_start": "22:00", "quiet_end": "08:00", **overrides})


# --- Who may open which page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("patient", HTTPStatus.OK),
        ("clinician", HTTPStatus.FORBIDDEN),
        ("peer", HTTPStatus.FORBIDDEN),
        ("admin", HTTPStatus.FORBIDDEN),
    ],
)
def test_the_reminder_page_is_the_patients_own(client, team, who, status):
    client.force_login(AdminFactory() if who == "admin" else team[who])

    response = client.get(reverse("cessation:schedule"))

    assert response.status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("clinician", HTTPStatus.OK),
        ("backup", HTTPStatus.OK),
        ("other clinician", HTTPStatus.NOT_FOUND),
        ("patient", HTTPStatus.FORBIDDEN),
        ("peer", HTTPStatus.FORBIDDEN),
        ("admin", HTTPStatus.FORBIDDEN),
    ],
)
def test_the_clinicians_reminder_page_is_for_the_care_team_only(client, team, who, status):
    user = {"other clinician": ClinicianFactory, "admin": AdminFactory}.get(who)
    client.force_login(user() if user else team[who])

    response = client.get(reverse("cessation_staff:schedule", args=[team["patient"].pk]))

    assert response.status_code == status
    assert ("Kit" in response.content.decode()) == (status == HTTPStatus.OK)


@pytest.mark.parametrize("name", ["cessation:schedule", "cessation_staff:schedule"])
def test_someone_logged_out_is_sent_to_log_in(client, team, name):
    url = reverse(name, args=[team["patient"].pk] if "staff" in name else [])

    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert not CheckInSchedule.objects.exists()


def test_opening_the_pages_saves_nothing(client, team):
    """A patient without a schedule row is shown the defaults; only a change saves one."""
    client.force_login(team["patient"])
    assert client.get(reverse("cessation:schedule")).status_code == HTTPStatus.OK
    client.force_login(team["clinician"])
    patient_page = reverse("accounts:patient_detail", args=[team["patient"].pk])
    assert client.get(patient_page).status_code == HTTPStatus.OK

    assert not CheckInSchedule.objects.exists()


# --- The patient's page ---------------------------------------------------------------------------


def test_the_patient_reads_when_they_are_reminded_in_plain_words(client, team):
    client.force_login(team["patient"])

    text = _text(client.get(reverse("cessation:schedule")))

    # A week after leaving hospital: the first weeks' times, until when, and what comes after.
    assert (
        "Until Monday 21 July (the first two weeks after you left hospital), we remind you more "
        "often: at 09:30 and 19:00 each day. After that, at 19:00 each day." in text
    )
    assert "Reminders come by email and in Exhale." in text
    assert "Your next reminder: today at 19:00." in text
    assert "we never send a reminder between 22:00 and 08:00" in text
    assert "Your care team can change these." in text


def test_after_the_first_weeks_the_page_says_one_sentence(client, clock):
    patient = PatientFactory(profile__discharged_on=date(2025, 5, 1))
    client.force_login(patient)

    response = client.get(reverse("cessation:schedule"))

    text = _text(response)
    assert "We'll send you a reminder at 19:00 each day, by email and in Exhale." in text
    assert "first two weeks" not in text
    assert 'name="early_1"' not in response.content.decode()


def test_quiet_hours_are_shown_to_the_patient_but_not_editable(client, team):
    services.schedule_for(team["patient"])
    before = _row(team["patient"])
    client.force_login(team["patient"])

    page = client.get(reverse("cessation:schedule")).content.decode()
    response = client.post(
        reverse("cessation:schedule"),
        _schedule_data(quiet_start="23:30", quiet_end="06:00", time_1="19:00"),
    )

    assert 'name="quiet_start"' not in page
    assert response.status_code == HTTPStatus.FOUND
    schedule = CheckInSchedule.objects.get(pk=team["patient"].pk)
    assert (schedule.quiet_start, schedule.quiet_end) == (before[4], before[5])
    assert (schedule.quiet_start, schedule.quiet_end) == (time(22, 0), time(8, 0))


def test_the_check_in_and_progress_pages_link_to_the_reminders(client, team):
    client.force_login(team["patient"])
    link = f'href="{reverse("cessation:schedule")}"'

    for name in ("cessation:checkin", "cessation:progress"):
        html = client.get(reverse(name)).content.decode()
        assert link in html
        assert "Change when we remind you" in html


def test_a_good_change_moves_the_next_reminder(client, team, clock):
    patient = team["patient"]
    schedule = services.schedule_for(patient)
    assert schedule.next_due_at == datetime(2025, 7, 15, 18, 0, tzinfo=UTC)  # 19:00 BST
    client.force_login(patient)

    response = client.post(
        reverse("cessation:schedule"),
        _schedule_data(time_1="18:30", early_1="09:30", early_2="6.30pm"),
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("cessation:schedule")
    schedule.refresh_from_db()
    assert schedule.times == ["18:30"]
    assert schedule.early_times == ["09:30", "18:30"]
    assert schedule.next_due_at == datetime(2025, 7, 15, 17, 30, tzinfo=UTC)  # 18:30 BST
    assert schedule.updated_by == patient
    text = _text(client.get(response.url))
    assert "Saved." in text
    assert "After that, at 18:30 each day." in text
    assert "Your next reminder: today at 18:30." in text


def test_a_patient_can_choose_one_day_a_week_and_up_to_four_times(client, clock):
    patient = PatientFactory(profile__discharged_on=date(2025, 5, 1))
    client.force_login(patient)

    response = client.post(
        reverse("cessation:schedule"),
        _schedule_data(
            frequency="weekly",
            weekday="4",
            time_1="20:00",
            time_2="08:15",
            time_3="1300",
            time_4="17:00",
        ),
    )

    assert response.status_code == HTTPStatus.FOUND
    schedule = CheckInSchedule.objects.get(pk=patient.pk)
    assert (schedule.frequency, schedule.weekday) == ("weekly", 4)
    assert schedule.times == ["08:15", "13:00", "17:00", "20:00"]
    assert schedule.next_due_at == datetime(2025, 7, 18, 7, 15, tzinfo=UTC)  # Friday 08:15 BST
    text = _text(client.get(reverse("cessation:schedule")))
    assert "at 08:15, 13:00, 17:00 and 20:00 every Friday" in text
    assert "Your next reminder: Friday 18 July at 08:15." in text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"time_1": "23:00"},
            "time_1",
            "23:00 is in quiet hours (22:00 to 08:00), when we send no reminders.",
        ),
        ({"time_2": "07:59"}, "time_2", "07:59 is in quiet hours"),
        ({"time_1": "25:00"}, "time_1", "“25:00” is not a time of day."),
        ({"time_1": "soon"}, "time_1", "“soon” is not a time of day."),
        ({"time_1": ""}, "time_1", "Choose at least one time, like 19:00."),
        ({"frequency": "weekly"}, "weekday", "Choose the day of the week for your reminder."),
        ({"frequency": "hourly"}, "frequency", "Select a valid choice."),
        ({"weekday": "9", "frequency": "weekly"}, "weekday", "Select a valid choice."),
        ({"early_1": "06:00"}, "early_1", "06:00 is in quiet hours"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_changes(
    client, team, data, field, message
):
    patient = team["patient"]
    services.schedule_for(patient)
    before = _row(patient)
    audits = AuditEvent.objects.count()
    client.force_login(patient)

    response = client.post(reverse("cessation:schedule"), _schedule_data(**data))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in _field_error(response, field)
    assert "Nothing has been saved yet." in _text(response)
    assert _row(patient) == before
    assert AuditEvent.objects.count() == audits


def test_more_than_four_times_cannot_be_sent(client, team):
    """The form has four boxes; a fifth value is ignored, never saved."""
    client.force_login(team["patient"])

    client.post(reverse("cessation:schedule"), _schedule_data(time_5="12:00"))

    assert CheckInSchedule.objects.get(pk=team["patient"].pk).times == ["19:00"]


# --- The clinician's page -------------------------------------------------------------------------


def test_the_clinician_changes_times_and_quiet_hours_with_an_audit_trail(client, team, clock):
    patient, clinician = team["patient"], team["clinician"]
    client.force_login(clinician)
    url = reverse("cessation_staff:schedule", args=[patient.pk])

    page = client.get(url)
    response = client.post(
        url,
        _staff_data(quiet_start="23:00", quiet_end="07:00", time_1="22:30", early_1="", early_2=""),
    )

    assert 'name="quiet_start"' in page.content.decode()
    assert "Times are the patient's own local time (Europe/London)." in _text(page)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("accounts:patient_detail", args=[patient.pk]))
    schedule = CheckInSchedule.objects.get(pk=patient.pk)
    assert (schedule.quiet_start, schedule.quiet_end) == (time(23, 0), time(7, 0))
    assert (schedule.times, schedule.early_times) == (["22:30"], [])
    assert schedule.next_due_at == datetime(2025, 7, 15, 21, 30, tzinfo=UTC)
    assert schedule.updated_by == clinician
    viewed = AuditEvent.objects.filter(actor=clinician, subject=patient, action="patient.viewed")
    assert viewed.count() == 2  # the page, then the change
    assert viewed.first().detail["purpose"] == "quit_tracking"
    assert AuditEvent.objects.filter(
        actor=clinician, subject=patient, action="checkin_schedule.updated"
    ).exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"quiet_start": "99:00"}, "quiet_start", "“99:00” is not a time of day."),
        ({"quiet_end": ""}, "quiet_end", "Enter when quiet hours end, like 08:00."),
        # Longer quiet hours that swallow the chosen time: said next to the time.
        ({"quiet_start": "18:00"}, "time_1", "19:00 is in quiet hours (18:00 to 08:00)"),
        ({"time_1": "25:00"}, "time_1", "“25:00” is not a time of day."),
        ({"frequency": "weekly"}, "weekday", "Choose the day of the week"),
    ],
)
def test_the_clinicians_bad_input_is_refused_and_nothing_changes(
    client, team, data, field, message
):
    patient = team["patient"]
    services.schedule_for(patient)
    before = _row(patient)
    client.force_login(team["clinician"])

    response = client.post(
        reverse("cessation_staff:schedule", args=[patient.pk]), _staff_data(**data)
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in _field_error(response, field)
    assert _row(patient) == before


def test_another_clinician_cannot_change_the_schedule(client, team):
    services.schedule_for(team["patient"])
    before = _row(team["patient"])
    client.force_login(ClinicianFactory())

    response = client.post(
        reverse("cessation_staff:schedule", args=[team["patient"].pk]),
        _staff_data(time_1="12:00"),
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert _row(team["patient"]) == before


# --- The clinician's section of the patient page --------------------------------------------------


def test_the_section_shows_the_schedule_missed_check_ins_and_outreach(client, team):
    patient = team["patient"]
    schedule = services.schedule_for(patient)
    schedule.missed_in_row = 3
    schedule.save()
    for n, day in enumerate((date(2025, 7, 12), date(2025, 7, 13), date(2025, 7, 14)), start=1):
        MissedCheckIn.objects.create(patient=patient, day=day, in_row=n)
    OutreachTask.objects.create(
        patient=patient, peer=team["peer"], reason="Has not checked in for 2 days in a row"
    )
    client.force_login(team["clinician"])

    response = client.get(reverse("accounts:patient_detail", args=[patient.pk]))

    text = _text(response)
    assert "Check-in reminders" in text
    assert "at 09:30 and 19:00 each day" in text
    assert "After that, at 19:00 each day." in text
    assert "Next reminder: today at 19:00, their time (Europe/London)." in text
    assert "Quiet hours 22:00 to 08:00." in text
    assert "3 check-ins missed in a row" in text
    assert "Mon 14 Jul (3 in a row)" in text
    assert "Sat 12 Jul (1 in a row)" in text
    assert f"{team['peer'].full_name} (peer support) is asked to reach out." in text
    assert reverse("cessation_staff:schedule", args=[patient.pk]) in response.content.decode()


def test_the_next_reminder_is_in_the_patients_own_time(client, clock):
    """12:00 in London is 07:00 in New York: their 19:00 reminder is at 23:00 UTC."""
    clinician = ClinicianFactory()
    patient = PatientFactory(
        profile=clinician,
        profile__time_zone="America/New_York",
        profile__discharged_on=date(2025, 5, 1),
    )
    assert services.schedule_for(patient).next_due_at == datetime(2025, 7, 15, 23, 0, tzinfo=UTC)
    client.force_login(clinician)

    text = _text(client.get(reverse("accounts:patient_detail", args=[patient.pk])))

    assert "Next reminder: today at 19:00, their time (America/New_York)." in text


def test_the_section_says_when_all_is_well(client, team):
    client.force_login(team["clinician"])

    text = _text(client.get(reverse("accounts:patient_detail", args=[team["patient"].pk])))

    assert "None: checking in as scheduled" in text
    assert "No open outreach task" in text


def test_the_peer_does_not_see_the_reminders_section(client, team):
    client.force_login(team["peer"])

    text = _text(client.get(reverse("accounts:patient_detail", args=[team["patient"].pk])))

    assert "Check-in reminders" not in text


# --- The peer's outreach queue --------------------------------------------------------------------


def test_the_queue_shows_only_the_peers_own_tasks_by_display_name(client, team):
    patient, peer = team["patient"], team["peer"]
    schedule = services.schedule_for(patient)
    schedule.missed_in_row = 4
    schedule.save()
    mine = OutreachTask.objects.create(patient=patient, peer=peer, reason="Has not checked in")
    ada = PatientFactory(full_name="Ada Lovelace", email="ada@example.org")
    OutreachTask.objects.create(patient=ada, peer=peer, reason="Has not checked in for 2 days")
    other = PatientFactory(full_name="Zebedee Quill", preferred_name="Zeb")
    OutreachTask.objects.create(patient=other, peer=PeerFactory(), reason="Not yours")
    client.force_login(peer)

    response = client.get(reverse("cessation_staff:outreach_queue"))

    assert response.status_code == HTTPStatus.OK
    html, text = response.content.decode(), _text(response)
    assert "Kit" in text
    assert "Ada" in text
    assert "Missed 4 check-ins in a row." in text
    assert "Has not checked in for 2 days." in text  # no schedule row: the task's own reason
    for private in ("Christopher", "Marlowe", "Lovelace", "kit.marlowe@", "ada@example.org"):
        assert private not in html
    assert "Zeb" not in text
    assert reverse("cessation_staff:outreach_close", args=[mine.pk]) in html
    # One note box per task, each with its own id, so each label names its own box.
    ids = re.findall(r'<textarea[^>]* id="([^"]+)"', html)
    assert len(set(ids)) == len(ids) == 2


@pytest.mark.parametrize("who", ["patient", "clinician"])
def test_the_queue_is_for_peers(client, team, who):
    client.force_login(team[who])

    assert client.get(reverse("cessation_staff:outreach_queue")).status_code == (
        HTTPStatus.FORBIDDEN
    )


def test_the_peer_marks_a_task_as_done_with_a_note(client, team):
    task = OutreachTask.objects.create(
        patient=team["patient"], peer=team["peer"], reason="Has not checked in"
    )
    client.force_login(team["peer"])

    response = client.post(
        reverse("cessation_staff:outreach_close", args=[task.pk]),
        {"note": "Phoned. Phone was broken; back tomorrow."},
        follow=True,
    )

    task.refresh_from_db()
    assert task.status == OutreachTask.Status.DONE
    assert task.note == "Phoned. Phone was broken; back tomorrow."
    assert task.closed_by == team["peer"]
    assert AuditEvent.objects.filter(actor=team["peer"], action="outreach.closed").exists()
    text = _text(response)
    assert "Thank you. Marked as done." in text
    assert "Nobody to reach out to right now." in text
    assert "Kit: done" in text


def test_the_note_is_optional(client, team):
    task = OutreachTask.objects.create(
        patient=team["patient"], peer=team["peer"], reason="Has not checked in"
    )
    client.force_login(team["peer"])

    client.post(reverse("cessation_staff:outreach_close", args=[task.pk]), {"note": ""})

    task.refresh_from_db()
    assert (task.status, task.note) == (OutreachTask.Status.DONE, "")


def test_another_peers_task_is_a_404_and_stays_open(client, team):
    task = OutreachTask.objects.create(
        patient=team["patient"], peer=team["peer"], reason="Has not checked in"
    )
    client.force_login(PeerFactory())

    response = client.post(
        reverse("cessation_staff:outreach_close", args=[task.pk]), {"note": "not mine"}
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    task.refresh_from_db()
    assert (task.status, task.note, task.closed_at) == (OutreachTask.Status.OPEN, "", None)


def test_the_peer_nav_and_home_lead_to_the_queue_with_a_count(client, team):
    OutreachTask.objects.create(patient=team["patient"], peer=team["peer"], reason="Not in")
    client.force_login(team["peer"])
    queue = reverse("cessation_staff:outreach_queue")

    response = client.get(reverse("accounts:peer_home"))

    nav = re.search(r'<nav class="site-nav".*?</nav>', response.content.decode(), re.S)[0]
    assert f'href="{queue}"' in nav
    assert re.search(r"People to reach out to\s*<span class=\"badge\">1<", nav)
    text = _text(response)
    assert "1 person has stopped checking in" in text
    assert "See people to reach out to" in text


# --- The withdrawal note --------------------------------------------------------------------------


def _plan(patient, days_ago: int) -> QuitPlan:
    return QuitPlan.objects.create(
        patient=patient,
        quit_date=services.patient_today(patient) - timedelta(days=days_ago),
        per_day=Decimal(20),
        pack_price=Decimal("15.00"),
        pack_size=20,
    )


def _check_in(client, **answers):
    data = {"cigarettes": "0", "craving": "3", "mood": "6", "sleep": "ok", "harm_thoughts": "no"}
    data.update(answers)
    return client.post(reverse("cessation:checkin"), data, follow=True)


WITHDRAWAL = "common in the first few weeks after stopping smoking"


@pytest.mark.parametrize(
    "answers", [{"mood": "3"}, {"sleep": "poorly"}, {"sleep": "hardly"}, {"craving": "8"}]
)
def test_the_withdrawal_note_follows_a_hard_day_in_the_first_four_weeks(client, team, answers):
    _plan(team["patient"], days_ago=10)
    client.force_login(team["patient"])

    text = _text(_check_in(client, **answers))

    assert "Thank you for checking in." in text
    assert WITHDRAWAL in text
    assert "They usually pass within 2 to 4 weeks." in text
    assert "tell your care team, or use Get help now" in text


@pytest.mark.parametrize(
    ("days_ago", "answers"),
    [
        (10, {}),  # a good day in the first weeks
        (28, {"mood": "3"}),  # four weeks on
        (60, {"mood": "3", "sleep": "hardly"}),
        (-3, {"mood": "3"}),  # before the quit date
    ],
)
def test_no_withdrawal_note_otherwise(client, team, days_ago, answers):
    if days_ago < 0:
        QuitPlan.objects.create(
            patient=team["patient"],
            quit_date=services.patient_today(team["patient"]) + timedelta(days=3),
            per_day=Decimal(20),
            pack_price=Decimal("15.00"),
            pack_size=20,
        )
    else:
        _plan(team["patient"], days_ago=days_ago)
    client.force_login(team["patient"])

    text = _text(_check_in(client, **answers))

    assert "Thank you for checking in." in text
    assert WITHDRAWAL not in text


def test_no_withdrawal_note_without_a_quit_plan(client, team):
    client.force_login(team["patient"])

    assert WITHDRAWAL not in _text(_check_in(client, mood="3"))


@pytest.mark.parametrize("days_ago", [10, 60])
def test_the_withdrawal_note_never_changes_what_is_flagged(client, team, days_ago):
    _plan(team["patient"], days_ago=days_ago)
    client.force_login(team["patient"])

    text = _text(_check_in(client, mood="1", sleep="hardly"))

    assert (WITHDRAWAL in text) == (days_ago == 10)
    flag = Flag.objects.get(patient=team["patient"])
    assert flag.category == Flag.Category.LOW_MOOD
    assert "Mood of 1 out of 10" in flag.summary


# --- Where a reminder's link leads ----------------------------------------------------------------


@pytest.fixture
def reminded(team):
    """The patient's reminder, sent by the real claim and batch services."""
    patient = team["patient"]
    schedule = services.schedule_for(patient)
    CheckInSchedule.objects.filter(pk=schedule.pk).update(
        next_due_at=timezone.now() - timedelta(minutes=1)
    )
    ids = services.reminders_claim_due()
    assert ids == [schedule.pk]
    assert services.reminders_send_batch(schedule_ids=ids) == 1
    return CheckInReminder.objects.select_related("notification").get(patient=patient)


def test_the_reminder_links_to_the_patients_check_in_for_that_day(client, team, reminded):
    today = services.patient_today(team["patient"])
    url = reverse("cessation:checkin_day", args=[today])
    assert reminded.day == today
    assert reminded.notification.url == url
    client.force_login(team["patient"])

    response = client.get(url)

    assert response.status_code == HTTPStatus.OK
    assert "Check in for today, Tuesday 15 July" in _text(response)
    assert f'action="{url}"' in response.content.decode()


def test_the_notices_open_button_goes_to_the_check_in(client, team, reminded):
    client.force_login(team["patient"])
    notices = client.get(reverse("core:notification_list")).content.decode()
    assert "Time for your Exhale check-in" in notices

    response = client.post(
        reverse("core:notification_read", args=[reminded.notification_id]), {"open": "1"}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reminded.notification.url
    assert Notification.objects.get(pk=reminded.notification_id).read_at is not None


def test_the_email_carries_the_same_link_and_nothing_about_health(team, reminded):
    delivery = reminded.notification.deliveries.get()

    assert core_services.notification_delivery_attempt(delivery_id=delivery.pk) == "sent"

    (email,) = mail.outbox
    assert email.to == [team["patient"].email]
    assert f"{settings.SITE_URL}{reminded.notification.url}" in email.body
    assert "Time for your Exhale check-in" in email.subject
    assert "mood" not in email.body.lower()


def test_another_patient_opening_the_link_sees_their_own_check_in(client, team, reminded):
    url = reminded.notification.url
    client.force_login(team["patient"])
    _check_in(client, mood="2", note="Walked to the shop instead of smoking")
    assert CheckIn.objects.filter(patient=team["patient"], day=reminded.day).exists()
    stranger = PatientFactory()
    CheckInFactory(patient=stranger, day=reminded.day, note="", mood=9)
    client.force_login(stranger)

    response = client.get(url)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "Walked to the shop" not in html
    # Their own answers for that day: a mood of 9, checked.
    assert re.search(r'name="mood" value="9"[^>]*checked', html)
    assert not re.search(r'name="mood" value="2"[^>]*checked', html)


def test_another_patient_with_no_check_in_sees_an_empty_form(client, team, reminded):
    client.force_login(team["patient"])
    _check_in(client, mood="5", note="Walked to the shop instead of smoking")
    client.force_login(PatientFactory())

    response = client.get(reminded.notification.url)

    assert response.status_code == HTTPStatus.OK
    text = _text(response)
    assert "Check in for today" in text
    assert "Change your check-in" not in text
    form = re.search(r'<form[^>]*class="checkin".*?</form>', response.content.decode(), re.S)[0]
    assert "Walked to the shop" not in form
    assert " checked" not in form  # not one answer filled in
    assert re.search(r'name="cigarettes"(?![^>]*value=)', form)


def test_a_link_to_a_day_out_of_range_is_a_clear_page(client, team):
    client.force_login(team["patient"])
    old = services.patient_today(team["patient"]) - timedelta(days=10)

    response = client.get(reverse("cessation:checkin_day", args=[old]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    text = _text(response)
    assert "You cannot check in for Saturday 5 July 2025" in text
    assert "Nothing has been saved." in text


def test_someone_logged_out_logs_in_and_lands_on_the_check_in(client, team, reminded):
    url = reminded.notification.url

    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND
    login = response.url
    assert login.startswith(reverse("account_login"))

    response = client.post(login, {"login": team["patient"].email, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == url
    assert client.get(url).status_code == HTTPStatus.OK


def test_a_clinician_opening_the_link_is_refused(client, team, reminded):
    client.force_login(team["clinician"])

    assert client.get(reminded.notification.url).status_code == HTTPStatus.FORBIDDEN


# --- Query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("tasks", [2, 20])
def test_the_queue_runs_as_many_queries_for_twenty_people_as_for_two(
    client, django_assert_max_num_queries, tasks
):
    peer = PeerFactory()
    for _ in range(tasks):
        patient = PatientFactory(profile__peer_specialist=peer)
        services.schedule_for(patient)
        OutreachTask.objects.create(patient=patient, peer=peer, reason="Has not checked in")
    client.force_login(peer)
    url = reverse("cessation_staff:outreach_queue")
    client.get(url)

    # 8, plus the header's peer-group counts (moderation queue, people waiting), one query.
    with django_assert_max_num_queries(9):
        response = client.get(url)

    assert response.status_code == HTTPStatus.OK


def test_the_reminder_pages_stay_within_their_query_budget(
    client, team, django_assert_max_num_queries
):
    services.schedule_for(team["patient"])
    client.force_login(team["patient"])
    client.get(reverse("cessation:schedule"))
    with django_assert_max_num_queries(5):
        assert client.get(reverse("cessation:schedule")).status_code == HTTPStatus.OK

    client.force_login(team["clinician"])
    url = reverse("cessation_staff:schedule", args=[team["patient"].pk])
    client.get(url)
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == HTTPStatus.OK
