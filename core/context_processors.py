"""Template context every page needs: the unread-notice count for the header."""

from __future__ import annotations

from django.http import HttpRequest


def exhale(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    from core.selectors import notification_unread_count

    return {"unread_notifications": notification_unread_count(recipient=user)}
