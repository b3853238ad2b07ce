"""Writes of accounts: invitations, accepting them, care teams, API tokens."""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import hooks, permissions
from accounts.models import ApiToken, Invitation, PatientProfile, Role, User, hash_token
from core.exceptions import StateConflict
from core.services import audit_record

logger = logging.getLogger(__name__)

API_TOKEN_LIFETIME = timedelta(days=90)


class InvitationNotFound(Exception):
    """No invitation has this token (a mistyped or made-up link)."""


class InvitationUnavailable(Exception):
    """The invitation exists but can no longer be used: accepted, revoked or expired."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _normalise_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def _validate_care_team(
    *, clinician: User | None, backup_clinician: User | None, peer_specialist: User | None
) -> None:
    errors = {}
    if clinician is None or clinician.role != Role.CLINICIAN or not clinician.is_active:
        errors["clinician"] = "Choose the patient's named clinician."
    if backup_clinician is not None:
        if backup_clinician.role != Role.CLINICIAN or not backup_clinician.is_active:
            errors["backup_clinician"] = "The backup must be an active clinician."
        elif clinician is not None and backup_clinician.pk == clinician.pk:
            errors["backup_clinician"] = "The backup clinician must be someone else."
    if peer_specialist is not None and (
        peer_specialist.role != Role.PEER or not peer_specialist.is_active
    ):
        errors["peer_specialist"] = "Choose an active peer support specialist."
    if errors:
        raise ValidationError(errors)


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def invitation_url(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}{reverse('accounts:invitation_accept', args=[invitation.token])}"


@transaction.atomic
def invitation_create(
    *,
    invited_by: User,
    email: str,
    full_name: str,
    role: str,
    clinician: User | None = None,
    backup_clinician: User | None = None,
    peer_specialist: User | None = None,
    discharged_on: date | None = None,
) -> Invitation:
    """Invite someone by email. Clinicians invite patients to their own caseload; admins invite
    anybody. An earlier open invitation to the same address is revoked. The email is sent by a
    task after commit."""
    if not permissions.can_invite(invited_by, role):
        raise PermissionDenied("Your role cannot send this kind of invitation.")
    email = _normalise_email(email)
    full_name = full_name.strip()
    if not full_name:
        raise ValidationError({"full_name": "Enter the person's name."})
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "There is already an account with this email address."})
    if role == Role.PATIENT:
        if invited_by.role == Role.CLINICIAN:
            if clinician is not None and clinician.pk != invited_by.pk:
                raise ValidationError(
                    {"clinician": "Clinicians invite patients to their own caseload."}
                )
            clinician = invited_by
        _validate_care_team(
            clinician=clinician,
            backup_clinician=backup_clinician,
            peer_specialist=peer_specialist,
        )
        if discharged_on is not None and discharged_on > timezone.localdate():
            raise ValidationError({"discharged_on": "The discharge date cannot be in the future."})
    else:
        clinician = backup_clinician = peer_specialist = None
        discharged_on = None

    now = timezone.now()
    for previous in Invitation.objects.select_for_update().filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ):
        previous.revoked_at = now
        previous.revoked_by = invited_by
        previous.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
        audit_record(actor=invited_by, action="invitation.superseded", target=previous)

    token, token_hash = _new_token()
    invitation = Invitation.objects.create(
        email=email,
        full_name=full_name,
        role=role,
        invited_by=invited_by,
        token=token,
        token_hash=token_hash,
        expires_at=now + timedelta(days=settings.INVITATION_EXPIRY_DAYS),
        clinician=clinician,
        backup_clinician=backup_clinician,
        peer_specialist=peer_specialist,
        discharged_on=discharged_on,
    )
    audit_record(
        actor=invited_by, action="invitation.created", target=invitation, detail={"role": role}
    )
    _queue_invitation_email(invitation)
    return invitation


def _queue_invitation_email(invitation: Invitation) -> None:
    from accounts.tasks import invitation_email_send_task
    from core.tasks import enqueue_on_commit

    enqueue_on_commit(invitation_email_send_task, invitation.pk)


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """Send a fresh link: a new token (the old link stops working) and a new expiry."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise StateConflict("This invitation has been accepted or revoked; it cannot be re-sent.")
    token, token_hash = _new_token()
    invitation.token = token
    invitation.token_hash = token_hash
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_EXPIRY_DAYS)
    invitation.sent_at = None
    invitation.save(update_fields=["token", "token_hash", "expires_at", "sent_at", "updated_at"])
    audit_record(actor=by, action="invitation.resent", target=invitation)
    _queue_invitation_email(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """Revoke an invitation that has not been accepted; its link stops working at once."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise StateConflict("This invitation has already been accepted.")
    if invitation.revoked_at:
        return invitation
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = by
    invitation.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit_record(actor=by, action="invitation.revoked", target=invitation)
    return invitation


def invitation_email_send(*, invitation_id: int) -> bool:
    """Email the invitation link. Idempotent: an accepted, revoked, expired or already-sent
    invitation is not emailed again. Returns whether an email went out."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().filter(pk=invitation_id).first()
        if invitation is None or not invitation.is_open or invitation.sent_at is not None:
            return False
        context = {
            "invitation": invitation,
            "url": invitation_url(invitation),
            "expiry_days": settings.INVITATION_EXPIRY_DAYS,
            "is_patient": invitation.role == Role.PATIENT,
        }
        send_mail(
            subject=render_to_string("accounts/email/invitation_subject.txt", context).strip(),
            message=render_to_string("accounts/email/invitation_message.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invitation.email],
        )
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at", "updated_at"])
    logger.info("invitation %s emailed", invitation_id)
    return True


def invitation_get_by_token(*, token: str) -> Invitation:
    """The invitation a link points at, or InvitationNotFound / InvitationUnavailable."""
    invitation = (
        Invitation.objects.select_related("clinician").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise InvitationNotFound()
    if not invitation.is_open:
        raise InvitationUnavailable(invitation.status)
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, password: str, preferred_name: str = "", time_zone: str | None = None
) -> User:
    """Create the account an invitation promised. Works once: the row is locked and checked."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=hash_token(token)).first()
    if invitation is None:
        raise InvitationNotFound()
    if not invitation.is_open:
        raise InvitationUnavailable(invitation.status)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationUnavailable(Invitation.Status.ACCEPTED)
    # The care team may have changed since the invitation was sent: without an active named
    # clinician nobody would be told of a crisis, so the invitation cannot be used; a backup or
    # peer who has left is simply not assigned.
    backup, peer = invitation.backup_clinician, invitation.peer_specialist
    if invitation.role == Role.PATIENT:
        clinician = invitation.clinician
        if clinician is None or not clinician.is_active or clinician.role != Role.CLINICIAN:
            raise InvitationUnavailable(Invitation.Status.REVOKED)
        if backup is not None and not (backup.is_active and backup.role == Role.CLINICIAN):
            backup = None
        if peer is not None and not (peer.is_active and peer.role == Role.PEER):
            peer = None

    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        full_name=invitation.full_name,
        preferred_name=preferred_name.strip(),
        role=invitation.role,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if invitation.role == Role.PATIENT:
        PatientProfile.objects.create(
            user=user,
            clinician=invitation.clinician,
            backup_clinician=backup,
            peer_specialist=peer,
            discharged_on=invitation.discharged_on,
            time_zone=time_zone or settings.TIME_ZONE,
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user", "updated_at"])
    audit_record(
        actor=user,
        action="invitation.accepted",
        subject=user,
        target=invitation,
        detail={"role": user.role},
    )
    if invitation.role == Role.PATIENT:
        hooks.patient_joined.run(user)
    return user


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token; returns it with the key, which is never shown again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Say what the token is for."})
    if not permissions.can_create_api_token(user):
        raise PermissionDenied("API tokens are for staff who have set up a second factor.")
    key = f"exh_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_token(key),
        prefix=key[:8],
        expires_at=timezone.now() + API_TOKEN_LIFETIME,
    )
    audit_record(actor=user, action="api_token.created", target=token)
    return token, key


def api_tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every usable token of a user (after a password change, say); returns how many."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit_record(
            actor=user, action="api_token.revoked_all", detail={"count": revoked, "reason": reason}
        )
    return revoked


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=by, action="api_token.revoked", target=token)
    return token


def user_sessions_end(
    *, user: User, reason: str, actor: User | None = None, request: HttpRequest | None = None
) -> None:
    """End every session of `user` at their next request, by raising the generation in their
    session hash. When `request` is the user's own (they changed their second factor), that one
    session carries on under a new key; every other browser is signed out."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    user.refresh_from_db(fields=["session_generation"])
    current = getattr(request, "user", None) if request is not None else None
    kept_current = bool(current is not None and current.is_authenticated and current.pk == user.pk)
    if kept_current:
        current.session_generation = user.session_generation
        update_session_auth_hash(request, current)
    audit_record(
        actor=actor if actor is not None else (current if kept_current else None),
        action="sessions.ended",
        subject=user if user.role == Role.PATIENT else None,
        target=user,
        detail={"reason": reason, "kept_current": kept_current},
        request=request,
    )


@transaction.atomic
def user_deactivate(*, user: User, by: User | None, request: HttpRequest | None = None) -> User:
    """Deactivate an account: it can no longer log in, and its sessions and API tokens end now,
    so that reactivating it later does not bring them back."""
    User.objects.filter(pk=user.pk, is_active=True).update(is_active=False)
    user.is_active = False
    audit_record(actor=by, action="account.deactivated", subject=user, target=user, request=request)
    api_tokens_revoke_all(user=user, reason="deactivated")
    user_sessions_end(user=user, reason="deactivated", actor=by)
    return user
