"""Pages of safety: crisis help, reachable by anybody from every page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safety.selectors import crisis_resource_list


def crisis_view(request: HttpRequest) -> HttpResponse:
    """Get help now. Public, no login, no second factor, and works with the database down."""
    return render(request, "safety/crisis.html", {"resources": crisis_resource_list()})
