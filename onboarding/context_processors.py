"""A way back to the tour from the real page a "Try it" opened (kept in the session: no query)."""

from __future__ import annotations

from django.http import HttpRequest

TOUR_RETURN_KEY = "onboarding.tour_return"


def tour_return(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_patient:
        return {}
    back = request.session.get(TOUR_RETURN_KEY)
    if not back or request.path.startswith("/welcome/"):
        return {}
    return {"onboarding_tour_return": back}
