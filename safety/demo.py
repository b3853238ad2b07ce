"""Demo safety data for `manage.py seed_demo`: a safety plan, flags in several states, on call."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safety import services
from safety.models import Flag, OnCall, SafetyPlan


def seed(context: dict, stdout) -> None:
    users, patients = context["users"], context["patients"]
    clinician, backup = users["clinician"], users["backup"]
    alex, bea, chris = patients[0], patients[1], patients[2]
    if not SafetyPlan.objects.filter(patient=alex).exists():
        services.safety_plan_update(
            patient=alex,
            by=alex,
            sections={
                "warning_signs": "Not sleeping, staying in my room, wanting to smoke all day.",
                "coping_strategies": "Walk to the park. Headphones on, loud music. Cold shower.",
                "distractions": "My sister's house. The café on the corner.",
                "people_to_ask": "My sister Jo.",
                "professionals": "My care coordinator on weekdays; the crisis line any time.",
                "safe_environment": "Ask Jo to keep my tablets for the week.",
                "reasons_to_live": "My dog, Biscuit. Seeing my nephew grow up.",
            },
        )
    if not Flag.objects.exists():
        now = timezone.now()
        services.flag_raise(
            patient=bea,
            source=Flag.Source.CONCERN,
            category=Flag.Category.CONCERN,
            severity="high",
            summary="Concern raised by their peer support specialist",
            evidence=[
                {
                    "category": "concern",
                    "excerpt": "Bea said at group that she has not slept for three nights.",
                    "reason": "Staff note",
                }
            ],
            raised_by=users["peer"],
            now=now - timedelta(hours=1),
        )
        old = services.flag_raise(
            patient=chris,
            source=Flag.Source.CONCERN,
            category=Flag.Category.LOW_MOOD,
            severity="medium",
            summary="Very low mood reported",
            now=now - timedelta(days=6),
        )
        services.flag_resolve(
            flag=old, by=clinician, outcome=Flag.Outcome.CONTACTED_SAFE, note="Phoned; plan agreed."
        )
    OnCall.objects.get_or_create(user=backup)
    stdout.write("safety: safety plan, flags, and the backup clinician on call")
