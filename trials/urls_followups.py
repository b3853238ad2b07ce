"""Pages of the trial: followups. Joined under the "trials" namespace by trials/urls.py."""

from __future__ import annotations

urlpatterns: list = []
