"""The care team's side of quit tracking: the section on the patient page, CO readings and
medications recorded from it, the quit plan set with the patient, approval of the health
timeline, the admin's edit that clears approval, and check-ins on a flag's timeline."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

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
from core.models import AuditEvent
from safety.models import Flag, Severity
from safety.services import flag_raise
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

health_benefits_migration = importlib.import_module("cessation.migrations.0002_health_benefits")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def benefits(db):
    """The timeline the data migration seeds (a transactional test elsewhere may flush it)."""
    health_benefits_migration.forwards(apps, None)
    return list(HealthBenefit.objects.all())


@pytest.fixture
def team(db):
    clinician, backup, peer = ClinicianFactory(), ClinicianFactory(), PeerFactory()
    patient = PatientFactory(
        profile=clinician,
        profile__backup_clinician=backup,
        profile__peer_specialist=peer,
        # Joined before the 5 weeks the calendar shows: every earlier day counts.
        date_joined=timezone.now() - timedelta(days=60),
    )
    return {"patient": patient, "clinician": clinician, "backup": backup, "peer": peer}


def _plan(patient: User, *, days_ago: int = 20, **fields) -> QuitPlan:
    """A quit plan whose date has passed (the service takes only dates from today on)."""
    today = services.patient_today(patient)
    values = {
        "quit_date": today - timedelta(days=days_ago),
        "per_day": Decimal(20),
        "pack_price": Decimal("15.00"),
        "pack_size": 20,
        "time_to_first": "30",
        "supports": [{"kind": "patch", "dose": "21 mg"}],
        "triggers": ["coffee", "stress"],
        "reasons": "For my daughter, Maya.",
    }
    values.update(fields)
    plan = QuitPlan.objects.create(patient=patient, **values)
    QuitDateChange.objects.create(plan=plan, new_date=plan.quit_date, changed_by=patient)
    return plan


def _checkins(patient: User, *, weeks: int, skip=(3,)) -> None:
    """A check-in every day for `weeks` weeks up to yesterday, except the days in `skip`."""
    today = services.patient_today(patient)
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=patient,
            day=today - timedelta(days=ago),
            cigarettes=2 if ago == 9 else 0,
            craving=ago % 10,
            mood=1 if ago == 5 else 6,
            sleep="ok",
            harm_thoughts="yes" if ago == 6 else "no",
            note="rough day" if ago == 2 else "",
        )
        for ago in range(1, 7 * weeks + 1)
        if ago not in skip
    )


def _page(client, patient: User):
    return client.get(reverse("accounts:patient_detail", args=[patient.pk]))


# --- The section on the patient page -------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinician", "backup"])
def test_the_section_shows_plan_calendar_charts_co_and_medications(client, team, who):
    patient = team["patient"]
    _plan(patient)
    _checkins(patient, weeks=5)
    services.co_reading_record(
        patient=patient, by=team["clinician"], taken_on=services.patient_today(patient), ppm=4
    )
    services.medication_add(patient=patient, by=team["clinician"], name="Clozapine", dose="300 mg")
    client.force_login(team[who])

    response = _page(client, patient)

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'id="quit-tracking"' in html
    # Quit plan, with their own words and supports with doses.
    assert "For my daughter, Maya." in html
    assert "Nicotine patch" in html
    assert "21 mg" in html
    assert "With tea or coffee" in html
    assert "Heaviness of Smoking Index" in html
    # Calendar: a missed day is marked in words, not only by colour.
    assert html.count("calendar__day--missed") >= 1
    assert "Missed" in html
    assert "Checked in" in html
    assert "Thoughts of self-harm: yes" in html
    # Both charts, each with its text summary and numbers.
    assert html.count('<figure class="chart">') == 2
    assert "Mood beside smoking" in html
    # Progress, CO and medications.
    assert "Russell Standard" in html
    assert "4-week CO check" in html
    assert "4 ppm" in html
    assert "Clozapine" in html
    assert "Medication review" in html
    assert reverse("cessation_staff:co_reading_create", args=[patient.pk]) in html
    assert reverse("cessation_staff:medication_create", args=[patient.pk]) in html


def test_the_calendar_leaves_days_to_come_blank_and_marks_every_gap(client, team):
    patient = team["patient"]
    _checkins(patient, weeks=5, skip=(1, 2, 3))
    client.force_login(team["clinician"])

    html = _page(client, patient).content.decode()

    today = services.patient_today(patient)
    future_days = 6 - today.weekday()
    assert html.count("calendar__day--future") == future_days
    # The three skipped days are gaps, today is still open; the rest are check-ins.
    assert html.count("calendar__day--missed") == 3
    assert html.count("calendar__day--today") == 1
    assert "Today: not yet" in html
    assert html.count("calendar__day--done") == 35 - future_days - 4


def test_a_patient_without_a_plan_gets_an_invitation_to_set_one(client, team):
    client.force_login(team["clinician"])

    html = _page(client, team["patient"]).content.decode()

    assert "No quit plan yet" in html
    assert reverse("cessation_staff:quit_plan", args=[team["patient"].pk]) in html


def test_a_peer_sees_the_patient_page_without_quit_tracking(client, team):
    _plan(team["patient"])
    client.force_login(team["peer"])

    response = _page(client, team["patient"])

    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "quit-tracking" not in html
    assert "For my daughter, Maya." not in html


def test_an_admin_gets_no_patient_page(client, team):
    _plan(team["patient"])
    client.force_login(AdminFactory())

    response = _page(client, team["patient"])

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "For my daughter, Maya." not in response.content.decode()


def test_the_patient_page_runs_as_many_queries_for_eight_weeks_as_for_one(client):
    clinician = ClinicianFactory()
    short, long = PatientFactory(profile=clinician), PatientFactory(profile=clinician)
    for patient, weeks in ((short, 1), (long, 8)):
        _plan(patient, days_ago=7 * weeks)
        _checkins(patient, weeks=weeks)
        Craving.objects.bulk_create(
            Craving(patient=patient, intensity=5, at=_at(patient, days_ago=n))
            for n in range(7 * weeks)
        )
        for n in range(weeks):
            COReading.objects.create(
                patient=patient,
                taken_on=services.patient_today(patient) - timedelta(days=7 * n),
                ppm=3,
                recorded_by=clinician,
            )
        services.medication_add(patient=patient, by=clinician, name="Clozapine")
        services.medication_add(patient=patient, by=clinician, name=f"Other {weeks}")
    client.force_login(clinician)
    _page(client, short)  # warm caches that are not about data size (sessions, templates)

    counts = []
    for patient in (short, long):
        with CaptureQueriesContext(connection) as queries:
            assert _page(client, patient).status_code == HTTPStatus.OK
        counts.append(len(queries))

    assert counts[0] == counts[1]


def _at(patient: User, *, days_ago: int) -> datetime:
    return timezone.now() - timedelta(days=days_ago)


# --- CO readings ---------------------------------------------------------------------------------


def _co_url(patient: User) -> str:
    return reverse("cessation_staff:co_reading_create", args=[patient.pk])


def test_a_clinician_records_a_co_reading_and_returns_to_the_patient(client, team):
    patient = team["patient"]
    client.force_login(team["backup"])
    today = services.patient_today(patient)

    response = client.post(_co_url(patient), {"taken_on": today.isoformat(), "ppm": "6"})

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("accounts:patient_detail", args=[patient.pk]))
    reading = COReading.objects.get(patient=patient)
    assert (reading.ppm, reading.taken_on, reading.self_reported) == (6, today, False)
    assert reading.recorded_by == team["backup"]
    assert AuditEvent.objects.filter(
        actor=team["backup"], subject=patient, action="co_reading.recorded"
    ).exists()
    followed = client.get(response["Location"]).content.decode()
    assert "CO reading of 6 ppm" in followed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ppm": "300"}, "from 0 to 100"),
        ({"ppm": "-1"}, "from 0 to 100"),
        ({"ppm": "lots"}, "whole number"),
        ({"ppm": ""}, "Enter the reading"),
        ({"taken_on": "future"}, "cannot be in the future"),
        ({"taken_on": "2001-01-01"}, "more than a year ago"),
    ],
)
def test_a_bad_co_reading_comes_back_with_the_message_and_saves_nothing(
    client, team, data, message
):
    patient = team["patient"]
    client.force_login(team["clinician"])
    today = services.patient_today(patient)
    form = {"taken_on": today.isoformat(), "ppm": "5", **data}
    if form["taken_on"] == "future":
        form["taken_on"] = (today + timedelta(days=1)).isoformat()

    response = client.post(_co_url(patient), form)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.content.decode()
    assert message in html
    assert "Nothing was saved" in html
    assert not COReading.objects.exists()


# --- Medications ---------------------------------------------------------------------------------


def _med_url(patient: User) -> str:
    return reverse("cessation_staff:medication_create", args=[patient.pk])


def test_clozapine_for_a_patient_with_a_quit_plan_raises_a_medication_review(client, team):
    patient = team["patient"]
    _plan(patient)
    client.force_login(team["clinician"])

    response = client.post(_med_url(patient), {"name": "clozapine", "dose": "300 mg"}, follow=True)

    assert response.status_code == HTTPStatus.OK
    assert Medication.objects.get(patient=patient).name == "clozapine"
    flag = Flag.objects.get(patient=patient, category=Flag.Category.MEDICATION_REVIEW)
    assert flag.severity == Severity.HIGH
    assert "medication-review flag is now in your queue" in response.content.decode()


def test_clozapine_without_a_quit_plan_raises_nothing_yet(client, team):
    patient = team["patient"]
    client.force_login(team["clinician"])

    response = client.post(_med_url(patient), {"name": "Olanzapine"}, follow=True)

    assert Medication.objects.filter(patient=patient, name="Olanzapine").exists()
    assert not Flag.objects.filter(patient=patient).exists()
    assert "when they set a quit date" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [({"name": ""}, "Enter the medicine"), ({"name": "x" * 61}, "at most 60 characters")],
)
def test_a_bad_medication_comes_back_with_the_message_and_saves_nothing(
    client, team, data, message
):
    client.force_login(team["clinician"])

    response = client.post(_med_url(team["patient"]), {"dose": "", **data})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not Medication.objects.exists()


def test_a_medication_already_on_the_list_is_refused(client, team):
    patient = team["patient"]
    services.medication_add(patient=patient, by=team["clinician"], name="Clozapine")
    client.force_login(team["clinician"])

    response = client.post(_med_url(patient), {"name": "CLOZAPINE"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already on the list" in response.content.decode()
    assert Medication.objects.filter(patient=patient).count() == 1


def test_a_clinician_marks_a_medication_stopped(client, team):
    patient = team["patient"]
    medication = services.medication_add(patient=patient, by=team["clinician"], name="Clozapine")
    client.force_login(team["clinician"])

    response = client.post(
        reverse("cessation_staff:medication_stop", args=[patient.pk, medication.pk])
    )

    assert response.status_code == HTTPStatus.FOUND
    medication.refresh_from_db()
    assert medication.stopped_on == services.patient_today(patient)


def test_stopping_another_patients_medication_through_ones_own_patient_is_a_404(client, team):
    other = PatientFactory(profile=team["clinician"])
    medication = services.medication_add(patient=other, by=team["clinician"], name="Clozapine")
    client.force_login(team["clinician"])

    response = client.post(
        reverse("cessation_staff:medication_stop", args=[team["patient"].pk, medication.pk])
    )

    assert response.status_code == HTTPStatus.NOT_FOUND
    medication.refresh_from_db()
    assert medication.stopped_on is None


# --- Access to the actions -----------------------------------------------------------------------


def _actions(patient: User, medication: Medication) -> list[tuple[str, dict]]:
    today = services.patient_today(patient).isoformat()
    return [
        (_co_url(patient), {"taken_on": today, "ppm": "5"}),
        (_med_url(patient), {"name": "Olanzapine"}),
        (
            reverse("cessation_staff:medication_stop", args=[patient.pk, medication.pk]),
            {},
        ),
        (
            reverse("cessation_staff:quit_plan", args=[patient.pk]),
            _plan_form(services.patient_today(patient)),
        ),
    ]


def _state(patient: User) -> tuple:
    return (
        COReading.objects.filter(patient=patient).count(),
        list(Medication.objects.filter(patient=patient).values_list("name", "stopped_on")),
        QuitPlan.objects.filter(patient=patient).count(),
    )


def test_another_clinicians_patient_is_a_404_and_nothing_changes(client, team):
    patient = team["patient"]
    medication = services.medication_add(patient=patient, by=team["clinician"], name="Clozapine")
    before = _state(patient)
    client.force_login(ClinicianFactory())

    for url, data in _actions(patient, medication):
        assert client.post(url, data).status_code == HTTPStatus.NOT_FOUND, url
        assert client.get(url).status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED)

    assert _state(patient) == before


@pytest.mark.parametrize("role", ["patient", "peer", "admin"])
def test_other_roles_get_403_and_nothing_changes(client, team, role):
    patient = team["patient"]
    medication = services.medication_add(patient=patient, by=team["clinician"], name="Clozapine")
    before = _state(patient)
    user = {"patient": patient, "peer": team["peer"], "admin": AdminFactory()}[role]
    client.force_login(user)

    for url, data in _actions(patient, medication):
        assert client.post(url, data).status_code == HTTPStatus.FORBIDDEN, url

    assert _state(patient) == before


def test_an_anonymous_visitor_is_sent_to_log_in(client, team):
    response = client.post(_co_url(team["patient"]), {"ppm": "5"})

    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]
    assert not COReading.objects.exists()


def test_a_post_from_the_patient_page_is_audited_as_a_read_of_the_patient(client, team):
    patient = team["patient"]
    client.force_login(team["clinician"])

    client.post(_med_url(patient), {"name": "Lithium"})

    assert AuditEvent.objects.filter(
        actor=team["clinician"], subject=patient, action="patient.viewed"
    ).exists()


# --- The quit plan, set with the patient --------------------------------------------------------


def _plan_form(today, **overrides) -> dict:
    data = {
        "quit_date": (today + timedelta(days=3)).isoformat(),
        "product": "cigarettes",
        "per_day": "20",
        "pack_price": "14.50",
        "pack_size": "20",
        "time_to_first": "5",
        "supports": ["patch"],
        "dose_patch": "21 mg",
        "triggers": ["waking"],
        "triggers_other": "",
        "reasons": "My lungs.",
    }
    data.update(overrides)
    return data


def test_a_clinician_sets_a_quit_plan_with_the_patient(client, team):
    patient = team["patient"]
    client.force_login(team["clinician"])
    url = reverse("cessation_staff:quit_plan", args=[patient.pk])
    today = services.patient_today(patient)

    assert client.get(url).status_code == HTTPStatus.OK
    response = client.post(url, _plan_form(today))

    assert response.status_code == HTTPStatus.FOUND
    plan = QuitPlan.objects.get(patient=patient)
    assert plan.quit_date == today + timedelta(days=3)
    assert plan.supports == [{"kind": "patch", "dose": "21 mg"}]
    change = QuitDateChange.objects.get(plan=plan)
    assert change.changed_by == team["clinician"]
    html = client.get(response["Location"]).content.decode()
    assert "by their care team" in html


def test_changing_the_quit_date_keeps_the_history(client, team):
    patient = team["patient"]
    _plan(patient, days_ago=2)
    client.force_login(team["backup"])
    url = reverse("cessation_staff:quit_plan", args=[patient.pk])
    today = services.patient_today(patient)

    assert "For my daughter, Maya." in client.get(url).content.decode()
    client.post(url, _plan_form(today, quit_date=(today + timedelta(days=7)).isoformat()))

    dates = list(
        QuitDateChange.objects.filter(plan__patient=patient).values_list("old_date", "new_date")
    )
    assert dates == [
        (None, today - timedelta(days=2)),
        (today - timedelta(days=2), today + timedelta(days=7)),
    ]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"per_day": "3000"}, "between 1 and 120"),
        ({"per_day": "-4"}, "between 1 and 120"),
        ({"pack_price": "14,5,0"}, "like 14.50"),
        ({"quit_date": "2001-01-01"}, "next 6 weeks"),
    ],
)
def test_a_bad_quit_plan_comes_back_with_the_message_and_saves_nothing(
    client, team, overrides, message
):
    patient = team["patient"]
    client.force_login(team["clinician"])

    response = client.post(
        reverse("cessation_staff:quit_plan", args=[patient.pk]),
        _plan_form(services.patient_today(patient), **overrides),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not QuitPlan.objects.exists()


# --- Health timeline content ---------------------------------------------------------------------


def test_a_clinician_approves_the_health_timeline(client, benefits):
    clinician = ClinicianFactory(full_name="Dr Ruth Adeyemi")
    client.force_login(clinician)
    url = reverse("cessation_staff:health_content")

    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert benefits[0].text in page.content.decode()
    assert "Needs approval" in page.content.decode()
    response = client.post(url, follow=True)

    assert response.status_code == HTTPStatus.OK
    assert set(HealthBenefit.objects.values_list("approved_by", flat=True)) == {clinician.pk}
    assert "By Dr Ruth Adeyemi on" in response.content.decode()
    assert AuditEvent.objects.filter(actor=clinician, action="health_content.approved").exists()


@pytest.mark.parametrize("role", ["patient", "peer", "admin"])
def test_only_clinicians_reach_the_health_content_page(client, benefits, role):
    user = {"patient": PatientFactory, "peer": PeerFactory, "admin": AdminFactory}[role]()
    client.force_login(user)
    url = reverse("cessation_staff:health_content")

    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    assert client.post(url).status_code == HTTPStatus.FORBIDDEN
    assert not HealthBenefit.objects.filter(approved_at__isnull=False).exists()


def _admin_form(benefit: HealthBenefit, **changes) -> dict:
    data = {
        "after_minutes": benefit.after_minutes,
        "when_label": benefit.when_label,
        "text": benefit.text,
        "source": benefit.source,
        "source_url": benefit.source_url,
        "order": benefit.order,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_an_admin_edit_clears_the_approval_of_that_entry(client, benefits):
    services.health_benefits_approve(by=ClinicianFactory())
    edited, untouched = benefits[0], benefits[1]
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:cessation_healthbenefit_change", args=[edited.pk]),
        _admin_form(edited, text="Your pulse settles within 20 minutes."),
    )

    assert response.status_code == HTTPStatus.FOUND
    edited.refresh_from_db()
    untouched.refresh_from_db()
    assert edited.text == "Your pulse settles within 20 minutes."
    assert (edited.approved_by, edited.approved_at) == (None, None)
    assert untouched.approved_by is not None


def test_an_admin_save_without_changes_keeps_the_approval(client, benefits):
    services.health_benefits_approve(by=ClinicianFactory())
    client.force_login(AdminFactory())

    client.post(
        reverse("admin:cessation_healthbenefit_change", args=[benefits[0].pk]),
        _admin_form(benefits[0]),
    )

    benefits[0].refresh_from_db()
    assert benefits[0].approved_at is not None


@pytest.mark.parametrize("model", ["checkin", "craving", "coreading", "medication", "quitplan"])
def test_health_data_is_not_in_the_admin(client, model):
    client.force_login(AdminFactory())

    response = client.get(f"/admin/cessation/{model}/")

    assert response.status_code == HTTPStatus.NOT_FOUND


# --- The flag page's timeline --------------------------------------------------------------------


def test_check_ins_and_cravings_appear_on_the_flag_timeline(client, team):
    patient = team["patient"]
    today = services.patient_today(patient)
    services.checkin_submit(
        patient=patient,
        day=today,
        cigarettes=0,
        craving=6,
        mood=3,
        sleep="poorly",
        harm_thoughts="no",
        note="a hard day",
    )
    services.craving_log(patient=patient, intensity=8, where="home", with_whom="alone")
    CheckIn.objects.create(
        patient=patient,
        day=today - timedelta(days=40),
        cigarettes=9,
        craving=2,
        mood=5,
        sleep="ok",
        harm_thoughts="no",
    )
    flag = flag_raise(
        patient=patient,
        source=Flag.Source.CONCERN,
        category=Flag.Category.CONCERN,
        severity=Severity.MEDIUM,
        summary="Worried",
    )
    client.force_login(team["clinician"])

    html = client.get(reverse("safety:flag_detail", args=[flag.pk])).content.decode()

    assert "Check-in:" in html
    assert "0 cigarettes, craving 6/10, mood 3/10, slept poorly, left a note" in html
    assert "a hard day" not in html  # the note is indicated, not shown
    assert "Craving logged:" in html
    assert "strength 8/10, at home, on my own" in html
    assert "9 cigarettes" not in html  # older than 30 days


def test_days_before_a_new_patient_joined_are_not_shown_as_missed(client):
    clinician = ClinicianFactory()
    patient = PatientFactory(profile=clinician)  # joined just now
    client.force_login(clinician)

    html = _page(client, patient).content.decode()

    assert "Not yet joined" in html
    assert "calendar__day--missed" not in html
