"""Safety plans: written by the patient, or with them by their clinician."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.services import audit_record
from safety import permissions
from safety.models import SafetyPlan

MAX_SECTION_LENGTH = 2000
SECTION_NAMES = [name for name, _, _ in SafetyPlan.SECTIONS]


@transaction.atomic
def safety_plan_update(*, patient: User, by: User, sections: dict[str, str]) -> SafetyPlan:
    """Save the sections given (others are kept). The audit row names which sections changed,
    never their words."""
    if not permissions.can_edit_safety_plan(by, patient):
        raise PermissionDenied("You cannot edit this safety plan.")
    unknown = set(sections) - set(SECTION_NAMES)
    if unknown:
        raise ValidationError(f"Unknown safety plan sections: {', '.join(sorted(unknown))}")
    errors = {
        name: f"Keep this under {MAX_SECTION_LENGTH} characters."
        for name, text in sections.items()
        if len(text or "") > MAX_SECTION_LENGTH
    }
    if errors:
        raise ValidationError(errors)
    plan, _ = SafetyPlan.objects.select_for_update().get_or_create(patient=patient)
    changed = []
    for name, text in sections.items():
        text = (text or "").strip()
        if getattr(plan, name) != text:
            setattr(plan, name, text)
            changed.append(name)
    if changed:
        plan.updated_at = timezone.now()
        plan.updated_by = by
        plan.save()
        audit_record(
            actor=by,
            action="safety_plan.updated",
            subject=patient,
            target=plan,
            detail={"sections": changed},
        )
    return plan
