"""safety's section of the staff page about a patient: plan, concern, and (for clinicians) flags."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from accounts.models import PatientProfile, Role
from safety.models import Flag


def safety_section(request: HttpRequest, profile: PatientProfile) -> str:
    flags = None
    if request.user.role == Role.CLINICIAN:
        flags = list(Flag.objects.filter(patient_id=profile.user_id).order_by("-created_at")[:10])
    return render_to_string(
        "safety/_patient_section.html",
        {"patient": profile.user, "flags": flags},
        request=request,
    )
