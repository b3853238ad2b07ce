"""Pages of accounts: each role's home, the caseload, invitations, the account page."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import permissions, sections, selectors, services
from accounts.decorators import role_required
from accounts.forms import (
    ApiTokenForm,
    InvitationAcceptForm,
    PatientInvitationForm,
    StaffInvitationForm,
)
from accounts.models import Invitation, Role
from core.exceptions import StateConflict
from core.forms import apply_form_errors

ROLE_HOMES = {
    Role.PATIENT: "accounts:patient_home",
    Role.CLINICIAN: "accounts:clinician_home",
    Role.PEER: "accounts:peer_home",
    Role.ADMIN: "accounts:admin_home",
}


def home_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(ROLE_HOMES[request.user.role])
    return render(request, "accounts/landing.html")


@role_required(Role.PATIENT)
def patient_home_view(request: HttpRequest) -> HttpResponse:
    profile = selectors.patient_profile_own(user=request.user)
    return render(
        request,
        "accounts/patient_home.html",
        {"profile": profile, "sections": sections.patient_home.render(request, profile)},
    )


@role_required(Role.CLINICIAN)
def clinician_home_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.caseload_list(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    open_invitations = list(
        selectors.invitation_list_for(user=request.user).filter(
            accepted_at__isnull=True, revoked_at__isnull=True
        )[:10]
    )
    return render(
        request,
        "accounts/clinician_home.html",
        {
            "page": page,
            "open_invitations": open_invitations,
            "columns": _caseload_columns(request, page),
        },
    )


def _caseload_columns(request: HttpRequest, page) -> dict:
    """The columns the apps above add to the caseload table: headings, and each row's cells."""
    profiles = list(page.object_list)
    columns = sections.caseload_columns.render(request, profiles)
    return {
        "headings": [heading for heading, _cells in columns],
        "rows": [
            {"profile": p, "cells": [cells.get(p.user_id, "") for _heading, cells in columns]}
            for p in profiles
        ],
    }


@role_required(Role.PEER)
def peer_home_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.caseload_list(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/peer_home.html",
        {
            "page": page,
            "sections": sections.peer_home.render(request, request.user),
            "columns": _caseload_columns(request, page),
        },
    )


@role_required(Role.ADMIN)
def admin_home_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.staff_list(), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/admin_home.html",
        {"page": page, "sections": sections.admin_home.render(request, request.user)},
    )


@role_required(Role.CLINICIAN, Role.PEER)
def patient_detail_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    profile = selectors.patient_get_for_staff(
        user=request.user, patient_id=patient_id, request=request
    )
    return render(
        request,
        "accounts/patient_detail.html",
        {
            "profile": profile,
            "patient": profile.user,
            "show_contact": permissions.can_see_patient_contact_details(request.user, profile),
            "sections": sections.staff_patient_page.render(request, profile),
        },
    )


@role_required(Role.CLINICIAN, Role.ADMIN)
def invitation_list_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.invitation_list_for(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/invitation_list.html", {"page": page})


@role_required(Role.CLINICIAN, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def patient_invitation_create_view(request: HttpRequest) -> HttpResponse:
    form = PatientInvitationForm(request.POST or None, inviter=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                invited_by=request.user, role=Role.PATIENT, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email}. The link works once and expires in "
                f"{settings.INVITATION_EXPIRY_DAYS} days.",
            )
            return redirect("accounts:invitation_list")
    return render(
        request,
        "accounts/invitation_form.html",
        {"form": form, "title": "Invite a patient", "kind": "patient"},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def staff_invitation_create_view(request: HttpRequest) -> HttpResponse:
    form = StaffInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(invited_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:invitation_list")
    return render(
        request,
        "accounts/invitation_form.html",
        {"form": form, "title": "Invite a staff member", "kind": "staff"},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.CLINICIAN, Role.ADMIN)
@require_POST
def invitation_revoke_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_manager(
        user=request.user, invitation_id=invitation_id
    )
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Invitation revoked. Its link no longer works.")
    return redirect("accounts:invitation_list")


@role_required(Role.CLINICIAN, Role.ADMIN)
@require_POST
def invitation_resend_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_manager(
        user=request.user, invitation_id=invitation_id
    )
    try:
        services.invitation_resend(invitation=invitation, by=request.user)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "A new link is on its way. The old link no longer works.")
    return redirect("accounts:invitation_list")


UNAVAILABLE_MESSAGES = {
    Invitation.Status.ACCEPTED: (
        "This invitation has already been used",
        "Your account is set up. Log in with your email address.",
    ),
    Invitation.Status.REVOKED: (
        "This invitation has been cancelled",
        "Please ask your care team for a new invitation.",
    ),
    Invitation.Status.EXPIRED: (
        "This invitation has expired",
        "Invitation links only work for a limited time. Please ask your care team to send "
        "you a new one.",
    ),
}


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    if request.user.is_authenticated:
        messages.info(request, "You are already logged in. Log out first to accept an invitation.")
        return redirect("home")
    try:
        invitation = services.invitation_get_by_token(token=token)
    except services.InvitationNotFound:
        return _invitation_problem(
            request,
            "This invitation link does not work",
            "Check that you copied the whole link from the email, or ask your care team to "
            "send a new one.",
            HTTPStatus.NOT_FOUND,
        )
    except services.InvitationUnavailable as exc:
        return _invitation_problem(request, *UNAVAILABLE_MESSAGES[exc.status], HTTPStatus.GONE)

    form = InvitationAcceptForm(
        request.POST or None, email=invitation.email, full_name=invitation.full_name
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                preferred_name=form.cleaned_data["preferred_name"],
            )
        except services.InvitationUnavailable as exc:
            return _invitation_problem(request, *UNAVAILABLE_MESSAGES[exc.status], HTTPStatus.GONE)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Exhale. Your account is ready.")
        return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


def _invitation_problem(request, title: str, text: str, status: int) -> HttpResponse:
    return render(
        request, "accounts/invitation_problem.html", {"title": title, "text": text}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_view(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        form = ApiTokenForm() if new_key else form
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": selectors.api_token_list(user=request.user)[:20],
            "has_second_factor": permissions.has_second_factor(request.user),
            "sections": sections.account_page.render(request, request.user),
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get_for_owner(user=request.user, token_id=token_id)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, "Token revoked.")
    return redirect("accounts:account")
