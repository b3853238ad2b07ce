"""The patient timeline on a flag page, assembled from providers.

`safety` cannot import the apps above it, so they contribute: an app registers a provider in its
AppConfig.ready() — `timeline.register(provider)` — and a provider returns entries about one
patient since a time (check-ins, posts, messages). Earlier flags are shown separately on the flag
page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # a short label: "Flag", "Check-in", "Post"…
    text: str  # plain words; may include the patient's own words for their care team
    url: str = ""


Provider = Callable[[Any, datetime], list[TimelineEntry]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def timeline_for(patient: Any, since: datetime, limit: int = 30) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for provider in _providers:
        entries.extend(provider(patient, since))
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
