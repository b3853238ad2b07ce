"""Who may do what with quit-tracking data. Built on accounts/permissions.py.

- patient: their own quit plan, check-ins, cravings, CO readings (self-reported), medications.
- clinician: the same for their caseload (named or backup clinician); every read is audited.
- peer specialist and admin: none of it (peers see how someone is doing in the group itself).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from accounts.models import PatientProfile, Role
from accounts.permissions import is_authenticated


def _is_self(user: Any, patient: Any) -> bool:
    return is_authenticated(user) and user.role == Role.PATIENT and user.pk == patient.pk


def is_care_team_clinician(user: Any, patient: Any) -> bool:
    if not is_authenticated(user) or user.role != Role.CLINICIAN:
        return False
    return (
        PatientProfile.objects.filter(user=patient)
        .filter(Q(clinician=user) | Q(backup_clinician=user))
        .exists()
    )


def can_view_quit_data(user: Any, patient: Any) -> bool:
    return _is_self(user, patient) or is_care_team_clinician(user, patient)


def can_edit_quit_plan(user: Any, patient: Any) -> bool:
    return _is_self(user, patient) or is_care_team_clinician(user, patient)


def can_record_co(user: Any, patient: Any) -> bool:
    return _is_self(user, patient) or is_care_team_clinician(user, patient)


def can_manage_medications(user: Any, patient: Any) -> bool:
    return _is_self(user, patient) or is_care_team_clinician(user, patient)


def can_approve_health_content(user: Any) -> bool:
    return is_authenticated(user) and user.role == Role.CLINICIAN
