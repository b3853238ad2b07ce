"""The safety plan: written by the patient (or with them by their clinician), encrypted, shown on
"Get help now" and on the crisis-support page; read by the peer specialist; hidden from everybody
else. And the crisis-support page's promise that the care team has been told."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.models import AuditEvent
from safety import services
from safety.models import Flag, SafetyPlan
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.safety.factories import raise_flag, raw_column

pytestmark = pytest.mark.django_db

SECTIONS = {
    "warning_signs": "CANARY-ws not sleeping, pacing at night",
    "coping_strategies": "CANARY-cs walk to the canal with headphones",
    "distractions": "CANARY-di the library on Hope Street",
    "people_to_ask": "CANARY-pa my brother Tomasz 07700 900123",
    "professionals": "CANARY-pr care coordinator weekdays, crisis team nights",
    "safe_environment": "CANARY-se my brother keeps my tablets",
    "reasons_to_live": "CANARY-rl my daughter's wedding in June",
}
TEAM_TOLD = "We have let your care team know"
OWN_PLAN = reverse("safety:safety_plan")


def _care_team_url(team) -> str:
    return reverse("safety:patient_safety_plan", args=[team.patient.pk])


def _plan(patient) -> SafetyPlan | None:
    return SafetyPlan.objects.filter(patient=patient).first()


# --- the patient's own plan ---------------------------------------------------------------------


def test_the_patient_writes_their_plan_and_every_section_is_encrypted_at_rest(client, team):
    client.force_login(team.patient)
    assert client.get(OWN_PLAN).status_code == HTTPStatus.OK

    response = client.post(OWN_PLAN, SECTIONS)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == OWN_PLAN
    plan = _plan(team.patient)
    assert plan.updated_by == team.patient
    for name, text in SECTIONS.items():
        assert getattr(plan, name) == text
        raw = raw_column("safety_safetyplan", name, "patient_id", team.patient.pk)
        assert raw
        assert "CANARY" not in raw, name
        assert text.split(" ", 1)[1] not in raw, name  # the words after the canary
    audit = AuditEvent.objects.get(action="safety_plan.updated")
    assert audit.actor_id == team.patient.pk
    assert sorted(audit.detail["sections"]) == sorted(SECTIONS)
    assert "CANARY" not in str(audit.detail)


def test_saving_the_same_plan_again_changes_nothing_and_audits_nothing(client, team):
    client.force_login(team.patient)
    client.post(OWN_PLAN, SECTIONS)

    client.post(OWN_PLAN, SECTIONS)

    assert AuditEvent.objects.filter(action="safety_plan.updated").count() == 1


def test_the_plan_is_on_get_help_now_and_on_the_crisis_support_page(client, team):
    services.safety_plan_update(patient=team.patient, by=team.patient, sections=SECTIONS)
    client.force_login(team.patient)

    for url in (reverse("safety:crisis"), reverse("safety:crisis_support")):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK
        content = response.content.decode()
        for text in SECTIONS.values():
            assert escape(text) in content, (url, text)
        assert "Samaritans" in content  # with the crisis resources

    assert 'href="#my-plan"' in client.get(reverse("safety:crisis")).content.decode()


def test_get_help_now_invites_a_patient_without_a_plan_to_write_one(client, team):
    client.force_login(team.patient)

    content = client.get(reverse("safety:crisis")).content.decode()

    assert "Write my safety plan" in content
    assert f'href="{OWN_PLAN}"' in content


def test_an_over_long_section_is_refused_and_nothing_is_saved(client, team):
    services.safety_plan_update(patient=team.patient, by=team.patient, sections=SECTIONS)
    client.force_login(team.patient)

    response = client.post(
        OWN_PLAN, {**SECTIONS, "warning_signs": "changed", "reasons_to_live": "x" * 2001}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["reasons_to_live"]
    plan = _plan(team.patient)
    assert plan.warning_signs == SECTIONS["warning_signs"]
    assert plan.reasons_to_live == SECTIONS["reasons_to_live"]


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
def test_staff_have_no_own_safety_plan_page(client, factory):
    client.force_login(factory())

    assert client.get(OWN_PLAN).status_code == HTTPStatus.FORBIDDEN
    assert client.post(OWN_PLAN, SECTIONS).status_code == HTTPStatus.FORBIDDEN
    assert not SafetyPlan.objects.exists()


# --- the care team's view -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["clinician", "backup"])
def test_the_named_or_backup_clinician_edits_the_plan_and_their_read_is_audited(client, team, who):
    clinician = getattr(team, who)
    services.safety_plan_update(patient=team.patient, by=team.patient, sections=SECTIONS)
    client.force_login(clinician)

    response = client.get(_care_team_url(team))

    assert response.status_code == HTTPStatus.OK
    assert "safety/safety_plan_form.html" in [t.name for t in response.templates]
    assert SECTIONS["warning_signs"] in response.content.decode()
    viewed = AuditEvent.objects.get(action="safety_plan.viewed")
    assert (viewed.actor_id, viewed.subject_id) == (clinician.pk, team.patient.pk)

    response = client.post(_care_team_url(team), {**SECTIONS, "professionals": "Dr Okafor"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == _care_team_url(team)
    plan = _plan(team.patient)
    assert plan.professionals == "Dr Okafor"
    assert plan.updated_by == clinician
    update = AuditEvent.objects.get(action="safety_plan.updated", actor_id=clinician.pk)
    assert update.detail == {"sections": ["professionals"]}
    # The patient sees what was written with them.
    client.force_login(team.patient)
    assert "Dr Okafor" in client.get(reverse("safety:crisis")).content.decode()


def test_the_clinician_over_long_section_is_refused(client, team):
    client.force_login(team.clinician)

    response = client.post(_care_team_url(team), {**SECTIONS, "distractions": "x" * 2001})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _plan(team.patient) is None


def test_the_assigned_peer_reads_the_plan_but_cannot_change_it(client, team):
    services.safety_plan_update(patient=team.patient, by=team.patient, sections=SECTIONS)
    client.force_login(team.peer)

    response = client.get(_care_team_url(team))

    assert response.status_code == HTTPStatus.OK
    assert response.templates[0].name == "safety/safety_plan_read.html"
    assert "form" not in response.context
    assert SECTIONS["safe_environment"] in response.content.decode()
    assert AuditEvent.objects.filter(action="safety_plan.viewed", actor_id=team.peer.pk).exists()

    response = client.post(_care_team_url(team), {**SECTIONS, "warning_signs": "peer wrote"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _plan(team.patient).warning_signs == SECTIONS["warning_signs"]


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory])
def test_other_staff_get_404_and_change_nothing(client, team, factory):
    services.safety_plan_update(patient=team.patient, by=team.patient, sections=SECTIONS)
    stranger = factory()
    client.force_login(stranger)

    assert client.get(_care_team_url(team)).status_code == HTTPStatus.NOT_FOUND
    response = client.post(_care_team_url(team), {**SECTIONS, "warning_signs": "stranger wrote"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert _plan(team.patient).warning_signs == SECTIONS["warning_signs"]
    assert not AuditEvent.objects.filter(actor_id=stranger.pk).exists()


@pytest.mark.parametrize("factory", [PatientFactory, AdminFactory])
def test_patients_and_admins_have_no_care_team_plan_page(client, team, factory):
    client.force_login(factory())

    assert client.get(_care_team_url(team)).status_code == HTTPStatus.FORBIDDEN


def test_a_non_patient_id_is_404(client, team):
    client.force_login(team.clinician)

    url = reverse("safety:patient_safety_plan", args=[team.peer.pk])

    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


# --- the API ------------------------------------------------------------------------------------


def test_the_patient_reads_and_patches_their_plan_through_the_api(client, team):
    services.safety_plan_update(patient=team.patient, by=team.patient, sections=SECTIONS)
    client.force_login(team.patient)
    url = reverse("api:safety_plan")

    response = client.get(url)

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert {name: body[name] for name in SECTIONS} == SECTIONS
    assert body["updated_at"]

    response = client.patch(url, {"warning_signs": "Shouting at the telly"}, "application/json")

    assert response.status_code == HTTPStatus.OK
    assert response.json()["warning_signs"] == "Shouting at the telly"
    plan = _plan(team.patient)
    assert plan.warning_signs == "Shouting at the telly"
    assert plan.reasons_to_live == SECTIONS["reasons_to_live"]  # untouched
    assert "Shouting" not in raw_column(
        "safety_safetyplan", "warning_signs", "patient_id", team.patient.pk
    )


def test_an_over_long_section_by_api_is_400_in_the_error_shape_and_saves_nothing(client, team):
    client.force_login(team.patient)

    response = client.patch(
        reverse("api:safety_plan"),
        {"warning_signs": "fine", "coping_strategies": "x" * 2001},
        "application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    assert list(body["errors"]) == ["coping_strategies"]
    assert _plan(team.patient) is None


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
def test_staff_cannot_use_the_patients_plan_api(client, factory):
    client.force_login(factory())

    for response in (
        client.get(reverse("api:safety_plan")),
        client.patch(reverse("api:safety_plan"), {"warning_signs": "x"}, "application/json"),
    ):
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert set(response.json()) == {"detail", "code"}
        assert response.json()["code"] == "permission_denied"
    assert not SafetyPlan.objects.exists()


def test_the_plan_api_needs_a_login(client):
    response = client.get(reverse("api:safety_plan"))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response.json()["code"] == "not_authenticated"


# --- "we have let your care team know" ----------------------------------------------------------


def test_a_patient_with_a_flag_raised_today_is_told_their_care_team_knows(client, team):
    raise_flag(team.patient, now=timezone.now() - timedelta(hours=2))
    client.force_login(team.patient)

    response = client.get(reverse("safety:crisis_support"))

    assert response.status_code == HTTPStatus.OK
    assert TEAM_TOLD in response.content.decode()


def test_a_repeat_signal_today_on_an_older_flag_counts(client, team):
    raise_flag(team.patient, now=timezone.now() - timedelta(days=3))
    raise_flag(team.patient, now=timezone.now() - timedelta(minutes=1))
    client.force_login(team.patient)

    assert TEAM_TOLD in client.get(reverse("safety:crisis_support")).content.decode()


def test_without_a_recent_active_flag_nobody_is_said_to_have_been_told(client, team):
    client.force_login(team.patient)
    assert TEAM_TOLD not in client.get(reverse("safety:crisis_support")).content.decode()

    raise_flag(team.patient, now=timezone.now() - timedelta(hours=30))
    assert TEAM_TOLD not in client.get(reverse("safety:crisis_support")).content.decode()

    recent = raise_flag(team.patient, category=Flag.Category.ABUSE)
    services.flag_resolve(flag=recent, by=team.clinician, outcome=Flag.Outcome.NOT_A_CONCERN)
    assert TEAM_TOLD not in client.get(reverse("safety:crisis_support")).content.decode()

    # Another patient's flag says nothing about this one.
    raise_flag(PatientFactory(), category=Flag.Category.LOW_MOOD)
    assert TEAM_TOLD not in client.get(reverse("safety:crisis_support")).content.decode()


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
def test_the_crisis_support_page_is_for_patients(client, factory):
    client.force_login(factory())

    assert client.get(reverse("safety:crisis_support")).status_code == HTTPStatus.FORBIDDEN


def test_the_crisis_support_page_asks_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("safety:crisis_support"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
