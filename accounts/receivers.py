"""Where accounts listens to Django's and allauth's signals, for session security only.

STYLE prefers allauth's adapters to signals, but allauth has no adapter method for a second
factor being added, removed or reset, only signals; and a factor deleted in the Django admin
sends none of those, so a model signal covers every way a factor can go.
"""

from __future__ import annotations

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth import signals as auth_signals
from django.contrib.auth import update_session_auth_hash
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


def connect() -> None:
    auth_signals.user_logged_in.connect(on_logged_in, dispatch_uid="accounts.idle_clock")
    mfa_signals.authenticator_added.connect(on_factor_added, dispatch_uid="accounts.mfa_added")
    post_delete.connect(
        on_factor_deleted, sender=Authenticator, dispatch_uid="accounts.mfa_deleted"
    )
    for signal in (mfa_signals.authenticator_removed, mfa_signals.authenticator_reset):
        signal.connect(on_factor_changed_in_session, dispatch_uid=f"accounts.mfa_{id(signal)}")
