"""Response headers that neither Django nor django-csp set: Permissions-Policy,
Cross-Origin-Opener-Policy, and no-store on every page that may show personal data. And pages
compressed for the browsers that ask.

The Content-Security-Policy comes from django-csp (CONTENT_SECURITY_POLICY in config/settings.py).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import add_never_cache_headers

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Anonymous pages under these prefixes still concern one account (an email address in a
# confirmation or login-code page, a password-reset key in the URL): never kept either.
PRIVATE_PREFIXES = ("/accounts/",)


def _is_private(request: HttpRequest) -> bool:
    """A response for a logged-in user (session, or an API token: DRF sets request.user) or in
    an account flow. Public pages (landing, help, crisis resources, static files) stay cacheable."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return request.path.startswith(PRIVATE_PREFIXES)


class SecurityHeadersMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Decided before the view too: a logout answers for a user who was logged in.
        private = _is_private(request)
        response = self.get_response(request)
        if private or _is_private(request):
            # Neither the browser's cache nor a proxy keeps a copy, so the Back button on a
            # shared computer does not bring a patient's record back after logging out.
            add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class PageGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, with its padding against BREACH (random bytes in each answer,
    "Heal The Breach"), for HTML pages only: what a patient's phone loads, where a page of a
    thread (the opening post and 20 replies) is 54 KB of markup and 5 KB gzipped. The API's
    answers (25 items a page) and downloads (streamed exports, archives already zipped) go as
    they are."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
