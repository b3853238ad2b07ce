"""The trial's API: participation."""

from __future__ import annotations

urlpatterns: list = []
