"""Template helpers of onboarding: an admin-edited text rendered from its easy-read markup."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from onboarding import markup

register = template.Library()


@register.filter
def easy_read(body: str) -> SafeString:
    # markup.render escapes every character of the text it is given.
    return mark_safe(markup.render(body or ""))  # noqa: S308
