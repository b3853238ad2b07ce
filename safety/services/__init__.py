"""Writes of safety: crisis resources, flags and escalation, safety plans."""

from safety.services.crisis import crisis_resources_changed
from safety.services.flags import (
    ack_window,
    flag_acknowledge,
    flag_escalation_sweep,
    flag_hand_over,
    flag_note_add,
    flag_note_system,
    flag_raise,
    flag_raise_concern,
    flag_raise_from_screening,
    flag_resolve,
    on_call_set,
)
from safety.services.plans import safety_plan_update

__all__ = [
    "ack_window",
    "crisis_resources_changed",
    "flag_acknowledge",
    "flag_escalation_sweep",
    "flag_hand_over",
    "flag_note_add",
    "flag_note_system",
    "flag_raise",
    "flag_raise_concern",
    "flag_raise_from_screening",
    "flag_resolve",
    "on_call_set",
    "safety_plan_update",
]
