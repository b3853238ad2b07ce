"""/api/v1/invitations/: list, send and revoke, with the same rules as the pages."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Role
from core.models import AuditEvent
from tests.factories import ClinicianFactory, InvitationFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db


def _post(client, user, data):
    client.force_login(user)
    return client.post(reverse("api:invitation_list"), data, content_type="application/json")


def _patient(**overrides) -> dict:
    data = {"email": "pat.example@example.org", "full_name": "Pat Example"}
    data.update(overrides)
    return data


def test_a_clinician_invites_a_patient(client, clinician, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(client, clinician, _patient())

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    invitation = Invitation.objects.get()
    assert body["id"] == invitation.pk
    assert body["status"] == "pending"
    assert body["role"] == "patient"
    assert body["clinician"] == clinician.pk
    assert "token" not in body
    assert "token_hash" not in body
    assert invitation.token not in response.content.decode()
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="invitation.created", actor=clinician).exists()


def test_a_clinician_cannot_invite_to_another_clinicians_caseload(client, clinician):
    other = ClinicianFactory()

    response = _post(client, clinician, _patient(clinician=other.pk))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "own caseload" in response.json()["errors"]["clinician"][0]
    assert not Invitation.objects.exists()


def test_an_admin_invites_staff(client, admin_user):
    response = _post(
        client, admin_user, {"email": "dr.new@example.org", "full_name": "Dr New", "role": "admin"}
    )

    assert response.status_code == HTTPStatus.CREATED
    assert Invitation.objects.get().role == Role.ADMIN


@pytest.mark.parametrize("role", ["clinician", "peer", "admin"])
def test_a_clinician_cannot_invite_staff(client, clinician, role):
    response = _post(client, clinician, _patient(role=role))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "permission_denied"
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("user_fixture", ["peer", "patient"])
def test_peers_and_patients_cannot_invite(client, request, user_fixture):
    user = request.getfixturevalue(user_fixture)

    response = _post(client, user, _patient())
    listing = client.get(reverse("api:invitation_list"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert listing.status_code == HTTPStatus.FORBIDDEN
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"full_name": ""}, "full_name", "This field may not be blank."),
        ({"full_name": None}, "full_name", "This field may not be null."),
        (
            {"discharged_on": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "discharged_on",
            "The discharge date cannot be in the future.",
        ),
    ],
)
def test_bad_invitations_are_400_and_change_nothing(
    client, clinician, overrides, field, message, django_capture_on_commit_callbacks
):
    InvitationFactory(email="pat.example@example.org", invited_by=clinician)
    before = list(Invitation.objects.values_list("pk", "revoked_at"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post(client, clinician, _patient(**overrides))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    assert body["errors"][field] == [message]
    assert list(Invitation.objects.values_list("pk", "revoked_at")) == before
    assert callbacks == []


def test_a_missing_name_is_400(client, clinician):
    response = _post(client, clinician, {"email": "pat@example.org"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["full_name"] == ["This field is required."]
    assert not Invitation.objects.exists()


def test_the_backup_clinician_must_be_someone_else(client, clinician):
    response = _post(client, clinician, _patient(backup_clinician=clinician.pk))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["backup_clinician"] == [
        "The backup clinician must be someone else."
    ]
    assert not Invitation.objects.exists()


def test_an_admin_must_name_a_clinician_for_a_patient(client, admin_user):
    response = _post(client, admin_user, _patient())

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["clinician"]
    assert not Invitation.objects.exists()


def test_a_peer_cannot_be_the_backup_clinician(client, clinician):
    response = _post(client, clinician, _patient(backup_clinician=PeerFactory().pk))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["backup_clinician"]
    assert not Invitation.objects.exists()


def test_an_address_with_an_account_is_refused(client, clinician):
    PatientFactory(email="pat.example@example.org")
    InvitationFactory(email="pat.example@example.org", invited_by=clinician)
    before = list(Invitation.objects.values_list("pk", "revoked_at"))

    response = _post(client, clinician, _patient(email="Pat.Example@EXAMPLE.org"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["errors"]["email"] == [
        "There is already an account with this email address."
    ]
    assert list(Invitation.objects.values_list("pk", "revoked_at")) == before


def test_a_second_invitation_revokes_the_first(client, clinician):
    first = InvitationFactory(email="pat.example@example.org", invited_by=clinician)

    response = _post(client, clinician, _patient())

    assert response.status_code == HTTPStatus.CREATED
    first.refresh_from_db()
    assert first.status == Invitation.Status.REVOKED
    assert Invitation.objects.get(pk=response.json()["id"]).is_open


def test_the_list_has_the_clinicians_invitations_only(client, clinician):
    mine = InvitationFactory(invited_by=clinician)
    InvitationFactory()
    client.force_login(clinician)

    response = client.get(reverse("api:invitation_list"))

    assert response.status_code == HTTPStatus.OK
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_an_admin_lists_every_invitation(client, admin_user):
    InvitationFactory.create_batch(2)
    client.force_login(admin_user)

    response = client.get(reverse("api:invitation_list"))

    assert response.json()["count"] == 2


# --- Revoking -------------------------------------------------------------------------------------


def _revoke(client, user, invitation):
    client.force_login(user)
    return client.post(reverse("api:invitation_revoke", args=[invitation.pk]))


def test_the_inviting_clinician_revokes(client, clinician):
    invitation = InvitationFactory(invited_by=clinician)

    response = _revoke(client, clinician, invitation)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "revoked"
    invitation.refresh_from_db()
    assert invitation.revoked_by == clinician


def test_revoking_twice_is_harmless(client, clinician):
    invitation = InvitationFactory(invited_by=clinician)
    _revoke(client, clinician, invitation)
    invitation.refresh_from_db()
    revoked_at = invitation.revoked_at

    response = _revoke(client, clinician, invitation)

    assert response.status_code == HTTPStatus.OK
    invitation.refresh_from_db()
    assert invitation.revoked_at == revoked_at


def test_another_clinician_gets_404_and_nothing_changes(client, clinician):
    invitation = InvitationFactory()

    response = _revoke(client, clinician, invitation)

    assert response.status_code == HTTPStatus.NOT_FOUND
    invitation.refresh_from_db()
    assert invitation.is_open


def test_an_accepted_invitation_cannot_be_revoked(client, clinician):
    invitation = InvitationFactory(invited_by=clinician)
    services.invitation_accept(token=invitation.raw_token, password="a-long-and-unusual-phrase")

    response = _revoke(client, clinician, invitation)

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json() == {
        "detail": "This invitation has already been accepted.",
        "code": "conflict",
    }
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert invitation.status == Invitation.Status.ACCEPTED


@pytest.mark.parametrize("user_fixture", ["peer", "patient"])
def test_peers_and_patients_cannot_revoke(client, request, user_fixture):
    invitation = InvitationFactory()

    response = _revoke(client, request.getfixturevalue(user_fixture), invitation)

    assert response.status_code == HTTPStatus.FORBIDDEN
    invitation.refresh_from_db()
    assert invitation.is_open
