"""What every page's frame needs from onboarding: a way back to the tour from the real page a
"Try it" opened (kept in the session: no query), and whether the programme is open yet."""

from __future__ import annotations

from django.http import HttpRequest

from onboarding.gate import programme_open

TOUR_RETURN_KEY = "onboarding.tour_return"


def tour_return(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_patient:
        return {}
    back = request.session.get(TOUR_RETURN_KEY)
    if not back or request.path.startswith("/welcome/"):
        return {}
    return {"onboarding_tour_return": back}


def programme(request: HttpRequest) -> dict:
    """Whether a patient's menu offers the programme, or only the way through onboarding (its
    pages would send them back there until they agree). Cached: no query once open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_patient:
        return {}
    if request.path.startswith("/help/"):
        return {}  # the crisis page asks nothing of anything it can do without
    return {"programme_closed": not programme_open(user)}
