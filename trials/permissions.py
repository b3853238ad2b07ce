"""Who may do what in the trial. Built on accounts/permissions.py.

| role      | may                                                                              |
| --------- | -------------------------------------------------------------------------------- |
| patient   | agree to or decline the study when offered; answer their own follow-ups; see     |
|           | their own arm (after randomisation) and withdraw                                 |
| clinician | offer the study to patients on their caseload (enrol, with diagnosis group);     |
|           | log people approached; record follow-up CO readings, readmissions and deaths     |
|           | for their own caseload; never see the sequence                                   |
| peer      | nothing in the trial                                                             |
| admin     | set up trials, open and close recruitment (and keep the seed), see the           |
|           | dashboard and CONSORT flow, assess adverse events, annotate allocations, export  |
|           | (audited, with a reason)                                                         |

Nobody, admins included, can read the allocation sequence from a page, the API or the admin
site: it is sealed and only the randomisation service opens it, one position at a time.
"""

from __future__ import annotations

from typing import Any

from accounts.models import PatientProfile, Role
from accounts.permissions import can_view_patient, is_authenticated


def is_trial_manager(user: Any) -> bool:
    return is_authenticated(user) and user.role == Role.ADMIN


def can_manage_trial(user: Any) -> bool:
    return is_trial_manager(user)


def can_export(user: Any) -> bool:
    return is_trial_manager(user)


def can_see_dashboard(user: Any) -> bool:
    return is_trial_manager(user)


def can_assess_adverse_events(user: Any) -> bool:
    return is_trial_manager(user)


def can_log_screening(user: Any) -> bool:
    return is_authenticated(user) and user.role in (Role.CLINICIAN, Role.ADMIN)


def can_enrol(user: Any, profile: PatientProfile) -> bool:
    return (
        is_authenticated(user) and user.role == Role.CLINICIAN and can_view_patient(user, profile)
    )


def can_record_for(user: Any, profile: PatientProfile) -> bool:
    """Record a follow-up's CO reading, a readmission or a death for this patient."""
    if not is_authenticated(user):
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.CLINICIAN and can_view_patient(user, profile)


def is_participant_self(user: Any, patient: Any) -> bool:
    return is_authenticated(user) and user.role == Role.PATIENT and user.pk == patient.pk
