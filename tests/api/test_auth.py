"""API authentication: sessions and hashed personal tokens, one error shape, staff need a second
factor whichever way they authenticate."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken, hash_token
from tests.factories import ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r"exh_[A-Za-z0-9_-]{40,}")


def _token(key: str) -> dict:
    return {"Authorization": f"Token {key}"}


@pytest.mark.parametrize(
    "url", [reverse("api:me"), reverse("api:patient_list"), reverse("api:invitation_list")]
)
def test_anonymous_requests_get_401_in_the_error_shape(client, url):
    response = client.get(url)

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    body = response.json()
    assert body["code"] == "not_authenticated"
    assert body["detail"]
    assert set(body) == {"detail", "code"}
    assert response["WWW-Authenticate"] == "Token"


def test_a_logged_in_user_gets_themself(client, patient):
    client.force_login(patient)

    response = client.get(reverse("api:me"))

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "id": patient.pk,
        "email": patient.email,
        "full_name": patient.full_name,
        "display_name": patient.display_name,
        "role": "patient",
    }


def test_a_token_made_on_the_account_page_works_and_is_shown_once(client, clinician):
    client.force_login(clinician)

    response = client.post(reverse("accounts:account"), {"name": "analysis laptop"})

    assert response.status_code == HTTPStatus.OK
    keys = KEY.findall(response.content.decode())
    assert len(keys) == 1
    key = keys[0]
    assert key not in client.get(reverse("accounts:account")).content.decode()

    api = Client()
    me = api.get(reverse("api:me"), headers=_token(key))
    assert me.status_code == HTTPStatus.OK
    assert me.json()["id"] == clinician.pk


def test_only_the_hash_of_a_token_is_stored(clinician, api_token):
    token, key = api_token(clinician)

    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["key_hash"] == hash_token(key)
    assert row["key_hash"] != key
    assert all(key not in str(value) for value in row.values())
    assert key.startswith(row["prefix"])


def test_a_token_records_when_it_was_last_used(client, clinician, api_token):
    token, key = api_token(clinician)

    client.get(reverse("api:me"), headers=_token(key))

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused(client, clinician, api_token):
    token, key = api_token(clinician)
    owner = Client()
    owner.force_login(clinician)

    response = owner.post(reverse("accounts:api_token_revoke", args=[token.pk]))

    assert response.status_code == HTTPStatus.FOUND
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = client.get(reverse("api:me"), headers=_token(key))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.json()["code"] == "authentication_failed"


def test_an_expired_token_is_refused(client, clinician, api_token):
    token, key = api_token(clinician)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(reverse("api:me"), headers=_token(key))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_made_up_token_is_refused(client, db):
    response = client.get(reverse("api:me"), headers=_token("exh_made-up-key"))

    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert set(response.json()) == {"detail", "code"}


def test_the_hash_itself_is_not_a_token(client, clinician, api_token):
    token, _ = api_token(clinician)

    response = client.get(reverse("api:me"), headers=_token(token.key_hash))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_a_deactivated_users_token_is_refused(client, clinician, api_token):
    _, key = api_token(clinician)
    clinician.is_active = False
    clinician.save(update_fields=["is_active"])

    response = client.get(reverse("api:me"), headers=_token(key))

    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_another_users_token_cannot_be_revoked(client, clinician, api_token):
    token, key = api_token(ClinicianFactory())
    client.force_login(clinician)

    response = client.post(reverse("accounts:api_token_revoke", args=[token.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    token.refresh_from_db()
    assert token.revoked_at is None
    assert Client().get(reverse("api:me"), headers=_token(key)).status_code == HTTPStatus.OK


def test_staff_whose_second_factor_was_removed_cannot_use_their_token(client, clinician, api_token):
    _, key = api_token(clinician)
    Authenticator.objects.filter(user=clinician).delete()

    response = client.get(reverse("api:me"), headers=_token(key))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json()["code"] == "mfa_required"


def test_staff_without_a_second_factor_cannot_make_a_token(client):
    clinician = ClinicianFactory(mfa=False)
    client.force_login(clinician)

    client.post(reverse("accounts:account"), {"name": "analysis laptop"})

    assert not ApiToken.objects.filter(user=clinician).exists()
    with pytest.raises(PermissionDenied):
        services.api_token_create(user=clinician, name="analysis laptop")
    assert not ApiToken.objects.exists()


def test_patients_cannot_make_tokens(client, patient):
    """Their account page shows no tokens: one made by a crafted request could not be revoked."""
    client.force_login(patient)

    response = client.post(reverse("accounts:account"), {"name": "analysis laptop"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not ApiToken.objects.exists()
    assert b"API tokens" not in client.get(reverse("accounts:account")).content


@pytest.mark.parametrize("user_fixture", ["clinician", "peer", "admin_user"])
def test_staff_with_totp_can_make_tokens(client, request, user_fixture):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)

    response = client.post(reverse("accounts:account"), {"name": "analysis laptop"})

    assert response.status_code == HTTPStatus.OK
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_token_needs_a_name(client, clinician):
    client.force_login(clinician)

    response = client.post(reverse("accounts:account"), {"name": "  "})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not ApiToken.objects.exists()


def test_a_token_acts_only_as_its_owner(client, api_token):
    clinician = ClinicianFactory()
    own = PatientFactory(profile=clinician)
    other = PatientFactory()
    _, key = api_token(clinician)

    mine = client.get(reverse("api:patient_detail", args=[own.pk]), headers=_token(key))
    theirs = client.get(reverse("api:patient_detail", args=[other.pk]), headers=_token(key))

    assert mine.status_code == HTTPStatus.OK
    assert theirs.status_code == HTTPStatus.NOT_FOUND


def test_session_writes_to_the_api_need_the_csrf_token(clinician):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(clinician)

    response = browser.post(
        reverse("api:invitation_list"),
        {"email": "pat@example.org", "full_name": "Pat"},
        content_type="application/json",
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "CSRF" in response.json()["detail"]


def test_token_writes_need_no_csrf_token(clinician, api_token):
    _, key = api_token(clinician)
    script = Client(enforce_csrf_checks=True)

    response = script.post(
        reverse("api:invitation_list"),
        {"email": "pat@example.org", "full_name": "Pat"},
        content_type="application/json",
        headers=_token(key),
    )

    assert response.status_code == HTTPStatus.CREATED
