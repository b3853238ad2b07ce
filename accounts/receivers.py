"""Where accounts listens to Django's and allauth's signals, for session security only.

STYLE prefers allauth's adapters to signals, but allauth has no adapter method for a second
factor being added, removed or reset, only signals; and a factor deleted in the Django admin
sends none of those, so a model signal covers every way a factor can go.
"""

from __future__ import annotations

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import signals as auth_signals
from django.contrib.auth import update_session_auth_hash
from django.core.cache import cache
from django.db.models.signals import post_delete

from accounts import services
from accounts.middleware import activity_mark
from accounts.models import User


def on_logged_in(sender, request, user, **kwargs) -> None:
    """The idle clock starts at login (accounts.middleware.SessionIdleTimeoutMiddleware)."""
    if request is not None and hasattr(request, "session"):
        activity_mark(request.session, signed_in=True)


def on_factor_added(sender, request, user, authenticator, **kwargs) -> None:
    services.user_sessions_end(user=user, reason=f"{authenticator.type}_added", request=request)


def on_factor_deleted(sender, instance: Authenticator, **kwargs) -> None:
    """Removed by the user, reset (recovery codes regenerated) or deleted by an admin: every
    session of the user ends. Their own, if they did it themselves, is kept by the allauth
    signal that follows (on_factor_changed_in_session)."""
    user = User.objects.filter(pk=instance.user_id).first()
    if user is not None:
        services.user_sessions_end(user=user, reason=f"{instance.type}_removed")


def on_factor_changed_in_session(sender, request, user, authenticator, **kwargs) -> None:
    """The user removed or reset a factor themselves: on_factor_deleted has already ended every
    session; this one, where they did it, carries on under a new key."""
    current = getattr(request, "user", None)
    if current is not None and current.is_authenticated and current.pk == user.pk:
        current.refresh_from_db(fields=["session_generation"])
        update_session_auth_hash(request, current)


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
    mfa_signals.authenticator_added.connect(on_factor_added, dispatch_uid="accounts.mfa_added")
    mfa_signals.authenticator_used.connect(on_factor_used, dispatch_uid="accounts.mfa_used")
    post_delete.connect(
        on_factor_deleted, sender=Authenticator, dispatch_uid="accounts.mfa_deleted"
    )
    for signal in (mfa_signals.authenticator_removed, mfa_signals.authenticator_reset):
        signal.connect(on_factor_changed_in_session, dispatch_uid=f"accounts.mfa_{id(signal)}")
