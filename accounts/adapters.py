"""allauth adapter: no open sign-up (access is by invitation), role-aware redirects."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")

    def set_password(self, user, password: str) -> None:
        """Password changes and resets also revoke the user's API tokens: whoever knew the old
        password may have made one."""
        from accounts.services import api_tokens_revoke_all

        super().set_password(user, password)
        api_tokens_revoke_all(user=user, reason="password_changed")


def user_display(user) -> str:
    """How allauth names a user in its messages ("Signed in as …"): the name Exhale uses on
    screen, never the database label."""
    return user.display_name
