"""Every API error has one shape: {"detail": str, "code": str} plus "errors" for validation."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation
from core.api.errors import _flatten
from core.models import Notification
from tests.factories import InvitationFactory, PatientFactory

pytestmark = pytest.mark.django_db


def _assert_error_shape(response, status: HTTPStatus, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert isinstance(data["detail"], str)
    assert data["detail"]
    assert data["code"] == code
    expected_keys = {"detail", "code", "errors"} if code == "invalid" else {"detail", "code"}
    assert set(data) == expected_keys
    return data


def test_401_when_not_logged_in(client):
    response = client.get(reverse("api:me"))

    _assert_error_shape(response, HTTPStatus.UNAUTHORIZED, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_401_with_a_made_up_token(client):
    response = client.get(reverse("api:me"), headers={"Authorization": "Token exh_made_up"})

    _assert_error_shape(response, HTTPStatus.UNAUTHORIZED, "authentication_failed")


def test_403_for_a_role_that_may_not(client, patient):
    client.force_login(patient)

    response = client.get(reverse("api:patient_list"))

    _assert_error_shape(response, HTTPStatus.FORBIDDEN, "permission_denied")


def test_403_raised_by_a_service_keeps_the_shape(client, clinician):
    """A clinician may invite patients only; the service's own PermissionDenied is mapped too."""
    client.force_login(clinician)

    response = client.post(
        reverse("api:invitation_list"),
        {"email": "new.admin@example.org", "full_name": "New Admin", "role": "admin"},
        content_type="application/json",
    )

    _assert_error_shape(response, HTTPStatus.FORBIDDEN, "permission_denied")
    assert not Invitation.objects.filter(email="new.admin@example.org").exists()


def test_404_for_another_users_notice(client, patient):
    others = Notification.objects.create(recipient=PatientFactory(), kind="t", title="t")
    client.force_login(patient)

    response = client.post(reverse("api:notification_read", args=[others.pk]))

    _assert_error_shape(response, HTTPStatus.NOT_FOUND, "not_found")


def test_404_for_an_invitation_that_is_not_yours(client, clinician):
    invitation = InvitationFactory()  # sent by another clinician
    client.force_login(clinician)

    response = client.post(reverse("api:invitation_revoke", args=[invitation.pk]))

    _assert_error_shape(response, HTTPStatus.NOT_FOUND, "not_found")
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_404_for_an_unknown_api_url(client):
    response = client.get("/api/v1/no-such-thing/")

    _assert_error_shape(response, HTTPStatus.NOT_FOUND, "not_found")


def test_400_validation_error_lists_every_field(client, clinician):
    client.force_login(clinician)
    count = Invitation.objects.count()

    response = client.post(
        reverse("api:invitation_list"),
        {"email": "not-an-email", "full_name": "", "role": "wizard"},
        content_type="application/json",
    )

    data = _assert_error_shape(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert set(data["errors"]) == {"email", "full_name", "role"}
    assert all(
        isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)
        for messages in data["errors"].values()
    )
    assert Invitation.objects.count() == count


def test_400_from_a_services_validation_error(client, admin_user):
    """An admin inviting a patient must name a clinician; the service says so per field."""
    client.force_login(admin_user)

    response = client.post(
        reverse("api:invitation_list"),
        {"email": "patient@example.org", "full_name": "Pat Ient", "role": "patient"},
        content_type="application/json",
    )

    data = _assert_error_shape(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert list(data["errors"]) == ["clinician"]
    assert not Invitation.objects.filter(email="patient@example.org").exists()


def test_400_for_a_body_that_is_not_json(client, clinician):
    client.force_login(clinician)

    response = client.post(
        reverse("api:invitation_list"), "{not json", content_type="application/json"
    )

    _assert_error_shape(response, HTTPStatus.BAD_REQUEST, "parse_error")


def test_405_keeps_the_shape(client, patient):
    client.force_login(patient)

    response = client.get(reverse("api:notification_read", args=[1]))

    _assert_error_shape(response, HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed")


def test_409_for_a_state_conflict(client, clinician):
    invitation = InvitationFactory(invited_by=clinician, accepted_at=timezone.now())
    client.force_login(clinician)

    response = client.post(reverse("api:invitation_revoke", args=[invitation.pk]))

    _assert_error_shape(response, HTTPStatus.CONFLICT, "conflict")
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_errors_are_flattened_to_dotted_field_paths():
    assert _flatten({"email": ["Enter a valid email address."]}) == {
        "email": ["Enter a valid email address."]
    }
    assert _flatten({"care_team": {"clinician": ["Required."]}}) == {
        "care_team.clinician": ["Required."]
    }
    assert _flatten({"items": [{"name": ["Required."]}, {}]}) == {"items.0.name": ["Required."]}
    assert _flatten(["Something is wrong."]) == {"non_field_errors": ["Something is wrong."]}
    assert _flatten("Plain message") == {"non_field_errors": ["Plain message"]}


def test_error_bodies_never_echo_what_was_sent(client, clinician):
    """Validation messages name the fields, not the values (which may be personal data)."""
    client.force_login(clinician)
    secret_name = "X" * 151  # too long: rejected

    response = client.post(
        reverse("api:invitation_list"),
        {"email": "still-not-an-email", "full_name": secret_name},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = json.dumps(response.json())
    assert secret_name not in body
    assert "still-not-an-email" not in body
