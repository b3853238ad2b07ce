"""Sections of the staff page about one patient, contributed by the apps above accounts.

accounts cannot import them (DESIGN.md layering), so each registers a provider in its
AppConfig.ready(): `patient_page.register(provider)`. A provider gets the request and the
patient's profile (access already checked and audited) and returns rendered HTML, or "" to add
nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from accounts.models import PatientProfile

Provider = Callable[[HttpRequest, PatientProfile], str]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def sections_for(request: HttpRequest, profile: PatientProfile) -> list[SafeString]:
    # Providers return HTML rendered from their own templates (autoescaped there).
    return [mark_safe(html) for provider in _providers if (html := provider(request, profile))]  # noqa: S308
