"""The peer specialist's count of open outreach tasks, for the header of every page."""

from __future__ import annotations

from django import template

from accounts.models import Role
from cessation.models import OutreachTask

register = template.Library()


@register.simple_tag
def outreach_open_count(user) -> int:
    """How many people the peer is asked to reach out to: one indexed count (peer, status)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.PEER:
        return 0
    return OutreachTask.objects.filter(peer=user, status=OutreachTask.Status.OPEN).count()
