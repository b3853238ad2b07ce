"""Where accounts listens to Django's and allauth's signals, for session security only (and to
forget the request's kept answer to "has a second factor?" when a factor changes).

STYLE prefers allauth's adapters to signals, but allauth has no adapter method for a second
factor being added, removed or reset; its own signals for those are sent after commit and not
at all when an admin deletes a factor in the Django admin. The model's signals cover every way,
within the request that makes the change (allauth's AccountMiddleware keeps it at hand).
"""

from __future__ import annotations

from allauth.core import context as allauth_context
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import signals as auth_signals
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from accounts import permissions, services
from accounts.middleware import activity_mark
from accounts.models import User


def on_logged_in(sender, request, user, **kwargs) -> None:
    """The idle clock starts at login (accounts.middleware.SessionIdleTimeoutMiddleware)."""
    if request is not None and hasattr(request, "session"):
        activity_mark(request.session, signed_in=True)


def on_factor_saved(sender, instance: Authenticator, created: bool, **kwargs) -> None:
    """A factor set up in a web request. Outside one (the demo seed, a test's factory) the
    owner has just been created and has no session to end."""
    permissions.second_factor_forget(instance.user_id)
    request = allauth_context.request
    if created and request is not None:
        _factor_changed(instance, "added", request)


def on_factor_deleted(sender, instance: Authenticator, **kwargs) -> None:
    permissions.second_factor_forget(instance.user_id)
    _factor_changed(instance, "removed", allauth_context.request)


def _factor_changed(authenticator: Authenticator, change: str, request) -> None:
    """Every session of the factor's owner ends; the request making the change carries on if it
    is the owner's own (accounts.services.user_sessions_end). Once per request is enough:
    regenerating recovery codes deletes one set and makes another."""
    done = getattr(request, "_exhale_sessions_ended", set()) if request is not None else set()
    if authenticator.user_id in done:
        return
    user = User.objects.filter(pk=authenticator.user_id).first()
    if user is None:
        return
    services.user_sessions_end(user=user, reason=f"{authenticator.type}_{change}", request=request)
    if request is not None:
        request._exhale_sessions_ended = done | {user.pk}


def totp_code_lifetime() -> int:
    """Seconds a TOTP code is accepted for: its own period and the tolerance either side."""
    return (2 * mfa_settings.TOTP_TOLERANCE + 1) * mfa_settings.TOTP_PERIOD


def on_factor_used(sender, request, user, authenticator, **kwargs) -> None:
    """allauth marks a used TOTP code in the cache for one period (30 s), but with a tolerance
    of one period either side the code is accepted for 90 s: someone who saw it could replay
    it in the last minute. Keep the mark as long as the code is valid."""
    code = request.POST.get("code", "") if request is not None else ""
    if authenticator.type == Authenticator.Type.TOTP and code:
        cache.set(TOTP(authenticator)._get_used_cache_key(code), "y", timeout=totp_code_lifetime())


def connect() -> None:
    auth_signals.user_logged_in.connect(on_logged_in, dispatch_uid="accounts.idle_clock")
    mfa_signals.authenticator_used.connect(on_factor_used, dispatch_uid="accounts.mfa_used")
    post_save.connect(on_factor_saved, sender=Authenticator, dispatch_uid="accounts.mfa_saved")
    post_delete.connect(
        on_factor_deleted, sender=Authenticator, dispatch_uid="accounts.mfa_deleted"
    )
