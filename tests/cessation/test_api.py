"""The quit-tracking API: a patient's own quit plan, check-ins, cravings and progress; their
clinicians' reads (audited) and CO readings. Every role on every route, the one error shape,
pagination, one check-in a day, the crisis hint, and the schema."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.apps import apps
from django.urls import reverse

from accounts.models import User
from cessation import services
from cessation.models import CheckIn, COReading, Craving, QuitDateChange, QuitPlan
from core.models import AuditEvent
from safety.models import Flag
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
health_benefits_migration = importlib.import_module("cessation.migrations.0002_health_benefits")

OWN_ROUTES = ["api:quit_plan", "api:checkin_list", "api:craving_list", "api:progress"]
CARE_TEAM_ROUTES = [
    "api:patient_checkin_list",
    "api:patient_progress",
    "api:patient_co_reading_list",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def team(db):
    clinician, backup, peer = ClinicianFactory(), ClinicianFactory(), PeerFactory()
    patient = PatientFactory(
        profile=clinician, profile__backup_clinician=backup, profile__peer_specialist=peer
    )
    return {"patient": patient, "clinician": clinician, "backup": backup, "peer": peer}


@pytest.fixture
def as_patient(client, team):
    client.force_login(team["patient"])
    return client


@pytest.fixture
def as_clinician(client, team):
    client.force_login(team["clinician"])
    return client


def _today(patient: User):
    return services.patient_today(patient)


def _plan(patient: User, *, days_ago: int = 20) -> QuitPlan:
    plan = QuitPlan.objects.create(
        patient=patient,
        quit_date=_today(patient) - timedelta(days=days_ago),
        per_day=Decimal(20),
        pack_price=Decimal("10.00"),
        pack_size=20,
        time_to_first="5",
    )
    QuitDateChange.objects.create(plan=plan, new_date=plan.quit_date, changed_by=patient)
    return plan


def _checkin_body(patient: User, **overrides) -> dict:
    body = {
        "day": _today(patient).isoformat(),
        "cigarettes": 0,
        "craving": 4,
        "mood": 6,
        "sleep": "ok",
        "harm_thoughts": "no",
        "supports_used": ["patch"],
        "note": "",
    }
    body.update(overrides)
    return body


def _plan_body(patient: User, **overrides) -> dict:
    body = {
        "quit_date": (_today(patient) + timedelta(days=2)).isoformat(),
        "product": "cigarettes",
        "per_day": "20",
        "pack_price": "14.50",
        "pack_size": 20,
        "time_to_first": "30",
        "supports": [{"support": "patch", "dose": "21 mg"}, {"support": "gum"}],
        "triggers": ["coffee"],
        "reasons": "To run with my kids.",
    }
    body.update(overrides)
    return body


def _assert_error(response, status: HTTPStatus, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert set(body) == ({"detail", "code", "errors"} if code == "invalid" else {"detail", "code"})
    return body


def _url(name: str, patient: User | None = None) -> str:
    return reverse(name, args=[patient.pk] if name in CARE_TEAM_ROUTES else [])


# --- Who may use which route ---------------------------------------------------------------------


@pytest.mark.parametrize("name", OWN_ROUTES)
@pytest.mark.parametrize("role", ["clinician", "peer", "admin"])
def test_staff_get_403_on_the_patients_own_routes(client, team, name, role):
    user = AdminFactory() if role == "admin" else team[role]
    client.force_login(user)

    _assert_error(client.get(_url(name)), HTTPStatus.FORBIDDEN, "permission_denied")


@pytest.mark.parametrize("name", CARE_TEAM_ROUTES)
@pytest.mark.parametrize("role", ["patient", "peer", "admin"])
def test_only_clinicians_use_the_care_team_routes(client, team, name, role):
    user = AdminFactory() if role == "admin" else team[role]
    client.force_login(user)

    _assert_error(
        client.get(_url(name, team["patient"])), HTTPStatus.FORBIDDEN, "permission_denied"
    )


@pytest.mark.parametrize("name", OWN_ROUTES + CARE_TEAM_ROUTES)
def test_anonymous_requests_get_401(client, team, name):
    _assert_error(
        client.get(_url(name, team["patient"])), HTTPStatus.UNAUTHORIZED, "not_authenticated"
    )


@pytest.mark.parametrize("name", CARE_TEAM_ROUTES)
@pytest.mark.parametrize("who", ["clinician", "backup"])
def test_the_named_and_backup_clinician_read_and_are_audited(client, team, name, who):
    _plan(team["patient"])
    client.force_login(team[who])

    response = client.get(_url(name, team["patient"]))

    assert response.status_code == HTTPStatus.OK
    assert AuditEvent.objects.filter(
        actor=team[who], subject=team["patient"], action="patient.viewed"
    ).exists()


@pytest.mark.parametrize("name", CARE_TEAM_ROUTES)
def test_a_patient_outside_the_caseload_is_404(client, team, name):
    client.force_login(ClinicianFactory())

    _assert_error(client.get(_url(name, team["patient"])), HTTPStatus.NOT_FOUND, "not_found")


def test_a_clinician_cannot_record_co_for_a_patient_outside_the_caseload(client, team):
    client.force_login(ClinicianFactory())

    response = client.post(
        _url("api:patient_co_reading_list", team["patient"]),
        {"taken_on": _today(team["patient"]).isoformat(), "ppm": 5},
        JSON,
    )

    _assert_error(response, HTTPStatus.NOT_FOUND, "not_found")
    assert not COReading.objects.exists()


def test_an_unknown_patient_id_is_404_for_a_clinician(as_clinician):
    response = as_clinician.get(reverse("api:patient_progress", args=[987654]))

    _assert_error(response, HTTPStatus.NOT_FOUND, "not_found")


def test_staff_without_a_second_factor_are_refused(client, team):
    patient = team["patient"]
    client.force_login(ClinicianFactory(mfa=False))

    response = client.get(_url("api:patient_progress", patient))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "mfa_required"


# --- Quit plan -----------------------------------------------------------------------------------


def test_no_plan_yet_is_404_with_a_hint(as_patient):
    body = _assert_error(
        as_patient.get(reverse("api:quit_plan")), HTTPStatus.NOT_FOUND, "not_found"
    )

    assert "PUT" in body["detail"]


def test_a_patient_sets_then_changes_their_plan(as_patient, team):
    patient = team["patient"]

    created = as_patient.put(reverse("api:quit_plan"), _plan_body(patient), JSON)

    assert created.status_code == HTTPStatus.CREATED, created.content
    body = created.json()
    assert body["supports"] == [
        {"support": "patch", "dose": "21 mg"},
        {"support": "gum", "dose": ""},
    ]
    assert body["heaviness_of_smoking_index"] == {"score": 3, "level": "moderate"}
    assert body["reasons"] == "To run with my kids."
    assert len(body["quit_date_history"]) == 1
    assert body["quit_date_history"][0]["by_patient"] is True

    new_date = (_today(patient) + timedelta(days=9)).isoformat()
    changed = as_patient.put(
        reverse("api:quit_plan"), _plan_body(patient, quit_date=new_date), JSON
    )

    assert changed.status_code == HTTPStatus.OK
    history = changed.json()["quit_date_history"]
    assert [entry["new_date"] for entry in history][-1] == new_date
    assert history[-1]["old_date"] == body["quit_date"]
    assert as_patient.get(reverse("api:quit_plan")).json()["quit_date"] == new_date


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"per_day": "3000"}, "per_day"),
        ({"per_day": "-2"}, "per_day"),
        ({"pack_price": "14,50"}, "pack_price"),
        ({"pack_size": 0}, "pack_size"),
        ({"quit_date": "2001-01-01"}, "quit_date"),
        ({"product": "cigars"}, "product"),
        ({"supports": [{"support": "hypnosis"}]}, "supports.0.support"),
        ({"triggers": ["full moon"]}, "triggers.0"),
    ],
)
def test_a_bad_plan_is_400_by_field_and_saves_nothing(as_patient, team, overrides, field):
    response = as_patient.put(
        reverse("api:quit_plan"), _plan_body(team["patient"], **overrides), JSON
    )

    body = _assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert field in body["errors"], body
    assert not QuitPlan.objects.exists()


def test_a_date_far_ahead_is_refused_by_the_service_rule(as_patient, team):
    far = (_today(team["patient"]) + timedelta(days=60)).isoformat()

    response = as_patient.put(
        reverse("api:quit_plan"), _plan_body(team["patient"], quit_date=far), JSON
    )

    body = _assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert "6 weeks" in body["errors"]["quit_date"][0]


def test_a_plan_on_clozapine_raises_a_medication_review(as_patient, team):
    services.medication_add(patient=team["patient"], by=team["clinician"], name="Clozapine")

    as_patient.put(reverse("api:quit_plan"), _plan_body(team["patient"]), JSON)

    assert Flag.objects.filter(
        patient=team["patient"], category=Flag.Category.MEDICATION_REVIEW
    ).exists()


# --- Check-ins -----------------------------------------------------------------------------------


def test_a_check_in_is_created_then_the_same_day_updates_it(as_patient, team):
    patient = team["patient"]

    first = as_patient.post(reverse("api:checkin_list"), _checkin_body(patient), JSON)
    second = as_patient.post(
        reverse("api:checkin_list"), _checkin_body(patient, cigarettes=2, craving=7), JSON
    )

    assert first.status_code == HTTPStatus.CREATED, first.content
    assert first.json()["created"] is True
    assert second.status_code == HTTPStatus.OK
    assert second.json()["created"] is False
    assert second.json()["check_in"]["id"] == first.json()["check_in"]["id"]
    checkin = CheckIn.objects.get(patient=patient)
    assert (checkin.cigarettes, checkin.craving) == (2, 7)


def test_back_filling_the_last_three_days_is_allowed_but_not_four(as_patient, team):
    patient = team["patient"]
    today = _today(patient)

    ok = as_patient.post(
        reverse("api:checkin_list"),
        _checkin_body(patient, day=(today - timedelta(days=3)).isoformat()),
        JSON,
    )
    too_old = as_patient.post(
        reverse("api:checkin_list"),
        _checkin_body(patient, day=(today - timedelta(days=4)).isoformat()),
        JSON,
    )

    assert ok.status_code == HTTPStatus.CREATED
    body = _assert_error(too_old, HTTPStatus.BAD_REQUEST, "invalid")
    assert "last 3 days" in body["errors"]["day"][0]
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"cigarettes": 3000}, "cigarettes"),
        ({"cigarettes": -1}, "cigarettes"),
        ({"craving": 11}, "craving"),
        ({"mood": "happy"}, "mood"),
        ({"sleep": "badly"}, "sleep"),
        ({"harm_thoughts": "maybe"}, "harm_thoughts"),
        ({"supports_used": ["none"]}, "supports_used.0"),
        ({"note": "x" * 2001}, "note"),
        ({"day": "tomorrow"}, "day"),
    ],
)
def test_a_bad_check_in_is_400_by_field_and_saves_nothing(as_patient, team, overrides, field):
    response = as_patient.post(
        reverse("api:checkin_list"), _checkin_body(team["patient"], **overrides), JSON
    )

    body = _assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert field in body["errors"], body
    assert not CheckIn.objects.exists()


def test_a_check_in_for_tomorrow_is_refused(as_patient, team):
    tomorrow = (_today(team["patient"]) + timedelta(days=1)).isoformat()

    response = as_patient.post(
        reverse("api:checkin_list"), _checkin_body(team["patient"], day=tomorrow), JSON
    )

    body = _assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert "not happened yet" in body["errors"]["day"][0]


def test_a_check_in_names_no_other_patient(as_patient, team):
    other = PatientFactory()

    response = as_patient.post(
        reverse("api:checkin_list"),
        {**_checkin_body(team["patient"]), "patient": other.pk, "patient_id": other.pk},
        JSON,
    )

    assert response.status_code == HTTPStatus.CREATED
    assert CheckIn.objects.get().patient == team["patient"]
    assert not CheckIn.objects.filter(patient=other).exists()


def test_yes_to_the_safety_question_tells_the_client_to_show_crisis_support(as_patient, team):
    response = as_patient.post(
        reverse("api:checkin_list"), _checkin_body(team["patient"], harm_thoughts="yes"), JSON
    )

    body = response.json()
    assert body["show_crisis_support"] is True
    assert body["crisis_support_url"].endswith(reverse("safety:crisis_support"))
    assert Flag.objects.filter(patient=team["patient"], category=Flag.Category.CRISIS).exists()


def test_an_ordinary_check_in_has_no_crisis_hint(as_patient, team):
    body = as_patient.post(
        reverse("api:checkin_list"), _checkin_body(team["patient"], mood=2), JSON
    ).json()

    assert body["show_crisis_support"] is False
    assert body["crisis_support_url"] is None
    # A very low mood is for the clinician, not a crisis page.
    assert Flag.objects.filter(patient=team["patient"], category=Flag.Category.LOW_MOOD).exists()


def _many_checkins(patient: User, days: int) -> None:
    today = _today(patient)
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=patient,
            day=today - timedelta(days=n),
            cigarettes=n % 3,
            craving=5,
            mood=5,
            sleep="ok",
            harm_thoughts="no",
        )
        for n in range(days)
    )


def test_check_ins_are_paginated_newest_first_and_only_ones_own(as_patient, team):
    _many_checkins(team["patient"], 30)
    _many_checkins(PatientFactory(), 5)

    first = as_patient.get(reverse("api:checkin_list")).json()
    second = as_patient.get(reverse("api:checkin_list"), {"page": 2}).json()

    assert first["count"] == 30
    assert len(first["results"]) == 25
    assert first["results"][0]["day"] == _today(team["patient"]).isoformat()
    assert first["next"] is not None
    assert len(second["results"]) == 5
    small = as_patient.get(reverse("api:checkin_list"), {"page_size": 10}).json()
    assert len(small["results"]) == 10


def test_a_page_past_the_end_is_404_in_the_error_shape(as_patient):
    response = as_patient.get(reverse("api:checkin_list"), {"page": 9})

    _assert_error(response, HTTPStatus.NOT_FOUND, "not_found")


def test_the_clinician_reads_a_patients_check_ins_with_the_note(as_clinician, team):
    services.checkin_submit(
        patient=team["patient"],
        day=_today(team["patient"]),
        cigarettes=1,
        craving=5,
        mood=5,
        sleep="ok",
        harm_thoughts="no",
        note="Struggled after the ward round.",
    )
    _many_checkins(PatientFactory(profile=team["clinician"]), 3)

    body = as_clinician.get(_url("api:patient_checkin_list", team["patient"])).json()

    assert body["count"] == 1
    assert body["results"][0]["note"] == "Struggled after the ward round."


# --- Cravings ------------------------------------------------------------------------------------


def test_a_patient_logs_and_lists_cravings(as_patient, team):
    response = as_patient.post(
        reverse("api:craving_list"),
        {"intensity": 8, "where": "home", "with_whom": "alone", "doing": "bored", "mood": 4},
        JSON,
    )
    Craving.objects.create(patient=PatientFactory(), intensity=2)

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["smoked"] is False
    listed = as_patient.get(reverse("api:craving_list")).json()
    assert listed["count"] == 1
    assert listed["results"][0]["intensity"] == 8


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"intensity": 12}, "intensity"),
        ({}, "intensity"),
        ({"intensity": 5, "where": "the moon"}, "where"),
        ({"intensity": 5, "mood": -1}, "mood"),
    ],
)
def test_a_bad_craving_is_400_and_saves_nothing(as_patient, body, field):
    response = as_patient.post(reverse("api:craving_list"), body, JSON)

    errors = _assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert field in errors
    assert not Craving.objects.exists()


# --- Progress ------------------------------------------------------------------------------------


def test_progress_without_a_plan_says_so(as_patient):
    body = as_patient.get(reverse("api:progress")).json()

    assert body["has_plan"] is False
    assert body["days_quit"] is None
    assert body["russell"] is None
    assert body["badges"] == []


def test_progress_has_the_arithmetic_of_the_dashboard(as_patient, team):
    patient = team["patient"]
    health_benefits_migration.forwards(apps, None)
    _plan(patient, days_ago=20)
    _many_checkins(patient, 3)  # 0, 1 and 2 cigarettes: 3 in all, in the last days
    COReading.objects.create(
        patient=patient,
        taken_on=_today(patient) - timedelta(days=1),
        ppm=4,
        recorded_by=team["clinician"],
    )
    services.health_benefits_approve(by=team["clinician"])

    body = as_patient.get(reverse("api:progress")).json()

    assert body["has_plan"] is True
    assert body["days_quit"] == 20
    assert body["cigarettes_smoked"] == 3
    assert body["cigarettes_not_smoked"] == 20 * 20 - 3
    assert body["money_saved"] == "198.50"
    assert body["russell"]["state"] == "on_track"
    assert body["russell"]["smoked_since_grace"] == 3
    assert body["russell"]["allowance_left"] == 2
    assert body["co_window"]["state"] == "upcoming"
    assert body["next_milestone"] == {"days": 28, "label": "4 weeks"}
    assert "2 weeks smoke-free" in body["badges"]
    assert body["heaviness_of_smoking_index"] == {"score": 4, "level": "moderate"}
    assert body["health_timeline"][0]["reached"] is True
    assert body["health_timeline_approval"]["approved_by"] == team["clinician"].full_name


def test_the_clinician_sees_the_same_progress_as_the_patient(client, team):
    _plan(team["patient"])
    _many_checkins(team["patient"], 4)
    client.force_login(team["patient"])
    own = client.get(reverse("api:progress")).json()
    client.force_login(team["backup"])

    theirs = client.get(_url("api:patient_progress", team["patient"])).json()

    assert theirs == own


# --- CO readings ---------------------------------------------------------------------------------


def test_a_clinician_records_and_lists_co_readings(as_clinician, team):
    patient = team["patient"]
    url = _url("api:patient_co_reading_list", patient)

    response = as_clinician.post(
        url, {"taken_on": _today(patient).isoformat(), "ppm": 7, "self_reported": True}, JSON
    )

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["self_reported"] is False
    assert body["recorded_by_name"] == team["clinician"].full_name
    assert as_clinician.get(url).json()["count"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ppm": 101}, "ppm"),
        ({"ppm": -3}, "ppm"),
        ({"ppm": 5, "taken_on": "future"}, "taken_on"),
        ({"ppm": 5, "taken_on": "2001-01-01"}, "taken_on"),
        ({"ppm": 5, "taken_on": "14/06/2025"}, "taken_on"),
    ],
)
def test_a_bad_co_reading_is_400_and_saves_nothing(as_clinician, team, body, field):
    patient = team["patient"]
    body = {"taken_on": _today(patient).isoformat(), **body}
    if body["taken_on"] == "future":
        body["taken_on"] = (_today(patient) + timedelta(days=1)).isoformat()

    response = as_clinician.post(_url("api:patient_co_reading_list", patient), body, JSON)

    assert field in _assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert not COReading.objects.exists()


# --- Schema --------------------------------------------------------------------------------------


def test_the_schema_describes_every_quit_tracking_route(client):
    schema = json.loads(client.get(f"{reverse('api-schema')}?format=json").content)
    paths = schema["paths"]

    expected = {
        "/api/v1/quit-plan/": {"get", "put"},
        "/api/v1/check-ins/": {"get", "post"},
        "/api/v1/cravings/": {"get", "post"},
        "/api/v1/progress/": {"get"},
        "/api/v1/patients/{patient_id}/check-ins/": {"get"},
        "/api/v1/patients/{patient_id}/progress/": {"get"},
        "/api/v1/patients/{patient_id}/co-readings/": {"get", "post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
        for method in methods:
            responses = paths[path][method]["responses"]
            assert {"401", "403"} <= set(responses), (path, method)
    post = paths["/api/v1/check-ins/"]["post"]
    assert "second POST for the same day updates it" in post["description"]
    result = schema["components"]["schemas"]["CheckInResult"]["properties"]
    assert {"show_crisis_support", "crisis_support_url", "created", "check_in"} <= set(result)
    listed = paths["/api/v1/check-ins/"]["get"]["responses"]["200"]["content"][JSON]["schema"]
    assert listed["$ref"].endswith("PaginatedCheckInList")
