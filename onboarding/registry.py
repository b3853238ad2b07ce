"""The onboarding journey as an ordered registry of steps.

onboarding registers its own steps (onboarding/steps.py); the apps above it (trials: consent to
the study, randomisation) contribute theirs from their AppConfig.ready(), so onboarding never
imports them (DESIGN.md). A step says where it sits, whether it may be left for later, whether
it applies to a given patient, and which page shows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _always(patient: Any) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    order: int
    url_name: str
    # Steps that may be left for later ("do this later"); the others must be done in turn.
    skippable: bool = False
    # Whether the programme stays closed until this step is done (consent).
    gate: bool = False
    # A short line for the progress list and the care team's view.
    summary: str = ""
    applies: Callable[[Any], bool] = field(default=_always, compare=False)


Restriction = Callable[[Step, Any], bool]


class StepRegistry:
    def __init__(self) -> None:
        self._steps: dict[str, Step] = {}
        self._restrictions: list[Restriction] = []

    def register(self, step: Step) -> Step:
        existing = self._steps.get(step.key)
        if existing is not None and existing != step:
            raise ValueError(f"An onboarding step {step.key!r} is already registered.")
        self._steps[step.key] = step
        return step

    def get(self, key: str) -> Step | None:
        return self._steps.get(key)

    def all(self) -> list[Step]:
        return sorted(self._steps.values(), key=lambda step: (step.order, step.key))

    def restrict(self, restriction: Restriction) -> Restriction:
        """Let an app above narrow which steps apply to a patient: the trial's usual-care arm
        does not get the programme's steps. `restriction(step, patient)` returns False to drop
        a step."""
        if restriction not in self._restrictions:
            self._restrictions.append(restriction)
        return restriction

    def applies(self, step: Step, patient: Any) -> bool:
        return step.applies(patient) and all(
            restriction(step, patient) for restriction in self._restrictions
        )

    def for_patient(self, patient: Any) -> list[Step]:
        """The steps that apply to this patient, in order."""
        return [step for step in self.all() if self.applies(step, patient)]


steps = StepRegistry()
