"""The trial's API: exports."""

from __future__ import annotations

urlpatterns: list = []
