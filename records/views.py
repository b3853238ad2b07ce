"""The subject-access page (admins, with a second factor, like every staff page): choose why,
then download one person's data as a ZIP. The download answers the form's POST and is written
to the audit log before the first byte. Anyone else gets 404, as if the person did not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from core.services import audit_record
from records import permissions
from records.forms import SubjectAccessForm
from records.services.subject_access import (
    subject_access_build,
    subject_access_record,
    subject_access_request,
)

OPENED = "records.subject_access_opened"


@login_required
@require_http_methods(["GET", "POST"])
def subject_access_view(request: HttpRequest, user_id: int) -> HttpResponse:
    if not permissions.can_export_subject_access(request.user):
        raise Http404("No such page.")
    person = get_object_or_404(User, pk=user_id)
    form = SubjectAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # Audited before the first byte: the row commits with this call, whatever follows.
        subject_access_record(
            person=person, by=request.user, purpose=form.cleaned_data["purpose"], request=request
        )
        stamp = timezone.localdate().isoformat()
        response = FileResponse(
            subject_access_build(person=person),
            as_attachment=True,
            filename=f"exhale_subject_access_{person.pk}_{stamp}.zip",
            content_type="application/zip",
        )
        add_never_cache_headers(response)
        return response
    if request.method == "GET":
        audit_record(actor=request.user, action=OPENED, subject=person, request=request)
    response = render(
        request,
        "records/subject_access.html",
        {"person": person, "form": form},
        status=400 if request.method == "POST" else 200,
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def subject_access_ask_view(request: HttpRequest) -> HttpResponse:
    """Anybody asks for a copy of their own data, from their account page."""
    subject_access_request(person=request.user, request=request)
    messages.success(
        request, _("You asked for a copy of your data. The team will send it within one month.")
    )
    return redirect("accounts:account")
