"""The trial's API: followups."""

from __future__ import annotations

urlpatterns: list = []
