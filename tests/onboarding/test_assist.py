"""Assisted onboarding: a clinician or peer specialist of the patient's care team goes through
the steps on their own screen with the patient present. Only the care team, only in an open,
audited session, entering only what their role already may; consent stays the patient's own."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from cessation.models import Medication, QuitPlan
from core.models import AuditEvent, Notification
from onboarding import services
from onboarding.models import AssistSession, Baseline, Consent, StepRecord
from onboarding.selectors import assist_session_open
from safety.models import SafetyPlan
from tests.onboarding.helpers import (
    BASELINE,
    a_clinician,
    a_new_patient,
    a_peer,
    at_step,
    quit_plan_data,
    through_consent,
    today,
)

pytestmark = pytest.mark.django_db

PATIENT_OWN = "The patient does this themselves"
DONE_TOGETHER = {"together": "on"}


class Team:
    def __init__(self) -> None:
        self.clinician = a_clinician()
        self.peer = a_peer(mfa=True)
        self.patient = a_new_patient(clinician=self.clinician, peer=self.peer)

    def url(self, name: str, step: str | None = None) -> str:
        args = [self.patient.pk] if step is None else [self.patient.pk, step]
        return reverse(f"onboarding:{name}", args=args)


@pytest.fixture
def team() -> Team:
    return Team()


def _record(patient, step: str) -> StepRecord | None:
    return StepRecord.objects.filter(journey__patient=patient, step=step).first()


def _assisting(client, staff, patient) -> AssistSession:
    client.force_login(staff)
    return services.assist_start(staff=staff, patient=patient)


# --- Who may assist -------------------------------------------------------------------------------


@pytest.mark.parametrize("outsider", ["clinician", "peer"])
def test_staff_outside_the_care_team_find_no_such_patient(client, team, outsider):
    client.force_login(a_clinician() if outsider == "clinician" else a_peer(mfa=True))

    responses = {
        "overview": client.get(team.url("staff_overview")),
        "start": client.post(team.url("assist_start"), {"present": "on"}),
        "step": client.get(team.url("assist_step", "welcome")),
        "step post": client.post(team.url("assist_step", "welcome"), DONE_TOGETHER),
        "end": client.post(team.url("assist_end")),
        "reminder": client.post(team.url("staff_reminder")),
    }

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(
        responses, HTTPStatus.NOT_FOUND
    )
    assert not AssistSession.objects.exists()
    assert not Notification.objects.filter(recipient=team.patient).exists()
    assert _record(team.patient, "welcome") is None
    assert not AuditEvent.objects.filter(action__startswith="onboarding.assist").exists()


def test_the_service_refuses_staff_outside_the_care_team(team):
    with pytest.raises(PermissionDenied):
        services.assist_start(staff=a_clinician(), patient=team.patient)

    assert not AssistSession.objects.exists()


def test_a_patient_cannot_open_the_staff_pages(client, team):
    through_consent(team.patient)  # before it, every page takes them to their onboarding
    client.force_login(team.patient)

    assert client.get(team.url("staff_overview")).status_code == HTTPStatus.FORBIDDEN
    assert client.post(team.url("assist_start"), {"present": "on"}).status_code == 403
    assert client.get(team.url("assist_step", "welcome")).status_code == 403
    assert client.post(team.url("staff_reminder")).status_code == HTTPStatus.FORBIDDEN
    assert not AssistSession.objects.exists()


# --- Starting and ending --------------------------------------------------------------------------


def test_assisting_starts_only_with_the_patient_present(client, team):
    client.force_login(team.clinician)

    response = client.post(team.url("assist_start"), {}, follow=True)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Assist only with the patient present and agreeing: tick the box." in response.text
    assert 'class="field field--error"' in response.text
    assert not AssistSession.objects.exists()
    assert not AuditEvent.objects.filter(action="onboarding.assist_started").exists()


def test_starting_and_ending_a_session_is_audited(client, team, settings):
    settings.ONBOARDING_ASSIST_MINUTES = 30
    client.force_login(team.clinician)

    response = client.post(team.url("assist_start"), {"present": "on"})

    assert response.url == team.url("assist_step", "welcome")
    session = AssistSession.objects.get()
    assert (session.staff, session.patient) == (team.clinician, team.patient)
    assert session.is_open
    assert session.expires_at - session.started_at == timedelta(minutes=30)
    started = AuditEvent.objects.get(action="onboarding.assist_started")
    assert (started.actor_id, started.subject_id) == (team.clinician.pk, team.patient.pk)
    assert started.target_id == str(session.pk)

    client.post(team.url("assist_step", "welcome"), DONE_TOGETHER)
    response = client.post(team.url("assist_end"))

    assert response.url == team.url("staff_overview")
    session.refresh_from_db()
    assert session.ended_at is not None
    ended = AuditEvent.objects.get(action="onboarding.assist_ended")
    assert ended.actor_id == team.clinician.pk
    assert ended.detail == {"steps_completed": 1}
    # With the session ended, a step sends the staff member back to the overview.
    assert client.get(team.url("assist_step", "privacy")).url == team.url("staff_overview")


def test_starting_again_closes_the_session_left_open(client, team):
    first = _assisting(client, team.peer, team.patient)

    client.post(team.url("assist_start"), {"present": "on"})

    first.refresh_from_db()
    assert first.ended_at is not None
    assert AssistSession.objects.filter(ended_at__isnull=True).count() == 1


def test_the_session_resumes_at_the_step_the_patient_is_on(client, team):
    at_step(team.patient, "about_you")
    client.force_login(team.clinician)

    response = client.post(team.url("assist_start"), {"present": "on"})

    assert response.url == team.url("assist_step", "about_you")


def test_without_an_open_session_a_step_goes_to_the_overview(client, team):
    client.force_login(team.clinician)

    response = client.get(team.url("assist_step", "welcome"))
    posted = client.post(team.url("assist_step", "welcome"), DONE_TOGETHER)

    assert response.url == posted.url == team.url("staff_overview")
    assert _record(team.patient, "welcome") is None


def test_an_expired_session_is_not_open(client, team):
    session = _assisting(client, team.clinician, team.patient)
    AssistSession.objects.filter(pk=session.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    session.refresh_from_db()

    assert not session.is_open
    assert assist_session_open(staff=team.clinician, patient=team.patient) is None
    response = client.post(team.url("assist_step", "welcome"), DONE_TOGETHER)
    assert response.url == team.url("staff_overview")
    assert _record(team.patient, "welcome") is None
    at_step(team.patient, "about_you")
    with pytest.raises(PermissionDenied):
        services.baseline_save(
            patient=team.patient,
            by=team.clinician,
            assist=session,
            **{**BASELINE, "age_started": 15, "per_day": 25, "mood": 6, "vapes": False},
        )
    assert not Baseline.objects.exists()


def test_every_assisted_page_read_is_audited_as_a_look_at_the_record(client, team):
    _assisting(client, team.clinician, team.patient)
    reads = AuditEvent.objects.filter(
        action="patient.viewed", actor=team.clinician, subject=team.patient
    )

    client.get(team.url("assist_step", "welcome"))
    client.get(team.url("assist_step", "welcome"))
    client.post(team.url("assist_step", "welcome"), DONE_TOGETHER)

    assert [event.detail for event in reads] == [{"purpose": "onboarding assist"}] * 3
    client.get(team.url("staff_overview"))
    assert reads.all().count() == 4
    assert reads.all().first().detail == {"purpose": "onboarding"}


# --- What staff may do in a session ---------------------------------------------------------------


@pytest.mark.parametrize("staff", ["clinician", "peer"])
def test_staff_mark_the_explanations_done_together_and_the_record_says_so(client, team, staff):
    staff = getattr(team, staff)
    session = _assisting(client, staff, team.patient)

    page = client.get(team.url("assist_step", "welcome"))
    # A browser sends the form's token whether or not the box is ticked.
    refused = client.post(team.url("assist_step", "welcome"), {"csrfmiddlewaretoken": "x"})
    welcome = client.post(team.url("assist_step", "welcome"), DONE_TOGETHER)
    privacy = client.post(team.url("assist_step", "privacy"), DONE_TOGETHER)

    assert page.status_code == HTTPStatus.OK
    assert "We went through this together" in page.text
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "Tick the box once you have gone through it together." in refused.text
    assert welcome.url == team.url("assist_step", "privacy")
    assert privacy.url == team.url("assist_step", "consent")
    for step in ("welcome", "privacy"):
        record = _record(team.patient, step)
        assert record.completed_by == staff
        assert record.assist == session
    overview = client.get(team.url("staff_overview"))
    assert overview.text.count("(assisted)") == 2


def test_consent_is_the_patients_own_even_in_a_session(client, team):
    at_step(team.patient, "consent")
    _assisting(client, team.clinician, team.patient)

    page = client.get(team.url("assist_step", "consent"))
    response = client.post(team.url("assist_step", "consent"), {"version": "1", "agree": "on"})

    assert page.status_code == HTTPStatus.OK
    assert PATIENT_OWN in page.text
    assert "I agree" not in page.text
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Consent.objects.exists()
    assert _record(team.patient, "consent") is None


def test_a_later_step_in_a_session_goes_to_the_step_the_patient_is_on(client, team):
    _assisting(client, team.clinician, team.patient)

    response = client.get(team.url("assist_step", "quit_plan"))
    unknown = client.get(team.url("assist_step", "no-such-step"))

    assert response.url == team.url("assist_step", "welcome")
    assert unknown.status_code == HTTPStatus.NOT_FOUND


def test_a_peer_enters_about_you_but_not_the_medicines_list(client, team):
    at_step(team.patient, "about_you")
    session = _assisting(client, team.peer, team.patient)

    response = client.post(team.url("assist_step", "about_you"), BASELINE)

    assert response.url == team.url("assist_step", "safety_plan")
    baseline = Baseline.objects.get(patient=team.patient)
    assert baseline.recorded_by == team.peer
    assert baseline.medicines == ["clozapine"]
    assert not Medication.objects.filter(patient=team.patient).exists()
    record = _record(team.patient, "about_you")
    assert (record.completed_by, record.assist) == (team.peer, session)


@pytest.mark.parametrize("step", ["safety_plan", "quit_plan"])
def test_a_peer_cannot_write_the_safety_plan_or_the_quit_plan(client, team, step):
    at_step(team.patient, step)
    _assisting(client, team.peer, team.patient)

    page = client.get(team.url("assist_step", step))
    response = client.post(
        team.url("assist_step", step),
        {"coping_strategies": "A walk", **quit_plan_data(today())},
    )

    assert page.status_code == HTTPStatus.OK
    assert PATIENT_OWN in page.text
    assert "Save and go on" not in page.text
    assert response.status_code == HTTPStatus.FORBIDDEN
    plan = SafetyPlan.objects.filter(patient=team.patient).first()
    assert plan is None or plan.coping_strategies == ""
    assert not QuitPlan.objects.filter(patient=team.patient).exists()
    assert _record(team.patient, step) is None


def test_a_clinician_writes_the_safety_plan_and_the_quit_plan(client, team):
    at_step(team.patient, "safety_plan")
    session = _assisting(client, team.clinician, team.patient)

    page = client.get(team.url("assist_step", "safety_plan"))
    safety = client.post(
        team.url("assist_step", "safety_plan"), {"coping_strategies": "A walk by the canal"}
    )
    quit_plan = client.post(team.url("assist_step", "quit_plan"), quit_plan_data(today()))

    assert "Save and go on" in page.text
    assert safety.url == team.url("assist_step", "quit_plan")
    assert quit_plan.url == team.url("assist_step", "tour")
    assert SafetyPlan.objects.get(patient=team.patient).coping_strategies == "A walk by the canal"
    assert QuitPlan.objects.filter(patient=team.patient).exists()
    for step in ("safety_plan", "quit_plan"):
        record = _record(team.patient, step)
        assert (record.completed_by, record.assist) == (team.clinician, session)


def test_the_tour_in_a_session_shows_each_stop_and_records_it_seen(client, team):
    at_step(team.patient, "tour")
    session = _assisting(client, team.peer, team.patient)

    tour = client.get(team.url("assist_step", "tour"))
    checkin = client.get(team.url("assist_step", "tour") + "?stop=checkin")
    help_stop = client.get(team.url("assist_step", "tour") + "?stop=help")
    missing = client.get(team.url("assist_step", "tour") + "?stop=lottery")

    assert tour.status_code == HTTPStatus.OK
    assert "?stop=messages" in tour.text
    assert checkin.status_code == HTTPStatus.OK
    assert "Checking in" in checkin.text
    assert "Ask them to try it on their own phone" in checkin.text
    assert reverse("onboarding:tour_try", args=["checkin"]) not in checkin.text
    assert help_stop.status_code == HTTPStatus.OK
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert _record(team.patient, "tour").detail["stops_seen"] == ["checkin", "help"]

    response = client.post(team.url("assist_step", "tour"), DONE_TOGETHER)

    assert response.url == team.url("assist_step", "groups")
    record = _record(team.patient, "tour")
    assert (record.completed_by, record.assist) == (team.peer, session)
    assert record.detail["stops_seen"] == ["checkin", "help"]
    assert record.detail["watched"] is False


def test_the_group_name_and_joining_stay_the_patients_own(client, team):
    at_step(team.patient, "groups")
    _assisting(client, team.clinician, team.patient)

    page = client.get(team.url("assist_step", "groups"))
    response = client.post(team.url("assist_step", "groups"), {"pseudonym": "Quiet Fox"})

    assert PATIENT_OWN in page.text
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _record(team.patient, "groups") is None


def test_a_peer_assisting_the_tour_sees_no_quit_figures_a_clinician_does(client, team):
    at_step(team.patient, "about_you")
    services.baseline_save(
        patient=team.patient,
        by=team.patient,
        age_started=15,
        per_day=20,
        time_to_first="5",
        quit_attempts="1",
        motivation="soon",
        vapes=False,
        medicines=["none"],
        support_wanted=[],
        mood=6,
    )
    for step in ("safety_plan", "quit_plan"):
        services.step_skip(patient=team.patient, step=step, by=team.patient)
    client.force_login(team.peer)
    client.post(team.url("assist_start"), {"present": "on"})

    peer_page = client.get(team.url("assist_step", "tour") + "?stop=progress").text
    overview = client.get(team.url("staff_overview")).text

    assert "Open it on your phone to see yours" in peer_page
    assert "Money saved" not in peer_page
    assert "Heaviness of Smoking Index" not in overview
    client.force_login(team.clinician)
    assert "Heaviness of Smoking Index" in client.get(team.url("staff_overview")).text
