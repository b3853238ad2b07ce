"""What the trial adds to the apps below it (dashboard), connected from TrialsConfig.ready()."""

from __future__ import annotations


def connect() -> None:
    """Register this part's hooks, steps and page sections."""
