"""API tokens end when the password changes, and public endpoints are never throttled."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from core.models import AuditEvent
from tests.factories import PASSWORD, ClinicianFactory

pytestmark = pytest.mark.django_db


def test_changing_the_password_revokes_every_api_token(client, api_token):
    clinician = ClinicianFactory()
    _, key = api_token(clinician)
    api_token(clinician, name="second script")
    client.force_login(clinician)

    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-brand-new-passphrase",
            "password2": "a-brand-new-passphrase",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not ApiToken.objects.filter(user=clinician, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(actor=clinician, action="api_token.revoked_all").exists()
    client.logout()
    me = client.get(reverse("api:me"), HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == HTTPStatus.UNAUTHORIZED


@pytest.fixture
def tight_throttle(monkeypatch):
    """Two anonymous requests a minute, for the whole API."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "2/min"})


def test_crisis_resources_api_is_never_rate_limited(client, tight_throttle):
    statuses = {client.get(reverse("api:crisis_resource_list")).status_code for _ in range(5)}
    assert statuses == {HTTPStatus.OK}


def test_other_public_api_calls_are_rate_limited(client, tight_throttle):
    """The control for the test above: throttling is on for the rest of the API."""
    statuses = [client.get(reverse("api-schema")).status_code for _ in range(4)]
    assert HTTPStatus.TOO_MANY_REQUESTS in statuses
