"""Session middleware of accounts: idle sessions end, and staff need a second factor.

SessionIdleTimeoutMiddleware signs a user out after a spell without any request: 30 minutes for
staff by default, longer for patients (settings SESSION_IDLE_TIMEOUT_STAFF/_PATIENT).

StaffMFARequiredMiddleware: a logged-in clinician, peer specialist or admin without TOTP can
only use what they need to enrol (allauth's account and 2FA pages), log out, and the public
pages (crisis help, health). Everything else redirects to TOTP set-up, or answers 403 on the API.
"""

from __future__ import annotations

import time
from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.models import STAFF_ROLES
from accounts.permissions import needs_second_factor

LAST_ACTIVITY_KEY = "exhale_last_activity"
SIGNED_IN_AT_KEY = "exhale_signed_in_at"
# The last-activity time is written back at most this often, so that a run of page views does
# not write the session each time; the idle limit is therefore kept to within a minute.
ACTIVITY_RESOLUTION_SECONDS = 60


def activity_mark(session: SessionBase, now: int | None = None, *, signed_in: bool = False) -> None:
    now = int(time.time()) if now is None else now
    session[LAST_ACTIVITY_KEY] = now
    if signed_in or SIGNED_IN_AT_KEY not in session:
        session[SIGNED_IN_AT_KEY] = now


def idle_timeout_seconds(user) -> int:
    if user.role in STAFF_ROLES:
        return settings.SESSION_IDLE_TIMEOUT_STAFF
    return settings.SESSION_IDLE_TIMEOUT_PATIENT


def _spell(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes % 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


def idle_message(seconds: int) -> str:
    return (
        f"You were signed out because Exhale was not used for {_spell(seconds)}. This keeps "
        "your information private. Please sign in again."
    )


def lifetime_message(seconds: int) -> str:
    return (
        f"You were signed out because you signed in more than {_spell(seconds)} ago. This keeps "
        "your information private. Please sign in again."
    )


class SessionIdleTimeoutMiddleware:
    """A session ends after its idle limit, and after SESSION_COOKIE_AGE however busy.

    The session is flushed and the request carries on as anonymous: a page that needs login
    sends the browser to it (with a message saying why), the API answers 401, an htmx request
    sends the whole window to the login, and public pages (crisis help) still open.
    Goes after AuthenticationMiddleware, MessageMiddleware and HtmxMiddleware.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            session = request.session
            last = session.get(LAST_ACTIVITY_KEY)
            signed_in = session.get(SIGNED_IN_AT_KEY)
            idle_limit = idle_timeout_seconds(user)
            if last is not None and now - last > idle_limit:
                message = idle_message(idle_limit)
            elif signed_in is not None and now - signed_in > settings.SESSION_COOKIE_AGE:
                message = lifetime_message(settings.SESSION_COOKIE_AGE)
            else:
                message = None
                if last is None or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                    activity_mark(session, now)
            if message is not None:
                response = self._sign_out(request, message)
                if response is not None:
                    return response
        return self.get_response(request)

    @staticmethod
    def _sign_out(request: HttpRequest, message: str) -> HttpResponse | None:
        logout(request)
        if request.path.startswith("/api/"):
            return None  # DRF answers 401 to the now anonymous request
        messages.info(request, message)
        htmx = getattr(request, "htmx", None)
        if htmx:
            # A fragment must not be swapped for the login page: htmx sends the whole window.
            next_path = htmx.current_url_abs_path or "/"
            login = f"{reverse('account_login')}?{urlencode({'next': next_path}, safe='/')}"
            return HttpResponse(status=HTTPStatus.UNAUTHORIZED, headers={"HX-Redirect": login})
        return None


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
