"""Pages of accounts that the apps above it add sections to.

accounts cannot import those apps (DESIGN.md layering), so each registers a provider in its
AppConfig.ready():

- `staff_patient_page`: the care team's page about one patient. A provider gets the request and
  the patient's profile (access already checked and the read audited).
- `patient_home`: the patient's own home page. A provider gets the request and the patient's
  profile (or None).
- `peer_home`: the peer support specialist's home page. A provider gets the request and the peer.
- `admin_home`: the admin's home page. A provider gets the request and the admin.
- `account_page`: anybody's own account page. A provider gets the request and the user.
- `caseload_columns`: extra columns of a clinician's or peer's caseload table. A provider gets
  the request and the profiles on the page, and returns `(heading, {patient id: cell HTML})`
  with one query for the whole page, whatever its length.

A provider returns HTML rendered from its own (autoescaped) template, or "" to add nothing.
Sections appear in the order the apps are installed (lowest layer first), unless a provider
asks to come first (what the patient must do next: finishing onboarding).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Provider = Callable[[HttpRequest, Any], str]


class SectionRegistry:
    def __init__(self) -> None:
        self._providers: list[Provider] = []

    def register(self, provider: Provider, *, first: bool = False) -> Provider:
        if provider not in self._providers:
            self._providers.insert(0, provider) if first else self._providers.append(provider)
        return provider

    def render(self, request: HttpRequest, subject: Any) -> list[SafeString]:
        # Providers return HTML rendered from their own templates (autoescaped there).
        return [
            mark_safe(html)  # noqa: S308
            for provider in self._providers
            if (html := provider(request, subject))
        ]


staff_patient_page = SectionRegistry()
patient_home = SectionRegistry()
peer_home = SectionRegistry()
admin_home = SectionRegistry()
account_page = SectionRegistry()


ColumnProvider = Callable[[HttpRequest, list], "tuple[str, dict[int, str]] | None"]


class ColumnRegistry:
    """Extra columns of a table of patients, each filled for a whole page in one go."""

    def __init__(self) -> None:
        self._providers: list[ColumnProvider] = []

    def register(self, provider: ColumnProvider) -> ColumnProvider:
        if provider not in self._providers:
            self._providers.append(provider)
        return provider

    def render(
        self, request: HttpRequest, profiles: list
    ) -> list[tuple[str, dict[int, SafeString]]]:
        columns = []
        for provider in self._providers:
            column = provider(request, profiles)
            if column is not None:
                heading, cells = column
                # Cells are HTML rendered from the provider's own templates (autoescaped there).
                columns.append(
                    (heading, {key: mark_safe(html) for key, html in cells.items()})  # noqa: S308
                )
        return columns


caseload_columns = ColumnRegistry()
