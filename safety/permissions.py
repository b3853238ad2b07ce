"""Who may do what with safety information. Built on accounts/permissions.py.

- patient: never sees flags; reads and edits their own safety plan.
- clinician: the flags of their caseload (named or backup clinician), flags handed over to them
  and flags that re-escalated to them; reads and edits their caseload's safety plans.
- peer specialist: raises a concern about the patients assigned to them; sees no flags; reads
  their patients' safety plans (to help in a crisis).
- admin: the safety overview (counts and times only); never a plan or a flag's content.
"""

from __future__ import annotations

from typing import Any

from accounts.models import PatientProfile, Role
from accounts.permissions import can_view_patient, is_authenticated
from safety.models import Flag, FlagRecipient


def _profile(patient: Any) -> PatientProfile | None:
    return PatientProfile.objects.filter(user=patient).first()


def can_view_flag(user: Any, flag: Flag) -> bool:
    if not is_authenticated(user) or user.role != Role.CLINICIAN:
        return False
    if flag.handled_by_id == user.pk:
        return True
    profile = _profile(flag.patient)
    if profile is not None and user.pk in (profile.clinician_id, profile.backup_clinician_id):
        return True
    return FlagRecipient.objects.filter(flag=flag, user=user).exists()


def can_handle_flag(user: Any, flag: Flag) -> bool:
    """Acknowledge, note, resolve, hand over: whoever may see the flag (all clinicians)."""
    return can_view_flag(user, flag)


def can_raise_concern(user: Any, patient: Any) -> bool:
    profile = _profile(patient)
    return profile is not None and can_view_patient(user, profile)


def can_view_safety_plan(user: Any, patient: Any) -> bool:
    if not is_authenticated(user):
        return False
    if user.pk == patient.pk:
        return user.role == Role.PATIENT
    profile = _profile(patient)
    if profile is not None and can_view_patient(user, profile):
        return True
    # A clinician a flag about this patient escalated to needs the plan to help.
    return (
        user.role == Role.CLINICIAN
        and FlagRecipient.objects.filter(flag__patient=patient, user=user).exists()
    )


def can_edit_safety_plan(user: Any, patient: Any) -> bool:
    if not is_authenticated(user):
        return False
    if user.pk == patient.pk:
        return user.role == Role.PATIENT
    profile = _profile(patient)
    return (
        profile is not None
        and user.role == Role.CLINICIAN
        and user.pk in (profile.clinician_id, profile.backup_clinician_id)
    )


def can_see_safety_overview(user: Any) -> bool:
    return is_authenticated(user) and user.role == Role.ADMIN


def can_be_on_call(user: Any) -> bool:
    return is_authenticated(user) and user.role == Role.CLINICIAN
