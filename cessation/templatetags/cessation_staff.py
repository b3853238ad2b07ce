"""Template helpers for the care team's quit-tracking section: labels for the choices a quit plan
stores as lists (supports with their doses, triggers), and the medications that need review."""

from __future__ import annotations

from django import template
from django.conf import settings

from cessation.models import QuitPlan, Support, Trigger

register = template.Library()


@register.filter
def plan_supports(plan: QuitPlan) -> list[dict]:
    """[{"label": "Nicotine patch", "dose": "21 mg"}, ...] in the order the plan lists them."""
    labels = dict(Support.choices)
    return [
        {"label": labels.get(item.get("kind"), item.get("kind")), "dose": item.get("dose", "")}
        for item in plan.supports or []
        if item.get("kind")
    ]


@register.filter
def plan_triggers(plan: QuitPlan) -> list[str]:
    labels = dict(Trigger.choices)
    return [labels.get(trigger, trigger) for trigger in plan.triggers or []]


@register.simple_tag
def review_medication_names() -> list[str]:
    """The medications whose levels change with smoking (settings.CESSATION_REVIEW_MEDICATIONS)."""
    return [name.capitalize() for name in settings.CESSATION_REVIEW_MEDICATIONS]


@register.filter
def medication_names(medications) -> str:
    """ "clozapine (300 mg) and olanzapine": the names in lower case, with doses when known."""
    names = [
        f"{m.name.strip().lower()} ({m.dose})" if m.dose else m.name.strip().lower()
        for m in medications
    ]
    return " and ".join(names)
