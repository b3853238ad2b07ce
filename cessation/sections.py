"""cessation's sections of pages that accounts owns (see accounts/sections.py): the "today"
card on the patient's home, and quit tracking on the care team's page about a patient."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from accounts.models import PatientProfile, Role
from cessation import selectors


def patient_home_section(request: HttpRequest, profile: PatientProfile | None) -> str:
    """Today's check-in, days since quitting, money saved, the next milestone, craving help."""
    card = selectors.today_for(patient=request.user, profile=profile)
    return render_to_string("cessation/patient/_home_card.html", {"card": card}, request=request)


def staff_patient_section(request: HttpRequest, profile: PatientProfile) -> str:
    """Quit plan, check-in calendar and reminders (missed check-ins, outreach), charts, CO readings
    and medications, for clinicians."""
    if request.user.role != Role.CLINICIAN:
        return ""
    patient = profile.user
    dashboard = selectors.dashboard_for(patient=patient, profile=profile)
    return render_to_string(
        "cessation/staff/_patient_section.html",
        {
            "patient": patient,
            "dashboard": dashboard,
            "calendar": selectors.checkin_calendar(patient=patient, today=dashboard.today),
            "medications": selectors.medications_for(patient=patient),
            "reminders": selectors.schedule_overview_for(
                patient=patient, profile=profile, missed_limit=5
            ),
        },
        request=request,
    )
