"""A patient's record is seen by their care team only, each read audited; peers see no contact
details. What is not yours is a 404, exactly as if it did not exist."""

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


def _detail(client, viewer, patient):
    client.force_login(viewer)
    return client.get(reverse("accounts:patient_detail", args=[patient.pk]))


def _views(patient):
    return AuditEvent.objects.filter(action="patient.viewed", subject=patient)


@pytest.mark.parametrize("member", ["named", "backup"])
def test_the_named_and_backup_clinician_see_the_full_record(client, team, member):
    response = _detail(client, team[member], team["patient"])

    assert response.status_code == HTTPStatus.OK
    assert b"Harriet Testpatient" in response.content
    assert b"harriet.private@example.org" in response.content


def test_the_assigned_peer_sees_the_display_name_only(client, team):
    response = _detail(client, team["peer"], team["patient"])

    assert response.status_code == HTTPStatus.OK
    assert b"Sunny" in response.content
    assert b"Testpatient" not in response.content
    assert b"harriet.private" not in response.content


def test_the_peer_home_lists_display_names_only(client, team):
    client.force_login(team["peer"])

    response = client.get(reverse("accounts:peer_home"))

    assert b"Sunny" in response.content
    assert b"Testpatient" not in response.content
    assert b"harriet.private" not in response.content


@pytest.mark.parametrize("member", ["named", "backup", "peer"])
def test_every_view_by_the_care_team_is_audited(client, team, member):
    viewer = team[member]

    _detail(client, viewer, team["patient"])

    event = _views(team["patient"]).get()
    assert event.actor == viewer
    assert event.actor_role == viewer.role
    assert event.target_id == str(team["patient"].pk)
    assert event.detail == {"purpose": "record"}
    assert event.ip_address == "127.0.0.1"


@pytest.mark.parametrize("outsider_factory", [ClinicianFactory, PeerFactory])
def test_staff_outside_the_care_team_get_404_and_nothing_is_audited(client, team, outsider_factory):
    response = _detail(client, outsider_factory(), team["patient"])

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Testpatient" not in response.content
    assert not _views(team["patient"]).exists()


def test_a_patient_that_does_not_exist_is_the_same_404(client, clinician):
    client.force_login(clinician)

    response = client.get(reverse("accounts:patient_detail", args=[987654]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.filter(action="patient.viewed").exists()


def test_a_staff_member_is_not_a_patient_record(client, team):
    response = _detail(client, team["named"], team["backup"])

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_patient_themself_is_refused_the_staff_view(client, team):
    response = _detail(client, team["patient"], team["patient"])

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not _views(team["patient"]).exists()


def test_another_patient_is_refused(client, team):
    response = _detail(client, PatientFactory(), team["patient"])

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not _views(team["patient"]).exists()


def test_an_admin_is_refused_the_care_team_view(client, team, admin_user):
    response = _detail(client, admin_user, team["patient"])

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not _views(team["patient"]).exists()


def test_the_caseload_lists_named_and_backup_patients_only(client):
    clinician = ClinicianFactory()
    named = PatientFactory(full_name="Named Patient", profile=clinician)
    backed_up = PatientFactory(full_name="Backup Patient", profile__backup_clinician=clinician)
    PatientFactory(full_name="Elsewhere Patient")
    client.force_login(clinician)

    response = client.get(reverse("accounts:clinician_home"))

    assert [p.user for p in response.context["page"].object_list] == [backed_up, named]
    assert b"Elsewhere Patient" not in response.content


def test_a_clinician_who_loses_a_patient_loses_the_record(client, team):
    profile = team["patient"].patient_profile
    profile.backup_clinician = None
    profile.save()

    response = _detail(client, team["backup"], team["patient"])

    assert response.status_code == HTTPStatus.NOT_FOUND
