"""Template context every page needs: the unread-notice count for the header."""

from __future__ import annotations

from django.http import HttpRequest

# A page's sections are rendered with the request too (accounts/sections.py), and every such
# render runs the context processors: the count is worked out once per request, not per section
# (the clinician's page about a patient counted it five times).
_UNREAD_ATTR = "_exhale_unread_notifications"


def exhale(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    unread = getattr(request, _UNREAD_ATTR, None)
    if unread is None:
        from core.selectors import notification_unread_count

        unread = notification_unread_count(recipient=user)
        setattr(request, _UNREAD_ATTR, unread)
    return {"unread_notifications": unread}
