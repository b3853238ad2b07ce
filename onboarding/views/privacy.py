"""The privacy explainer, easy read and in full, reachable from every page (and before logging
in); past versions of the texts, for the consents that point at them; the patient's consents,
with withdrawing and agreeing again."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from accounts.models import Role
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from onboarding import selectors, services
from onboarding.forms import ConsentForm, WithdrawForm
from onboarding.models import Consent, ContentVersion

PUBLIC_KEYS = set(ContentVersion.Key.values)


def privacy_view(request: HttpRequest) -> HttpResponse:
    """Your data, in plain words. Public: it says nothing about anyone."""
    return render(
        request,
        "onboarding/privacy.html",
        {"text": selectors.content_current(key=ContentVersion.Key.PRIVACY_EASY), "full": False},
    )


def privacy_full_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "onboarding/privacy.html",
        {"text": selectors.content_current(key=ContentVersion.Key.PRIVACY_FULL), "full": True},
    )


def content_version_view(request: HttpRequest, key: str, version: int) -> HttpResponse:
    """One published version of a text, current or past: what a consent agreed to."""
    text = selectors.content_version_get(key=key, version=version) if key in PUBLIC_KEYS else None
    if text is None:
        raise Http404("No such text.")
    current = selectors.content_current(key=key)
    return render(
        request,
        "onboarding/content_version.html",
        {
            "text": text,
            "current": current,
            "versions": selectors.content_versions_published(key=key),
        },
    )


@role_required(Role.PATIENT)
def consents_view(request: HttpRequest) -> HttpResponse:
    """What the patient has agreed to, when, to which words; withdraw or agree again."""
    consents = list(selectors.consent_list(patient=request.user))
    active = {c.kind: c for c in consents if c.is_active}
    kinds = [
        {
            "kind": kind,
            "label": label,
            "active": active.get(kind),
            "current_text": selectors.content_current(key=selectors.CONSENT_TEXT_KEYS[kind]),
        }
        for kind, label in Consent.Kind.choices
    ]
    return render(
        request,
        "onboarding/consents.html",
        {
            "kinds": [k for k in kinds if k["active"] or k["kind"] == Consent.Kind.PROGRAMME],
            "history": consents,
            # Taking part since before Exhale asked for agreement on screen: not "withdrawn".
            "joined_before_agreements": not consents
            and selectors.programme_open_to(patient=request.user),
            # Still setting up: they have not agreed yet, they did not stop.
            "setting_up": not consents
            and selectors.journey_state_for(patient=request.user) is not None,
        },
    )


def _kind_or_404(kind: str) -> str:
    if kind not in Consent.Kind.values:
        raise Http404("No such consent.")
    return kind


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def consent_withdraw_view(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind_or_404(kind)
    consent = selectors.consent_active(patient=request.user, kind=kind)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(
                patient=request.user,
                by=request.user,
                kind=kind,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except StateConflict as exc:
            messages.info(request, str(exc))
            return redirect("onboarding:consents")
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            if kind == Consent.Kind.PROGRAMME:
                messages.success(
                    request,
                    _(
                        "You have left the Exhale programme. Your care team has been told. "
                        "“Get help now” still works, and you can rejoin at any time."
                    ),
                )
            else:
                messages.success(request, _("You have withdrawn from the study."))
            return redirect("onboarding:consents")
    if consent is None and request.method == "GET":
        messages.info(request, _("You have not agreed to this, or you already withdrew."))
        return redirect("onboarding:consents")
    return render(
        request,
        "onboarding/consent_withdraw.html",
        {"form": form, "consent": consent, "kind": kind},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def consent_again_view(request: HttpRequest, kind: str) -> HttpResponse:
    """Agree (again) to the current words: after withdrawing, or when the words changed."""
    kind = _kind_or_404(kind)
    text = selectors.content_current(key=selectors.CONSENT_TEXT_KEYS[kind])
    if text is None:
        raise Http404("No such text.")
    form = ConsentForm(request.POST or None, initial={"version": text.version})
    stale = False
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_give(
                patient=request.user,
                by=request.user,
                kind=kind,
                version=form.cleaned_data["version"],
                request=request,
            )
        except services.StaleText as exc:
            text, stale = exc.current, True
            form = ConsentForm(initial={"version": exc.current.version})
        except StateConflict as exc:
            # Still on the first steps of onboarding: agreeing comes after them.
            messages.info(request, str(exc))
            return redirect("onboarding:start")
        else:
            messages.success(request, _("Thank you. Your agreement is recorded."))
            return redirect("onboarding:consents")
    status = HTTPStatus.CONFLICT if stale else HTTPStatus.BAD_REQUEST if form.errors else 200
    return render(
        request,
        "onboarding/consent_again.html",
        {"form": form, "text": text, "kind": kind, "stale": stale},
        status=status,
    )
