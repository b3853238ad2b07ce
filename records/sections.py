"""What records adds to the pages of accounts (registered in RecordsConfig.ready())."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from records import permissions
from records.services import subject_access


def account_section(request: HttpRequest, user) -> str:
    """Anybody's own account page: ask for a copy of your data."""
    return render_to_string(
        "records/sections/account.html",
        {"open_request": subject_access.subject_access_request_open_for(user)},
        request=request,
    )


def admin_home_section(request: HttpRequest, user) -> str:
    """The admin's home page: requests for a copy waiting for an answer (account ids only)."""
    if not permissions.can_export_subject_access(user):
        return ""
    requests = list(subject_access.subject_access_requests_open()[:50])
    return render_to_string(
        "records/sections/admin_home.html", {"requests": requests}, request=request
    )
