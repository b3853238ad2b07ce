"""Helpers for the accounts tests: logging in through allauth's real pages, one user per role."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse

from accounts.models import Role
from tests import factories

ROLE_FACTORIES = {
    Role.PATIENT: factories.PatientFactory,
    Role.CLINICIAN: factories.ClinicianFactory,
    Role.PEER: factories.PeerFactory,
    Role.ADMIN: factories.AdminFactory,
}

ROLE_HOMES = {
    Role.PATIENT: "accounts:patient_home",
    Role.CLINICIAN: "accounts:clinician_home",
    Role.PEER: "accounts:peer_home",
    Role.ADMIN: "accounts:admin_home",
}


def logged_in_user_id(client) -> int | None:
    """Who the client's session is logged in as, if anybody."""
    value = client.session.get("_auth_user_id")
    return int(value) if value is not None else None


def password_login(client, user, password: str = factories.PASSWORD):
    """POST the email and password to allauth's login page, as the form does."""
    return client.post(reverse("account_login"), {"login": user.email, "password": password})


def mfa_authenticate(client, code: str):
    """POST a second-factor code to allauth's authenticate page."""
    return client.post(reverse("mfa_authenticate"), {"code": code})


def reset_password_by_email(client, user, mailoutbox, new_password: str):
    """Asks for a reset link for `user`, follows the link from the email and sets `new_password`
    through allauth's pages; returns the answer to the new password."""
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = next(
        line.strip() for line in mailoutbox[-1].body.splitlines() if "/password/reset/key/" in line
    )
    form = client.get(link, follow=True)
    assert form.status_code == HTTPStatus.OK
    return client.post(
        form.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}
    )
