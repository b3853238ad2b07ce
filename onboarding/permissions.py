"""Who may do what in onboarding. Built on accounts/permissions.py.

| role      | may                                                                              |
| --------- | -------------------------------------------------------------------------------- |
| patient   | go through their own journey; give and withdraw their own consents (only they)   |
| clinician | see the onboarding of their caseload, remind, and assist (audited), entering     |
|           | what their role already may: baseline, safety plan, quit plan                    |
| peer      | see the onboarding of the patients assigned to them, remind, and assist          |
|           | (audited): baseline and marking the explanations and the tour done together      |
| admin     | edit and approve the texts (new versions only); see uptake per step              |

Nobody but the patient gives or withdraws their consent, not even while assisting.
"""

from __future__ import annotations

from typing import Any

from accounts.models import PatientProfile, Role
from accounts.permissions import can_view_patient, is_authenticated


def can_view_onboarding(user: Any, profile: PatientProfile) -> bool:
    return can_view_patient(user, profile)


def can_assist(user: Any, profile: PatientProfile) -> bool:
    return can_view_patient(user, profile) and user.role in (Role.CLINICIAN, Role.PEER)


def can_send_reminder(user: Any, profile: PatientProfile) -> bool:
    return can_view_patient(user, profile)


def can_give_consent(user: Any, patient: Any) -> bool:
    return is_authenticated(user) and user.role == Role.PATIENT and user.pk == patient.pk


def can_manage_content(user: Any) -> bool:
    return is_authenticated(user) and user.role == Role.ADMIN
