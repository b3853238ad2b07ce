"""The patient's own quit-tracking pages: quit plan, check-in, progress, craving help, CO readings,
medications and the home card. Real URLs, real services, real status codes."""

from __future__ import annotations

import importlib
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from unittest import mock

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cessation import services
from cessation.models import (
    CheckIn,
    COReading,
    Craving,
    HealthBenefit,
    Medication,
    QuitDateChange,
    QuitPlan,
)
from safety.models import Flag, Severity
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

PAGES = [
    "cessation:quit_plan",
    "cessation:checkin",
    "cessation:progress",
    "cessation:craving",
    "cessation:co_readings",
    "cessation:medications",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user; nothing here depends on the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def health_benefits(db):
    """The health timeline the data migration seeds. A transactional test elsewhere in the run
    (a live server, a real worker) flushes the database, and the migration's rows with it."""
    migration = importlib.import_module("cessation.migrations.0002_health_benefits")
    migration.forwards(apps, None)
    return list(HealthBenefit.objects.all())


@pytest.fixture
def patient(db):
    return PatientFactory()


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def _today(patient) -> date:
    return services.patient_today(patient)


def make_plan(patient, *, quit_date: date | None = None, **overrides) -> QuitPlan:
    """A plan saved straight to the database, so its quit date can be in the past."""
    values = {
        "quit_date": quit_date or _today(patient) - timedelta(days=10),
        "product": "cigarettes",
        "per_day": Decimal(20),
        "pack_price": Decimal("15.00"),
        "pack_size": 20,
        "time_to_first": "30",
        "reasons": "To see my grandchildren grow up",
        "supports": [{"kind": "patch", "dose": "21 mg"}],
        "triggers": ["coffee"],
    }
    values.update(overrides)
    return QuitPlan.objects.create(patient=patient, **values)


def plan_data(patient, **overrides) -> dict:
    data = {
        "quit_date": (_today(patient) + timedelta(days=7)).isoformat(),
        "product": "cigarettes",
        "per_day": "20",
        "pack_price": "14.50",
        "pack_size": "20",
        "time_to_first": "30",
        "supports": ["patch", "gum"],
        "dose_patch": "21 mg",
        "dose_gum": "4 mg",
        "dose_lozenge": "ignored: lozenge not ticked",
        "triggers": ["coffee", "stress"],
        "triggers_other": "after visits",
        "reasons": "My health, and my money.",
    }
    data.update(overrides)
    return data


def checkin_data(**overrides) -> dict:
    data = {
        "cigarettes": "0",
        "craving": "4",
        "supports_used": ["patch"],
        "mood": "6",
        "sleep": "ok",
        "harm_thoughts": "no",
        "note": "",
    }
    data.update(overrides)
    return data


def field_error(response, text: str) -> bool:
    """The message is shown inside a field's error block, next to the field."""
    html = response.content.decode()
    return any(text in block for block in re.findall(r'class="error"[^>]*>(.*?)</div>', html, re.S))


# --- Access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_a_patient_without_a_plan(patient_client, name):
    response = patient_client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK
    assert b"Craving now" in response.content  # the header link, on every patient page
    assert b"Get help now" in response.content


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_for_a_patient_with_a_plan(patient_client, patient, name):
    make_plan(patient)
    CheckIn.objects.create(
        patient=patient,
        day=_today(patient) - timedelta(days=1),
        cigarettes=1,
        craving=5,
        mood=6,
        sleep="ok",
        harm_thoughts="no",
    )
    COReading.objects.create(
        patient=patient, taken_on=_today(patient), ppm=4, self_reported=True, recorded_by=patient
    )
    response = patient_client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK


def test_the_patient_home_renders_the_today_card_with_and_without_a_plan(patient_client, patient):
    home = reverse("accounts:patient_home")
    response = patient_client.get(home)
    assert response.status_code == HTTPStatus.OK
    assert b"Make my quit plan" in response.content

    make_plan(patient, quit_date=_today(patient) - timedelta(days=3))
    response = patient_client.get(home)
    content = response.content.decode()
    assert 'href="/check-in/"' in content
    assert ">Check in</a>" in content
    assert "3</span>" in content
    assert "days since your quit date" in content
    assert "£45.00" in content  # 3 days × 20 a day × 75p
    assert 'id="milestone-bar"' in content

    CheckIn.objects.create(
        patient=patient,
        day=_today(patient),
        cigarettes=0,
        craving=2,
        mood=7,
        sleep="well",
        harm_thoughts="no",
    )
    assert b"You have checked in today" in patient_client.get(home).content


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
@pytest.mark.parametrize("name", PAGES)
def test_other_roles_get_403(client, factory, name):
    client.force_login(factory())
    assert client.get(reverse(name)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_staff_do_not_see_the_craving_link(client):
    client.force_login(ClinicianFactory())
    response = client.get(reverse("safety:crisis"))
    assert b"Get help now" in response.content
    assert b"Craving now" not in response.content


# --- Quit plan -----------------------------------------------------------------------------------


def test_a_patient_makes_a_quit_plan(patient_client, patient):
    response = patient_client.post(reverse("cessation:quit_plan"), plan_data(patient))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("cessation:progress")
    plan = QuitPlan.objects.get(patient=patient)
    assert plan.pack_price == Decimal("14.50")
    assert plan.supports == [{"kind": "patch", "dose": "21 mg"}, {"kind": "gum", "dose": "4 mg"}]
    assert plan.triggers == ["coffee", "stress"]
    assert plan.reasons == "My health, and my money."
    assert QuitDateChange.objects.filter(plan=plan).count() == 1
    followed = patient_client.get(response.url)
    assert b"Your quit plan is saved." in followed.content


def test_the_plan_form_shows_the_saved_plan_for_editing(patient_client, patient):
    make_plan(patient)
    content = patient_client.get(reverse("cessation:quit_plan")).content.decode()
    assert 'value="20"' in content  # per day, as typed: not "20.0"
    assert "To see my grandchildren grow up" in content
    assert 'value="21 mg"' in content


def test_a_comma_for_decimals_is_understood(patient_client, patient):
    response = patient_client.post(
        reverse("cessation:quit_plan"), plan_data(patient, pack_price="14,50")
    )
    assert response.status_code == HTTPStatus.FOUND
    assert QuitPlan.objects.get(patient=patient).pack_price == Decimal("14.50")


def test_a_pound_sign_is_understood(patient_client, patient):
    patient_client.post(reverse("cessation:quit_plan"), plan_data(patient, pack_price="£ 12.80"))
    assert QuitPlan.objects.get(patient=patient).pack_price == Decimal("12.80")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("per_day", "3,000", "Enter a number between 1 and 120."),
        ("per_day", "3000", "Enter a number between 1 and 120."),
        ("per_day", "-5", "Enter a number between 1 and 120."),
        ("per_day", "twenty", "Enter a number, like 20 or 12.5."),
        ("pack_price", "-1", "Enter the price in pounds, like 14.50."),
        ("pack_price", "1,2,3", "Write the price like 14.50."),
        ("pack_price", "14.555", "Enter pounds and pence, like 14.50."),
        ("pack_size", "-20", "Enter how many are in a pack or pouch (1 to 500)."),
        ("pack_size", "0", "Enter how many are in a pack or pouch (1 to 500)."),
        ("quit_date", "2001-01-01", "Choose today or a day in the next 6 weeks."),
        ("quit_date", "not a date", "Enter a date, for example 14/06/2025."),
    ],
)
def test_bad_plan_input_gets_a_clear_message_and_saves_nothing(
    patient_client, patient, field, value, message
):
    response = patient_client.post(
        reverse("cessation:quit_plan"), plan_data(patient, **{field: value})
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field_error(response, message)
    assert b"Nothing has been saved yet" in response.content
    assert not QuitPlan.objects.filter(patient=patient).exists()


def test_a_quit_date_too_far_ahead_is_refused(patient_client, patient):
    far = (_today(patient) + timedelta(days=60)).isoformat()
    response = patient_client.post(
        reverse("cessation:quit_plan"), plan_data(patient, quit_date=far)
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not QuitPlan.objects.exists()


def test_nothing_and_a_support_together_is_refused(patient_client, patient):
    response = patient_client.post(
        reverse("cessation:quit_plan"), plan_data(patient, supports=["none", "patch"])
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field_error(response, "untick one")
    assert not QuitPlan.objects.exists()


def test_a_bad_edit_leaves_the_plan_as_it_was(patient_client, patient):
    plan = make_plan(patient)
    response = patient_client.post(
        reverse("cessation:quit_plan"),
        plan_data(patient, quit_date=plan.quit_date.isoformat(), per_day="3,000"),
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    plan.refresh_from_db()
    assert plan.per_day == Decimal(20)


def test_a_changed_quit_date_keeps_history(patient_client, patient):
    patient_client.post(reverse("cessation:quit_plan"), plan_data(patient))
    later = (_today(patient) + timedelta(days=14)).isoformat()
    patient_client.post(reverse("cessation:quit_plan"), plan_data(patient, quit_date=later))
    plan = QuitPlan.objects.get(patient=patient)
    assert [c.new_date.isoformat() for c in plan.date_changes.all()][-1] == later
    assert plan.date_changes.count() == 2


def test_a_patient_on_clozapine_is_told_their_levels_will_be_checked(patient_client, patient):
    services.medication_add(patient=patient, by=patient, name="clozapine", dose="300 mg")
    response = patient_client.post(reverse("cessation:quit_plan"), plan_data(patient), follow=True)
    assert b"Your care team will check your medicine levels" in response.content
    assert Flag.objects.filter(
        patient=patient, category=Flag.Category.MEDICATION_REVIEW, severity=Severity.HIGH
    ).exists()


# --- Check-in ------------------------------------------------------------------------------------


def test_a_patient_checks_in_for_today(patient_client, patient):
    response = patient_client.post(reverse("cessation:checkin"), checkin_data())
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("cessation:progress")
    checkin = CheckIn.objects.get(patient=patient)
    assert checkin.day == _today(patient)
    assert checkin.supports_used == ["patch"]
    assert b"Thank you for checking in." in patient_client.get(response.url).content


def test_the_check_in_page_posts_to_its_own_day(patient_client, patient):
    content = patient_client.get(reverse("cessation:checkin")).content.decode()
    assert f'action="/check-in/{_today(patient).isoformat()}/"' in content
    assert "slips happen" in content
    assert "Have you had thoughts of harming yourself?" in content
    assert 'type="radio" name="craving" value="10"' in content


def test_a_slip_after_the_quit_date_gets_a_gentle_note(patient_client, patient):
    make_plan(patient)
    response = patient_client.post(
        reverse("cessation:checkin"), checkin_data(cigarettes="2"), follow=True
    )
    assert b"You had a slip, and that is OK" in response.content
    assert CheckIn.objects.get(patient=patient).cigarettes == 2


def test_a_second_check_in_the_same_day_edits_it(patient_client, patient):
    patient_client.post(reverse("cessation:checkin"), checkin_data(mood="6"))
    page = patient_client.get(reverse("cessation:checkin"))
    assert b"You have already checked in for this day" in page.content
    response = patient_client.post(reverse("cessation:checkin"), checkin_data(mood="8"))
    assert response.status_code == HTTPStatus.FOUND
    assert CheckIn.objects.filter(patient=patient).count() == 1
    assert CheckIn.objects.get(patient=patient).mood == 8


def test_a_missed_day_can_be_filled_in(patient_client, patient):
    User.objects.filter(pk=patient.pk).update(date_joined=timezone.now() - timedelta(days=10))
    yesterday = _today(patient) - timedelta(days=1)
    page = patient_client.get(reverse("cessation:checkin"))
    assert reverse("cessation:checkin_day", args=[yesterday]).encode() in page.content
    response = patient_client.post(
        reverse("cessation:checkin_day", args=[yesterday]), checkin_data()
    )
    assert response.status_code == HTTPStatus.FOUND
    assert CheckIn.objects.get(patient=patient).day == yesterday


def test_a_missed_day_already_filled_in_opens_for_changing(patient_client, patient):
    day = _today(patient) - timedelta(days=2)
    CheckIn.objects.create(
        patient=patient, day=day, cigarettes=3, craving=5, mood=3, sleep="ok", harm_thoughts="no"
    )
    page = patient_client.get(reverse("cessation:checkin_day", args=[day])).content.decode()
    assert "Change your check-in for" in page
    assert re.search(r'name="mood" value="3"[^>]*checked', page)
    patient_client.post(reverse("cessation:checkin_day", args=[day]), checkin_data(mood="5"))
    assert CheckIn.objects.get(patient=patient, day=day).mood == 5
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize("offset", [1, -10, -4])
def test_a_check_in_for_a_day_not_allowed_is_a_clear_404(patient_client, patient, offset):
    day = _today(patient) + timedelta(days=offset)
    url = reverse("cessation:checkin_day", args=[day])
    page = patient_client.get(url)
    assert page.status_code == HTTPStatus.NOT_FOUND
    assert b"You cannot check in for" in page.content
    response = patient_client.post(url, checkin_data())
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not CheckIn.objects.exists()


def test_a_date_that_does_not_exist_is_a_404(patient_client):
    assert patient_client.get("/check-in/2025-02-30/").status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cigarettes", "-1", "Enter a number from 0 to 200."),
        ("cigarettes", "3,000", "Enter a number from 0 to 200."),
        ("cigarettes", "", "Enter how many you smoked. Enter 0 if none."),
        ("craving", "11", "Select a valid choice."),
        ("mood", "", "Choose a number from 0 to 10."),
        ("harm_thoughts", "", "Please answer this question."),
    ],
)
def test_bad_check_in_input_gets_a_clear_message_and_saves_nothing(
    patient_client, field, value, message
):
    response = patient_client.post(reverse("cessation:checkin"), checkin_data(**{field: value}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field_error(response, message)
    assert not CheckIn.objects.exists()


def test_yes_to_the_safety_question_shows_crisis_support_and_raises_a_flag(patient_client, patient):
    response = patient_client.post(reverse("cessation:checkin"), checkin_data(harm_thoughts="yes"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("safety:crisis_support") == "/help/support/"
    flag = Flag.objects.get(patient=patient, category=Flag.Category.CRISIS)
    assert flag.severity == Severity.HIGH
    assert CheckIn.objects.get(patient=patient).harm_thoughts == "yes"


def test_a_mood_of_1_raises_a_low_mood_flag(patient_client, patient):
    response = patient_client.post(reverse("cessation:checkin"), checkin_data(mood="1"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("cessation:progress")
    assert Flag.objects.filter(patient=patient, category=Flag.Category.LOW_MOOD).exists()


def test_check_in_just_after_midnight_in_summer_is_for_the_new_local_day(patient_client, patient):
    # 00:30 BST on 2 July is still 23:30 UTC on 1 July.
    just_after_midnight = datetime(2025, 7, 1, 23, 30, tzinfo=UTC)
    with mock.patch("django.utils.timezone.now", return_value=just_after_midnight):
        page = patient_client.get(reverse("cessation:checkin"))
        assert b'action="/check-in/2025-07-02/"' in page.content
        response = patient_client.post(reverse("cessation:checkin"), checkin_data())
    assert response.status_code == HTTPStatus.FOUND
    assert CheckIn.objects.get(patient=patient).day == date(2025, 7, 2)


# --- Progress ------------------------------------------------------------------------------------


def test_progress_before_the_quit_date_counts_down(patient_client, patient):
    make_plan(patient, quit_date=_today(patient) + timedelta(days=5))
    content = patient_client.get(reverse("cessation:progress")).content.decode()
    assert "days to your quit date" in content
    assert ">5</span>" in content
    assert "Getting ready" in content


def test_progress_after_the_quit_date(patient_client, patient):
    make_plan(patient, quit_date=_today(patient) - timedelta(days=20))
    for offset in range(3):
        CheckIn.objects.create(
            patient=patient,
            day=_today(patient) - timedelta(days=offset),
            cigarettes=1 if offset == 1 else 0,
            craving=3,
            mood=6,
            sleep="ok",
            harm_thoughts="no",
        )
    content = patient_client.get(reverse("cessation:progress")).content.decode()
    assert ">20</span>" in content
    assert "days since your quit date" in content
    assert "A slip does not reset your days" in content
    assert "Still on track: 1 cigarette since the end of week two" in content
    assert "£299.25" in content  # (20 × 20 − 1) × 75p
    assert "399</span>" in content  # cigarettes not smoked
    assert 'role="img"' in content  # the charts
    assert "Cigarettes each day, with your strongest craving" in content
    assert "Mood beside smoking" in content
    assert "Your 4-week CO check is due between" in content
    assert "2 weeks smoke-free" in content  # a badge
    assert '<progress id="milestone-bar"' in content
    assert "Heaviness of Smoking Index" in content


def test_the_health_timeline_marks_reached_steps_and_its_approval(
    patient_client, patient, health_benefits
):
    make_plan(patient, quit_date=_today(patient) - timedelta(days=4))
    content = patient_client.get(reverse("cessation:progress")).content.decode()
    assert content.count("timeline__step--reached") == 4  # 20 min, 8 h, 48 h, 72 h
    assert "https://www.nhs.uk/better-health/quit-smoking/" in content
    assert "waiting to be checked and approved by a clinician" in content

    clinician = ClinicianFactory(full_name="Dr Ada Okafor")
    services.health_benefits_approve(by=clinician)
    content = patient_client.get(reverse("cessation:progress")).content.decode()
    approved_on = HealthBenefit.objects.first().approved_at
    assert f"Approved by Dr Ada Okafor on {timezone.localtime(approved_on):%-d %B %Y}" in content


# --- Craving now ---------------------------------------------------------------------------------


def test_the_craving_page_has_the_breathing_exercise_and_their_reasons(patient_client, patient):
    make_plan(patient, reasons="For my daughter & my lungs")
    content = patient_client.get(reverse("cessation:craving")).content.decode()
    assert 'class="card breathe" id="breathe"' in content
    assert 'href="#breathe"' in content  # starts without JavaScript
    assert "Breathe in slowly through your nose while you count to 4." in content
    assert "For my daughter &amp; my lungs" in content
    assert reverse("safety:crisis") in content
    assert "<script" not in content.split("</head>")[1]  # no script in the page itself
    assert "style=" not in content  # the CSP forbids inline styles


def test_a_craving_is_logged_with_one_tap(patient_client, patient):
    response = patient_client.post(reverse("cessation:craving"), {"intensity": "7"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("cessation:craving")
    craving = Craving.objects.get(patient=patient)
    assert (craving.intensity, craving.where, craving.mood, craving.smoked) == (7, "", None, False)
    assert (
        b"Logged. Cravings pass, usually within a few minutes."
        in patient_client.get(response.url).content
    )


def test_a_craving_with_its_context(patient_client, patient):
    patient_client.post(
        reverse("cessation:craving"),
        {
            "intensity": "9",
            "where": "home",
            "with_whom": "alone",
            "doing": "bored",
            "mood": "3",
            "smoked": "yes",
        },
    )
    craving = Craving.objects.get(patient=patient)
    assert (craving.where, craving.with_whom, craving.doing, craving.mood, craving.smoked) == (
        "home",
        "alone",
        "bored",
        3,
        True,
    )


def test_a_craving_without_intensity_is_refused(patient_client):
    response = patient_client.post(reverse("cessation:craving"), {"where": "home"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field_error(response, "Choose a number from 0 to 10.")
    assert not Craving.objects.exists()


# --- CO readings ---------------------------------------------------------------------------------


def test_a_patient_records_a_self_reported_co_reading(patient_client, patient):
    response = patient_client.post(
        reverse("cessation:co_readings"),
        {"taken_on": _today(patient).isoformat(), "ppm": "6"},
    )
    assert response.status_code == HTTPStatus.FOUND
    reading = COReading.objects.get(patient=patient)
    assert reading.self_reported
    assert reading.ppm == 6


@pytest.mark.parametrize(
    ("offset", "ppm", "field", "message"),
    [
        (1, "5", "taken_on", "The date cannot be in the future."),
        (-400, "5", "taken_on", "The date is more than a year ago."),
        (0, "101", "ppm", "Enter the reading in ppm, from 0 to 100."),
        (0, "-3", "ppm", "Enter the reading in ppm, from 0 to 100."),
    ],
)
def test_bad_co_readings_are_refused(patient_client, patient, offset, ppm, field, message):
    day = _today(patient) + timedelta(days=offset)
    response = patient_client.post(
        reverse("cessation:co_readings"), {"taken_on": day.isoformat(), "ppm": ppm}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field_error(response, message)
    assert not COReading.objects.exists()


# --- Medications ---------------------------------------------------------------------------------


def test_a_patient_adds_and_stops_a_medication(patient_client, patient):
    page = patient_client.get(reverse("cessation:medications")).content.decode()
    assert '<option value="Clozapine">' in page
    assert '<option value="Olanzapine">' in page
    assert "Please do not change your dose yourself." in page
    response = patient_client.post(
        reverse("cessation:medications"), {"name": "Olanzapine", "dose": "10 mg"}
    )
    assert response.status_code == HTTPStatus.FOUND
    medication = Medication.objects.get(patient=patient)
    assert medication.recorded_by == patient
    response = patient_client.post(reverse("cessation:medication_stop", args=[medication.pk]))
    assert response.status_code == HTTPStatus.FOUND
    medication.refresh_from_db()
    assert medication.stopped_on == _today(patient)


def test_a_medication_twice_is_refused(patient_client, patient):
    services.medication_add(patient=patient, by=patient, name="Clozapine")
    response = patient_client.post(reverse("cessation:medications"), {"name": "clozapine"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field_error(response, "This medication is already on the list.")
    assert Medication.objects.count() == 1


def test_another_patients_medication_is_a_404_and_unchanged(patient_client):
    other = PatientFactory()
    medication = services.medication_add(patient=other, by=other, name="Clozapine")
    response = patient_client.post(reverse("cessation:medication_stop", args=[medication.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    medication.refresh_from_db()
    assert medication.stopped_on is None


def test_stopping_is_post_only(patient_client, patient):
    medication = services.medication_add(patient=patient, by=patient, name="Clozapine")
    response = patient_client.get(reverse("cessation:medication_stop", args=[medication.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- Query counts --------------------------------------------------------------------------------


def _history(patient, weeks: int) -> None:
    today = _today(patient)
    make_plan(patient, quit_date=today - timedelta(days=7 * weeks))
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=patient,
            day=today - timedelta(days=n),
            cigarettes=n % 3,
            craving=n % 10,
            mood=5,
            sleep="ok",
            harm_thoughts="no",
        )
        for n in range(7 * weeks)
    )
    Craving.objects.bulk_create(
        Craving(patient=patient, at=timezone.now() - timedelta(days=n), intensity=6)
        for n in range(7 * weeks)
    )
    COReading.objects.bulk_create(
        COReading(
            patient=patient,
            taken_on=today - timedelta(days=n * 7),
            ppm=5,
            self_reported=True,
            recorded_by=patient,
        )
        for n in range(weeks)
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


@pytest.mark.parametrize("name", ["accounts:patient_home", "cessation:progress"])
def test_query_count_does_not_grow_with_weeks_of_history(client, name):
    counts = []
    for weeks in (1, 8):
        patient = PatientFactory()
        _history(patient, weeks)
        client.force_login(patient)
        _queries(client, reverse(name))  # warm the session
        counts.append(_queries(client, reverse(name)))
    assert counts[0] == counts[1]
