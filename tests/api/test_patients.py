"""/api/v1/patients/: the caseload and one patient, for their care team only, each read audited."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from core.models import AuditEvent
from tests.factories import ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    named, backup, peer = ClinicianFactory(), ClinicianFactory(), PeerFactory()
    patient = PatientFactory(
        email="harriet.private@example.org",
        full_name="Harriet Testpatient",
        preferred_name="Sunny",
        profile=named,
        profile__backup_clinician=backup,
        profile__peer_specialist=peer,
    )
    return {"patient": patient, "named": named, "backup": backup, "peer": peer}


def _get(client, viewer, url):
    client.force_login(viewer)
    return client.get(url)


def _detail_url(patient) -> str:
    return reverse("api:patient_detail", args=[patient.pk])


def _ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def test_the_caseload_has_the_clinicians_own_patients_only(client):
    clinician = ClinicianFactory()
    named = PatientFactory(full_name="A Named", profile=clinician)
    backed_up = PatientFactory(full_name="B Backup", profile__backup_clinician=clinician)
    PatientFactory(full_name="C Elsewhere")

    response = _get(client, clinician, reverse("api:patient_list"))

    assert response.status_code == HTTPStatus.OK
    assert _ids(response) == [named.pk, backed_up.pk]
    assert response.json()["count"] == 2


def test_a_peers_caseload_is_their_assigned_patients_without_contact_details(client, team):
    PatientFactory()  # someone else's

    response = _get(client, team["peer"], reverse("api:patient_list"))

    assert _ids(response) == [team["patient"].pk]
    row = response.json()["results"][0]
    assert row["email"] is None
    assert row["full_name"] is None
    assert row["display_name"] == "Sunny"


def test_listing_the_caseload_writes_no_record_view(client, team):
    _get(client, team["named"], reverse("api:patient_list"))

    assert not AuditEvent.objects.filter(action="patient.viewed").exists()


@pytest.mark.parametrize("member", ["named", "backup"])
def test_the_care_teams_clinicians_get_the_patient_with_contact_details(client, team, member):
    response = _get(client, team[member], _detail_url(team["patient"]))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["id"] == team["patient"].pk
    assert body["email"] == "harriet.private@example.org"
    assert body["full_name"] == "Harriet Testpatient"
    assert body["clinician"]["id"] == team["named"].pk
    assert body["backup_clinician"]["id"] == team["backup"].pk
    assert body["peer_specialist"]["id"] == team["peer"].pk


def test_the_assigned_peer_gets_the_patient_without_contact_details(client, team):
    response = _get(client, team["peer"], _detail_url(team["patient"]))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["email"] is None
    assert body["full_name"] is None
    assert body["display_name"] == "Sunny"
    assert "harriet.private" not in response.content.decode()
    assert "Testpatient" not in response.content.decode()


@pytest.mark.parametrize("member", ["named", "backup", "peer"])
def test_every_api_read_of_a_patient_is_audited(client, team, member):
    _get(client, team[member], _detail_url(team["patient"]))

    event = AuditEvent.objects.get(action="patient.viewed", subject=team["patient"])
    assert event.actor == team[member]
    assert event.detail == {"purpose": "api"}


@pytest.mark.parametrize("outsider_factory", [ClinicianFactory, PeerFactory])
def test_staff_outside_the_care_team_get_404_and_nothing_is_audited(client, team, outsider_factory):
    response = _get(client, outsider_factory(), _detail_url(team["patient"]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert set(response.json()) == {"detail", "code"}
    assert response.json()["code"] == "not_found"
    assert not AuditEvent.objects.filter(action="patient.viewed").exists()


@pytest.mark.parametrize("viewer", ["patient", "admin"])
@pytest.mark.parametrize("url_name", ["api:patient_list", "api:patient_detail"])
def test_patients_and_admins_have_no_caseload(client, team, admin_user, viewer, url_name):
    user = team["patient"] if viewer == "patient" else admin_user
    args = [team["patient"].pk] if url_name == "api:patient_detail" else []

    response = _get(client, user, reverse(url_name, args=args))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "permission_denied"
    assert not AuditEvent.objects.filter(action="patient.viewed").exists()


def test_the_caseload_is_paginated(client):
    clinician = ClinicianFactory()
    for _ in range(3):
        PatientFactory(profile=clinician)

    response = _get(client, clinician, f"{reverse('api:patient_list')}?page_size=2")

    body = response.json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]
