"""DRF permission classes built on accounts/permissions.py."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts import permissions
from accounts.middleware import MFA_REQUIRED_DETAIL
from accounts.models import Role


class IsAuthenticatedWithStaffMFA(BasePermission):
    """The default for every endpoint: logged in, and staff have a second factor."""

    message = MFA_REQUIRED_DETAIL
    # The same code the middleware gives session users, so that clients can tell "enrol a second
    # factor" from "your role cannot do this" however they authenticate.
    code = "mfa_required"

    def has_permission(self, request, view) -> bool:
        if not permissions.is_authenticated(request.user):
            return False
        return not permissions.needs_second_factor(request.user)


class _RoleIn(IsAuthenticatedWithStaffMFA):
    roles: frozenset[str] = frozenset()
    role_message = "Your role cannot use this."

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.user.role not in self.roles:
            self.message = self.role_message
            self.code = "permission_denied"
            return False
        return True


class IsCareTeamStaff(_RoleIn):
    roles = frozenset({Role.CLINICIAN, Role.PEER})
    role_message = "Only clinicians and peer support specialists have a caseload."


class CanInvite(_RoleIn):
    roles = frozenset({Role.CLINICIAN, Role.ADMIN})
    role_message = "Only clinicians and admins can invite people."


class IsClinician(_RoleIn):
    roles = frozenset({Role.CLINICIAN})
    role_message = "Only clinicians can do this."


class IsPatient(_RoleIn):
    roles = frozenset({Role.PATIENT})
    role_message = "Only patients have this."


class IsPeer(_RoleIn):
    roles = frozenset({Role.PEER})
    role_message = "Only peer support specialists can do this."


class IsPeerOrAdmin(_RoleIn):
    roles = frozenset({Role.PEER, Role.ADMIN})
    role_message = "Only peer support specialists and admins can read this."
