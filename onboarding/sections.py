"""What onboarding adds to pages of accounts: the patient's "carry on setting up" card (first
on their home page), the care team's onboarding section on a patient's page, and the
onboarding column of the caseload table (one query pair for the whole page)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from accounts.models import PatientProfile
from onboarding import selectors


def patient_home_section(request: HttpRequest, profile: PatientProfile | None) -> str:
    state = selectors.journey_state_for(patient=request.user)
    if state is None or (state.current is None and not state.left_for_later):
        return ""
    return render_to_string("onboarding/sections/patient_home.html", {"state": state})


def staff_patient_section(request: HttpRequest, profile: PatientProfile) -> str:
    state = selectors.journey_state_for(patient=profile.user)
    return render_to_string(
        "onboarding/sections/staff_patient.html", {"state": state, "profile": profile}
    )


def caseload_column(request: HttpRequest, profiles: list) -> tuple[str, dict[int, str]]:
    states = selectors.journey_states_for_page(patients=[profile.user for profile in profiles])
    cells = {
        profile.user_id: render_to_string(
            "onboarding/sections/caseload_cell.html",
            {"state": states.get(profile.user_id), "profile": profile},
        )
        for profile in profiles
    }
    return ("Onboarding", cells)
