"""Moments in accounts that the apps above it act on, without accounts importing them
(DESIGN.md layering). Each app registers a callback in its AppConfig.ready().

- `patient_joined(user)`: a patient's account was just created from their invitation, inside
  the same transaction (onboarding begins their journey).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Callback = Callable[..., None]


class Hook:
    def __init__(self) -> None:
        self._callbacks: list[Callback] = []

    def register(self, callback: Callback) -> Callback:
        if callback not in self._callbacks:
            self._callbacks.append(callback)
        return callback

    def run(self, *args: Any, **kwargs: Any) -> None:
        for callback in self._callbacks:
            callback(*args, **kwargs)


patient_joined = Hook()
