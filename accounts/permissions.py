"""What each role may do. Said once here; views, the API and services all ask these functions.

| role      | may                                                                            |
| --------- | ------------------------------------------------------------------------------ |
| patient   | use their own programme; never a staff page (403), never another's data (404)  |
| clinician | see their caseload (named or backup clinician), invite patients to it          |
| peer      | see the patients assigned to them, limited to what a peer specialist needs     |
| admin     | invite anybody, manage accounts, the Django admin, trial configuration         |

Staff (clinician, peer, admin) reach no staff page or API until a second factor is enrolled.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator

from accounts.models import STAFF_ROLES, Invitation, PatientProfile, Role, User
from core.request_memo import forget, remembered


def is_authenticated(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


_SECOND_FACTOR = "accounts.second_factor"


def has_second_factor(user: User) -> bool:
    # Asked by the MFA middleware and again by the API's permission or a page: once per
    # request (core/request_memo.py), forgotten when a factor is added or removed
    # (accounts/receivers.py).
    return remembered(
        _SECOND_FACTOR,
        user.pk,
        lambda: Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists(),
    )


def second_factor_forget(user_id: int) -> None:
    forget(_SECOND_FACTOR, user_id)


def needs_second_factor(user: Any) -> bool:
    """A logged-in staff user who has not enrolled TOTP yet: staff pages stay closed."""
    return is_authenticated(user) and user.role in STAFF_ROLES and not has_second_factor(user)


def invitable_roles(user: Any) -> list[str]:
    """Which roles this user may invite: clinicians invite patients, admins invite anybody."""
    if not is_authenticated(user):
        return []
    if user.role == Role.ADMIN:
        return [Role.PATIENT, Role.CLINICIAN, Role.PEER, Role.ADMIN]
    if user.role == Role.CLINICIAN:
        return [Role.PATIENT]
    return []


def can_invite(user: Any, role: str) -> bool:
    return role in invitable_roles(user)


def can_manage_invitation(user: Any, invitation: Invitation) -> bool:
    """Admins manage every invitation; a clinician those they sent or that join their caseload."""
    if not is_authenticated(user):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.CLINICIAN and user.pk in (
        invitation.invited_by_id,
        invitation.clinician_id,
    )


def can_view_patient(user: Any, profile: PatientProfile) -> bool:
    """The care team sees a patient's record: named and backup clinician, assigned peer."""
    if not is_authenticated(user):
        return False
    if user.role == Role.CLINICIAN:
        return user.pk in (profile.clinician_id, profile.backup_clinician_id)
    if user.role == Role.PEER:
        return user.pk == profile.peer_specialist_id
    return False


def can_see_patient_contact_details(user: Any, profile: PatientProfile) -> bool:
    """Email and real name beyond the care team's clinicians stay hidden (peers see first names)."""
    return (
        is_authenticated(user) and user.role == Role.CLINICIAN and can_view_patient(user, profile)
    )


def can_create_api_token(user: Any) -> bool:
    """Personal API tokens are for staff scripts, with a second factor. Patients get none: their
    pages show no tokens, so a token made for them could be neither seen nor revoked."""
    return is_authenticated(user) and user.role in STAFF_ROLES and has_second_factor(user)


def can_use_admin_site(user: Any) -> bool:
    return is_authenticated(user) and user.role == Role.ADMIN and has_second_factor(user)
