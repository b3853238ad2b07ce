"""Staff reach no staff page until they have enrolled a second factor.

A logged-in clinician, peer specialist or admin without TOTP can only use what they need to
enrol (allauth's account and 2FA pages), log out, and the public pages (crisis help, health).
Everything else redirects to TOTP set-up, or answers 403 on the API.
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from accounts.permissions import needs_second_factor

ALLOWED_PREFIXES = (
    "/accounts/",
    "/help/",
    "/health/",
    "/static/",
    "/privacy/",
    "/invite/",
    "/api/v1/crisis-resources/",  # public, like /help/
)
MFA_REQUIRED_DETAIL = "Set up two-factor authentication before using staff features."


class StaffMFARequiredMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(ALLOWED_PREFIXES) or not needs_second_factor(request.user):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": MFA_REQUIRED_DETAIL, "code": "mfa_required"},
                status=HTTPStatus.FORBIDDEN,
            )
        messages.info(
            request,
            "Staff accounts need two-factor authentication. Set up an authenticator app to "
            "continue.",
        )
        return redirect("mfa_activate_totp")
