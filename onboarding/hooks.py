"""Moments in onboarding that the apps above it act on, without onboarding importing them
(DESIGN.md layering). Each app registers a callback in its AppConfig.ready(); callbacks run
inside the transaction of the change, so what they write commits or rolls back with it.

- `step_completed(patient=, step=, by=)`: a step of the journey was completed (the first time or
  again). The trial randomises a consented participant when About you (the baseline) is done.
- `consent_given(consent=, by=)` and `consent_withdrawn(consent=, by=)`: a consent was given or
  withdrawn (the trial enrols or withdraws the participant).
"""

from __future__ import annotations

from accounts.hooks import Hook

step_completed = Hook()
consent_given = Hook()
consent_withdrawn = Hook()
