"""What onboarding adds to pages of accounts: the patient's "carry on setting up" card (first
on their home page), the care team's onboarding section on a patient's page, and the
onboarding column of the caseload table (one query pair for the whole page)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile
from onboarding import selectors
from onboarding.models import ContentVersion


def patient_home_section(request: HttpRequest, profile: PatientProfile | None) -> str:
    state = selectors.journey_state_for(patient=request.user)
    if state is None or (state.current is None and not state.left_for_later):
        return ""
    return render_to_string("onboarding/sections/patient_home.html", {"state": state})


def account_section(request: HttpRequest, user) -> str:
    """A patient's agreements, with the way to stop taking part, on their account page."""
    if not user.is_patient:
        return ""
    consents = list(selectors.consent_list(patient=user))
    return render_to_string(
        "onboarding/sections/account.html",
        {
            "consents": [c for c in consents if c.is_active],
            "never_agreed": not consents,
        },
    )


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
    return (str(_("Onboarding")), cells)


def _texts_not_approved() -> list[dict]:
    """Each text whose version in force is not approved (or that has none), with where to go to
    approve it: a newer version waiting for approval or publishing, else the version in force
    (approved in place: approving changes no word), else a new version. One query."""
    now = timezone.now()
    by_key: dict[str, list[ContentVersion]] = {}
    for version in ContentVersion.objects.defer("body").order_by("key", "-version"):
        by_key.setdefault(version.key, []).append(version)
    found = []
    for key, label in ContentVersion.Key.choices:
        versions = by_key.get(key, [])
        published = [v for v in versions if v.published_at and v.published_at <= now]
        current = max(published, key=lambda v: (v.published_at, v.version), default=None)
        if current is not None and current.is_approved:
            continue
        waiting = next(
            (
                v
                for v in versions
                if v.published_at is None and (current is None or v.version > current.version)
            ),
            None,
        )
        if waiting is not None:
            url = reverse("admin:onboarding_contentversion_change", args=[waiting.pk])
        elif current is not None:
            url = reverse("admin:onboarding_contentversion_change", args=[current.pk])
        else:
            url = reverse("admin:onboarding_contentversion_add") + f"?key={key}"
        found.append(
            {"key": key, "label": label, "current": current, "waiting": waiting, "url": url}
        )
    return found


def admin_home_section(request: HttpRequest, admin) -> str:
    """For admins: how many patients reached, did and left for later each step (uptake and
    drop-off, one query), and the texts patients read that nobody has approved yet."""
    return render_to_string(
        "onboarding/sections/admin_home.html",
        {"uptake": selectors.step_uptake(), "unapproved": _texts_not_approved()},
    )
