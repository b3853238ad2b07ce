"""The programme opens once the patient has agreed to take part.

A patient whose onboarding has begun and who has not given (or has withdrawn) their consent to
the programme reaches only their onboarding, the privacy pages, crisis help, their account, their
notices and logging out (and the same through the API); any other page takes them back to where
they are in onboarding, and the API answers 403. Once open, the answer is kept in the shared
cache so it costs no query per page, and forgotten on every device when consent is withdrawn
(onboarding/gate.py).
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from onboarding.gate import programme_open

ALLOWED_PREFIXES = (
    "/welcome/",
    "/privacy/",
    "/help/",
    "/health/",
    "/static/",
    "/accounts/",  # allauth: log out, password
    "/account/",
    "/notifications/",
    # The API's side of the pages above: an app must know who is logged in and show the care
    # team's reminder to carry on, as the web pages do, before the patient has agreed.
    "/api/v1/me/",
    "/api/v1/notifications/",
    "/api/v1/crisis-resources/",
    "/api/v1/onboarding/",
)
# Pages of the apps above that stay open without the programme consent (apps add theirs from
# AppConfig.ready() with `allow_prefixes`: the trial's follow-up questions go on after someone
# leaves the programme, as the study consent says).
_EXTRA_PREFIXES: list[str] = []


def allow_prefixes(*prefixes: str) -> None:
    for prefix in prefixes:
        if prefix not in _EXTRA_PREFIXES:
            _EXTRA_PREFIXES.append(prefix)


CONSENT_REQUIRED_DETAIL = "Agree to take part in Exhale first: finish the first steps."


class ProgrammeConsentMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or not user.is_patient
            or request.path.startswith(ALLOWED_PREFIXES)
            or request.path.startswith(tuple(_EXTRA_PREFIXES))
            or programme_open(user)
        ):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": CONSENT_REQUIRED_DETAIL, "code": "consent_required"},
                status=HTTPStatus.FORBIDDEN,
            )
        return redirect("onboarding:start")
