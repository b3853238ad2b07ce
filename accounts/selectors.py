"""Reads of accounts, with their joins applied. `*_get_for_*` helpers fetch and check access in
one step: what is not yours is a 404, exactly as if it did not exist."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from accounts import permissions
from accounts.models import ApiToken, Invitation, PatientProfile, Role, User
from core.services import audit_record


def caseload_list(*, user: User) -> QuerySet[PatientProfile]:
    """The patients a staff user looks after: a clinician's (named or backup), a peer's."""
    profiles = PatientProfile.objects.select_related(
        "user", "clinician", "backup_clinician", "peer_specialist"
    )
    if user.role == Role.CLINICIAN:
        profiles = profiles.filter(Q(clinician=user) | Q(backup_clinician=user))
    elif user.role == Role.PEER:
        profiles = profiles.filter(peer_specialist=user)
    else:
        return profiles.none()
    return profiles.order_by("user__full_name", "user_id")


def patient_profile_own(*, user: User) -> PatientProfile | None:
    """A patient's own profile with their care team, for their own pages."""
    return (
        PatientProfile.objects.select_related("clinician", "backup_clinician", "peer_specialist")
        .filter(user=user)
        .first()
    )


def patient_get_for_staff(
    *, user: User, patient_id: int, request: HttpRequest | None = None, purpose: str = "record"
) -> PatientProfile:
    """One patient of the user's care team, with the read written to the audit log; else 404."""
    profile = (
        PatientProfile.objects.select_related(
            "user", "clinician", "backup_clinician", "peer_specialist"
        )
        .filter(user_id=patient_id)
        .first()
    )
    if profile is None or not permissions.can_view_patient(user, profile):
        raise Http404("No such patient in your care team.")
    audit_record(
        actor=user,
        action="patient.viewed",
        subject=profile.user,
        target=profile,
        detail={"purpose": purpose},
        request=request,
    )
    return profile


def invitation_list_for(*, user: User) -> QuerySet[Invitation]:
    invitations = Invitation.objects.select_related("invited_by", "clinician", "accepted_user")
    if user.role == Role.ADMIN:
        return invitations.order_by("-created_at", "-id")
    if user.role == Role.CLINICIAN:
        return invitations.filter(Q(invited_by=user) | Q(clinician=user)).order_by(
            "-created_at", "-id"
        )
    return invitations.none()


def invitation_get_for_manager(*, user: User, invitation_id: int) -> Invitation:
    invitation = invitation_list_for(user=user).filter(pk=invitation_id).first()
    if invitation is None or not permissions.can_manage_invitation(user, invitation):
        raise Http404("No such invitation.")
    return invitation


def active_users_with_role(*, role: str) -> QuerySet[User]:
    return User.objects.filter(role=role, is_active=True).order_by("full_name", "id")


def staff_list() -> QuerySet[User]:
    return User.objects.filter(role__in=[Role.CLINICIAN, Role.PEER, Role.ADMIN]).order_by(
        "role", "full_name", "id"
    )


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def api_token_get_for_owner(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token
