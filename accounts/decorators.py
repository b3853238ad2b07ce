"""View decorators built on the roles: every app's pages use them."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def role_required(*roles: str):
    """Logged in (else the login page) and one of `roles` (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied("This page is not for your role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
