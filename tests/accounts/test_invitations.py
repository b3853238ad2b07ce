"""Invitations through the pages: sending (patients by clinicians, staff by admins), the email,
accepting once, expired / revoked / made-up links, revoking and re-sending."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, PatientProfile, Role, User, hash_token
from accounts.tasks import invitation_email_send_task
from core.models import AuditEvent
from tests.accounts.helpers import logged_in_user_id
from tests.factories import (
    ClinicianFactory,
    InvitationFactory,
    PatientFactory,
    PeerFactory,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase"


def _patient_form(**overrides) -> dict:
    data = {
        "full_name": "Pat Example",
        "email": "pat.example@example.org",
        "discharged_on": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "backup_clinician": "",
        "peer_specialist": "",
    }
    data.update(overrides)
    return data


def _accept(client, token: str, **overrides):
    data = {"preferred_name": "", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    data.update(overrides)
    return client.post(reverse("accounts:invitation_accept", args=[token]), data)


# --- Sending ----------------------------------------------------------------------------------


def test_the_patient_invitation_form_renders_for_a_clinician(client, clinician):
    client.force_login(clinician)

    response = client.get(reverse("accounts:invitation_create_patient"))

    assert response.status_code == HTTPStatus.OK
    assert "clinician" not in response.context["form"].fields  # always their own caseload


def test_a_clinician_invites_a_patient_to_their_own_caseload(
    client, clinician, django_capture_on_commit_callbacks
):
    backup = ClinicianFactory()
    peer = PeerFactory()
    client.force_login(clinician)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("accounts:invitation_create_patient"),
            _patient_form(backup_clinician=backup.pk, peer_specialist=peer.pk),
        )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("accounts:invitation_list")
    invitation = Invitation.objects.get()
    assert invitation.email == "pat.example@example.org"
    assert invitation.role == Role.PATIENT
    assert invitation.invited_by == clinician
    assert invitation.clinician == clinician
    assert invitation.backup_clinician == backup
    assert invitation.peer_specialist == peer
    assert invitation.discharged_on == timezone.localdate() - timedelta(days=2)
    assert invitation.is_open
    assert invitation.sent_at is None  # the email goes out from the worker, after commit
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(
        action="invitation.created", actor=clinician, target_id=str(invitation.pk)
    ).exists()


def test_the_invitation_email_has_the_link_and_no_health_details(clinician, mailoutbox):
    clinician.full_name = "Dr Imogen Carter"
    clinician.save()
    invitation = services.invitation_create(
        invited_by=clinician,
        email="pat.example@example.org",
        full_name="Pat Example",
        role=Role.PATIENT,
        discharged_on=timezone.localdate() - timedelta(days=3),
    )

    assert invitation_email_send_task(invitation.pk) is True

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["pat.example@example.org"]
    invitation.refresh_from_db()
    assert f"http://testserver/invite/{invitation.token}/" in message.body
    text = f"{message.subject}\n{message.body}".lower()
    for health_detail in (
        "mental",
        "psychiatr",
        "discharg",
        invitation.discharged_on.isoformat(),
        "dr imogen carter",
        "carter",
    ):
        assert health_detail not in text
    assert invitation.sent_at is not None


def test_sending_the_invitation_email_again_sends_nothing(clinician, mailoutbox):
    invitation = InvitationFactory(invited_by=clinician)

    assert invitation_email_send_task(invitation.pk) is True
    assert invitation_email_send_task(invitation.pk) is False

    assert len(mailoutbox) == 1


@pytest.mark.parametrize("trait", ["expired", "revoked"])
def test_no_email_goes_out_for_an_invitation_that_cannot_be_used(mailoutbox, trait):
    invitation = InvitationFactory(**{trait: True})

    assert invitation_email_send_task(invitation.pk) is False
    assert mailoutbox == []


def test_no_email_goes_out_for_an_invitation_that_no_longer_exists(db, mailoutbox):
    assert invitation_email_send_task(987654) is False
    assert mailoutbox == []


def test_an_admin_invites_staff(client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("accounts:invitation_create_staff"),
            {"full_name": "Dr New Colleague", "email": "new.colleague@example.org", "role": "peer"},
        )

    assert response.status_code == HTTPStatus.FOUND
    invitation = Invitation.objects.get()
    assert invitation.role == Role.PEER
    assert invitation.invited_by == admin_user
    assert invitation.clinician is None
    assert len(callbacks) == 1


def test_an_admin_invites_a_patient_to_a_chosen_clinician(client, admin_user, clinician):
    client.force_login(admin_user)

    response = client.post(
        reverse("accounts:invitation_create_patient"), _patient_form(clinician=clinician.pk)
    )

    assert response.status_code == HTTPStatus.FOUND
    assert Invitation.objects.get().clinician == clinician


def test_a_clinician_cannot_invite_staff(client, clinician):
    client.force_login(clinician)

    get = client.get(reverse("accounts:invitation_create_staff"))
    post = client.post(
        reverse("accounts:invitation_create_staff"),
        {"full_name": "Sneaky Admin", "email": "sneaky@example.org", "role": "admin"},
    )

    assert get.status_code == HTTPStatus.FORBIDDEN
    assert post.status_code == HTTPStatus.FORBIDDEN
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("user_fixture", ["peer", "patient"])
@pytest.mark.parametrize(
    "url_name", ["accounts:invitation_create_patient", "accounts:invitation_create_staff"]
)
def test_peers_and_patients_cannot_invite_anybody(client, request, user_fixture, url_name):
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.post(
        reverse(url_name),
        {**_patient_form(), "role": "clinician"},
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"full_name": ""}, "full_name", "This field is required."),
        ({"full_name": "   "}, "full_name", "This field is required."),
        (
            {"discharged_on": (timezone.localdate() + timedelta(days=1)).isoformat()},
            "discharged_on",
            "The discharge date cannot be in the future.",
        ),
    ],
)
def test_bad_patient_invitations_are_refused_and_change_nothing(
    client, clinician, overrides, field, message, django_capture_on_commit_callbacks
):
    client.force_login(clinician)
    before = Invitation.objects.count()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("accounts:invitation_create_patient"), _patient_form(**overrides)
        )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert Invitation.objects.count() == before
    assert callbacks == []


@pytest.mark.parametrize("email", ["taken@example.org", "TAKEN@Example.org"])
def test_an_invitation_to_an_existing_account_is_refused(client, clinician, email):
    PatientFactory(email="taken@example.org")
    client.force_login(clinician)
    before = Invitation.objects.count()

    response = client.post(
        reverse("accounts:invitation_create_patient"), _patient_form(email=email)
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["email"] == [
        "There is already an account with this email address."
    ]
    assert Invitation.objects.count() == before


def test_the_backup_clinician_must_differ_from_the_named_one(client, admin_user, clinician):
    client.force_login(admin_user)

    response = client.post(
        reverse("accounts:invitation_create_patient"),
        _patient_form(clinician=clinician.pk, backup_clinician=clinician.pk),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["backup_clinician"] == [
        "The backup clinician must be someone else."
    ]
    assert not Invitation.objects.exists()


def test_a_clinician_cannot_name_themself_as_backup(client, clinician):
    client.force_login(clinician)

    response = client.post(
        reverse("accounts:invitation_create_patient"),
        _patient_form(backup_clinician=clinician.pk),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["backup_clinician"]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("field", ["backup_clinician", "peer_specialist"])
def test_the_care_team_must_be_staff_of_the_right_role(client, clinician, field):
    client.force_login(clinician)
    wrong_person = PatientFactory()

    response = client.post(
        reverse("accounts:invitation_create_patient"), _patient_form(**{field: wrong_person.pk})
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors[field]
    assert not Invitation.objects.exists()


def test_a_second_invitation_to_the_same_address_revokes_the_first(client, clinician):
    client.force_login(clinician)
    client.post(reverse("accounts:invitation_create_patient"), _patient_form())
    first = Invitation.objects.get()

    client.post(
        reverse("accounts:invitation_create_patient"),
        _patient_form(email="PAT.Example@example.org"),
    )

    first.refresh_from_db()
    second = Invitation.objects.exclude(pk=first.pk).get()
    assert first.status == Invitation.Status.REVOKED
    assert first.revoked_by == clinician
    assert second.is_open
    assert AuditEvent.objects.filter(
        action="invitation.superseded", target_id=str(first.pk)
    ).exists()


def test_the_invitation_list_shows_a_clinicians_own_invitations_only(client, clinician):
    InvitationFactory(invited_by=clinician, full_name="Mine Person")
    InvitationFactory(full_name="Someone Elses")
    client.force_login(clinician)

    response = client.get(reverse("accounts:invitation_list"))

    assert b"Mine Person" in response.content
    assert b"Someone Elses" not in response.content


# --- Expiry -------------------------------------------------------------------------------------


def test_invitations_expire_after_the_configured_number_of_days(clinician, settings):
    settings.INVITATION_EXPIRY_DAYS = 3
    before = timezone.now()

    invitation = services.invitation_create(
        invited_by=clinician, email="pat@example.org", full_name="Pat", role=Role.PATIENT
    )

    assert before + timedelta(days=3) <= invitation.expires_at
    assert invitation.expires_at <= timezone.now() + timedelta(days=3)


def test_a_new_link_gets_a_fresh_expiry_from_the_setting(clinician, settings):
    invitation = InvitationFactory(
        invited_by=clinician, expires_at=timezone.now() + timedelta(hours=1)
    )
    settings.INVITATION_EXPIRY_DAYS = 5

    invitation = services.invitation_resend(invitation=invitation, by=clinician)

    assert invitation.expires_at > timezone.now() + timedelta(days=4, hours=23)
    assert invitation.expires_at <= timezone.now() + timedelta(days=5)


# --- Accepting ----------------------------------------------------------------------------------


def test_the_invitation_link_shows_the_set_up_form(client):
    invitation = InvitationFactory(email="pat.example@example.org")

    response = client.get(reverse("accounts:invitation_accept", args=[invitation.raw_token]))

    assert response.status_code == HTTPStatus.OK
    assert b"pat.example@example.org" in response.content
    assert b'name="password1"' in response.content
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(
    ("password1", "password2", "field"),
    [
        (NEW_PASSWORD, NEW_PASSWORD + "x", "password2"),
        ("short", "short", "password1"),
        ("1234567890123", "1234567890123", "password1"),
        ("", "", "password1"),
    ],
)
def test_bad_passwords_create_nothing(client, password1, password2, field):
    invitation = InvitationFactory()

    response = _accept(client, invitation.raw_token, password1=password1, password2=password2)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors[field]
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.is_open
    assert logged_in_user_id(client) is None


def test_accepting_creates_the_patient_with_their_care_team_and_logs_them_in(client):
    clinician, backup, peer = ClinicianFactory(), ClinicianFactory(), PeerFactory()
    invitation = InvitationFactory(
        invited_by=clinician,
        email="pat.example@example.org",
        full_name="Pat Example",
        backup_clinician=backup,
        peer_specialist=peer,
        discharged_on=timezone.localdate() - timedelta(days=1),
    )

    response = _accept(client, invitation.raw_token, preferred_name=" Pat ")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("home")
    user = User.objects.get(email="pat.example@example.org")
    assert user.role == Role.PATIENT
    assert user.full_name == "Pat Example"
    assert user.preferred_name == "Pat"
    assert user.check_password(NEW_PASSWORD)
    email = EmailAddress.objects.get(user=user)
    assert (email.email, email.verified, email.primary) == (user.email, True, True)
    profile = PatientProfile.objects.get(user=user)
    assert (profile.clinician, profile.backup_clinician, profile.peer_specialist) == (
        clinician,
        backup,
        peer,
    )
    assert profile.discharged_on == invitation.discharged_on
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_user == user
    assert logged_in_user_id(client) == user.pk
    # A new patient starts with onboarding (tests/onboarding); their home waits for their consent.
    assert client.get(response.url).url == "/welcome/"
    assert AuditEvent.objects.filter(action="invitation.accepted", actor=user).exists()


def test_accepting_a_staff_invitation_creates_staff_who_must_then_enrol_totp(client, admin_user):
    invitation = InvitationFactory(
        invited_by=admin_user, clinician=None, role=Role.CLINICIAN, email="dr.new@example.org"
    )

    response = _accept(client, invitation.raw_token)

    user = User.objects.get(email="dr.new@example.org")
    assert user.role == Role.CLINICIAN
    assert not PatientProfile.objects.filter(user=user).exists()
    assert logged_in_user_id(client) == user.pk
    home = client.get(response.url, follow=True)
    assert (reverse("mfa_activate_totp"), HTTPStatus.FOUND) in home.redirect_chain


def test_the_new_patient_can_log_in_again_with_their_password(client):
    invitation = InvitationFactory()
    _accept(client, invitation.raw_token)
    client.post(reverse("account_logout"))

    client.post(reverse("account_login"), {"login": invitation.email, "password": NEW_PASSWORD})

    assert logged_in_user_id(client) == User.objects.get(email=invitation.email).pk


def test_a_used_link_is_gone(client):
    invitation = InvitationFactory()
    _accept(client, invitation.raw_token)
    client.post(reverse("account_logout"))
    users = User.objects.count()

    get = client.get(reverse("accounts:invitation_accept", args=[invitation.raw_token]))
    post = _accept(client, invitation.raw_token, password1="x" * 20, password2="x" * 20)

    for response in (get, post):
        assert response.status_code == HTTPStatus.GONE
        assert "already been used" in response.content.decode()
    assert User.objects.count() == users
    assert logged_in_user_id(client) is None


@pytest.mark.parametrize(
    ("trait", "words"), [("expired", "has expired"), ("revoked", "has been cancelled")]
)
def test_expired_and_revoked_links_are_gone(client, trait, words):
    invitation = InvitationFactory(**{trait: True})
    users = User.objects.count()

    get = client.get(reverse("accounts:invitation_accept", args=[invitation.raw_token]))
    post = _accept(client, invitation.raw_token)

    for response in (get, post):
        assert response.status_code == HTTPStatus.GONE
        assert words in response.content.decode()
    assert User.objects.count() == users
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_made_up_link_is_not_found(client, db):
    InvitationFactory()
    users = User.objects.count()

    get = client.get(reverse("accounts:invitation_accept", args=["made-up-token"]))
    post = _accept(client, "made-up-token")

    for response in (get, post):
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert "does not work" in response.content.decode()
    assert User.objects.count() == users


def test_the_stored_hash_is_not_a_working_link(client):
    invitation = InvitationFactory()

    response = client.get(reverse("accounts:invitation_accept", args=[invitation.token_hash]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_logged_in_user_cannot_accept_an_invitation(client, patient):
    invitation = InvitationFactory()
    client.force_login(patient)

    response = _accept(client, invitation.raw_token)

    assert response.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(email=invitation.email).exists()
    assert logged_in_user_id(client) == patient.pk


def test_an_invitation_cannot_create_a_second_account_for_an_address():
    invitation = InvitationFactory(email="pat@example.org")
    PatientFactory(email="pat@example.org")  # created elsewhere after the invitation was sent

    with pytest.raises(services.InvitationUnavailable):
        services.invitation_accept(token=invitation.raw_token, password=NEW_PASSWORD)

    assert User.objects.filter(email="pat@example.org").count() == 1


def test_invitation_tokens_are_stored_hashed_for_lookup(clinician):
    invitation = services.invitation_create(
        invited_by=clinician, email="pat@example.org", full_name="Pat", role=Role.PATIENT
    )

    assert invitation.token_hash == hash_token(invitation.token)
    assert invitation.token_hash != invitation.token
    assert len(invitation.token) >= 40


# --- Revoking and re-sending ----------------------------------------------------------------------


def test_the_inviting_clinician_revokes_an_invitation(client, clinician):
    invitation = InvitationFactory(invited_by=clinician)
    client.force_login(clinician)

    response = client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))

    assert response.status_code == HTTPStatus.FOUND
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    assert invitation.revoked_by == clinician
    client.logout()
    gone = client.get(reverse("accounts:invitation_accept", args=[invitation.raw_token]))
    assert gone.status_code == HTTPStatus.GONE


def test_resending_changes_the_link(client, clinician, django_capture_on_commit_callbacks):
    invitation = InvitationFactory(invited_by=clinician)
    invitation_email_send_task(invitation.pk)
    client.force_login(clinician)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("accounts:invitation_resend", args=[invitation.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert len(callbacks) == 1
    invitation.refresh_from_db()
    assert invitation.sent_at is None
    client.logout()
    old = client.get(reverse("accounts:invitation_accept", args=[invitation.raw_token]))
    new = client.get(reverse("accounts:invitation_accept", args=[invitation.token]))
    assert old.status_code == HTTPStatus.NOT_FOUND
    assert new.status_code == HTTPStatus.OK


def test_a_resent_invitation_is_emailed_again_with_the_new_link(clinician, mailoutbox):
    invitation = InvitationFactory(invited_by=clinician)
    invitation_email_send_task(invitation.pk)

    services.invitation_resend(invitation=invitation, by=clinician)
    invitation_email_send_task(invitation.pk)

    invitation.refresh_from_db()
    assert len(mailoutbox) == 2
    assert f"/invite/{invitation.token}/" in mailoutbox[1].body
    assert invitation.raw_token not in mailoutbox[1].body


@pytest.mark.parametrize("action", ["accounts:invitation_revoke", "accounts:invitation_resend"])
def test_another_clinician_cannot_touch_an_invitation(client, clinician, action):
    invitation = InvitationFactory()
    before = (invitation.token_hash, invitation.revoked_at, invitation.expires_at)
    client.force_login(clinician)

    response = client.post(reverse(action, args=[invitation.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    invitation.refresh_from_db()
    assert (invitation.token_hash, invitation.revoked_at, invitation.expires_at) == before


@pytest.mark.parametrize("action", ["accounts:invitation_revoke", "accounts:invitation_resend"])
def test_an_admin_manages_any_invitation(client, admin_user, action):
    invitation = InvitationFactory()
    client.force_login(admin_user)

    response = client.post(reverse(action, args=[invitation.pk]))

    assert response.status_code == HTTPStatus.FOUND
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None or invitation.token_hash != hash_token(
        invitation.raw_token
    )


@pytest.mark.parametrize("action", ["accounts:invitation_revoke", "accounts:invitation_resend"])
def test_an_accepted_invitation_cannot_be_revoked_or_resent(client, clinician, action):
    invitation = InvitationFactory(invited_by=clinician)
    services.invitation_accept(token=invitation.raw_token, password=NEW_PASSWORD)
    client.force_login(clinician)

    response = client.post(reverse(action, args=[invitation.pk]), follow=True)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.revoked_at is None
    assert invitation.token_hash == hash_token(invitation.raw_token)
    messages = [str(message) for message in response.context["messages"]]
    assert any("accepted" in message for message in messages), messages


def test_a_revoked_invitation_cannot_be_resent(client, clinician):
    invitation = InvitationFactory(invited_by=clinician, revoked=True)
    client.force_login(clinician)

    client.post(reverse("accounts:invitation_resend", args=[invitation.pk]))

    invitation.refresh_from_db()
    assert invitation.token_hash == hash_token(invitation.raw_token)


@pytest.mark.parametrize("user_fixture", ["peer", "patient"])
def test_peers_and_patients_cannot_revoke(client, request, user_fixture):
    invitation = InvitationFactory()
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.post(reverse("accounts:invitation_revoke", args=[invitation.pk]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    invitation.refresh_from_db()
    assert invitation.is_open


def test_revoking_needs_a_post(client, clinician):
    invitation = InvitationFactory(invited_by=clinician)
    client.force_login(clinician)

    response = client.get(reverse("accounts:invitation_revoke", args=[invitation.pk]))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    invitation.refresh_from_db()
    assert invitation.is_open


def test_an_admin_can_only_invite_through_the_service_with_a_clinician_for_patients(admin_user):
    with pytest.raises(ValidationError) as excinfo:
        services.invitation_create(
            invited_by=admin_user, email="pat@example.org", full_name="Pat", role=Role.PATIENT
        )

    assert "clinician" in excinfo.value.message_dict
    assert not Invitation.objects.exists()


def test_an_invitation_whose_clinician_has_left_cannot_be_accepted(client):
    invitation = InvitationFactory()
    invitation.clinician.is_active = False
    invitation.clinician.save()

    response = client.post(
        reverse("accounts:invitation_accept", args=[invitation.raw_token]),
        {"password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"},
    )

    assert response.status_code == HTTPStatus.GONE
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_backup_or_peer_who_has_left_is_not_assigned_on_acceptance(client):
    backup, peer = ClinicianFactory(is_active=False), PeerFactory(is_active=False)
    invitation = InvitationFactory(backup_clinician=backup, peer_specialist=peer)

    response = client.post(
        reverse("accounts:invitation_accept", args=[invitation.raw_token]),
        {"password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"},
    )

    assert response.status_code == HTTPStatus.FOUND
    profile = User.objects.get(email=invitation.email).patient_profile
    assert profile.clinician == invitation.clinician
    assert profile.backup_clinician is None
    assert profile.peer_specialist is None
