"""Pages of adverse events: the care team records a readmission or a death of a patient in the
study; the trial team (admins) lists and assesses every event, by trial id only."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.decorators import role_required
from accounts.models import Role
from accounts.selectors import patient_get_for_staff
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from core.services import audit_record
from trials import followups_ui, permissions, selectors
from trials.forms_followups import (
    AdverseEventAssessForm,
    AdverseEventFilterForm,
    AdverseEventRecordForm,
)
from trials.services import adverse_events as services

PAGE_SIZE = 25


@role_required(Role.CLINICIAN)
def adverse_event_record_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A clinician records a readmission or a death of a patient on their caseload."""
    profile = patient_get_for_staff(
        user=request.user, patient_id=patient_id, request=request, purpose="adverse event"
    )
    participant = services.participant_for_events(patient=profile.user)
    if participant is None or not permissions.can_record_for(request.user, profile):
        raise Http404("This patient is not taking part in a study.")
    form = AdverseEventRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.adverse_event_record(
                patient=profile.user, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except StateConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Recorded. The trial manager has been told, as this is serious.")
            )
            return redirect(
                reverse("accounts:patient_detail", args=[profile.user_id]) + "#study-heading"
            )
    return render(
        request,
        "trials/adverse_events/record.html",
        {"profile": profile, "patient": profile.user, "participant": participant, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


def _trial_for_team(request: HttpRequest, slug: str):
    if not permissions.can_assess_adverse_events(request.user):
        raise Http404("No such trial.")
    return selectors.trial_get(slug=slug)


@role_required(Role.ADMIN)
def adverse_event_list_view(request: HttpRequest, slug: str) -> HttpResponse:
    trial = _trial_for_team(request, slug)
    filters = AdverseEventFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    events = followups_ui.adverse_events_for_trial(
        trial=trial,
        unassessed=bool(chosen.get("unassessed")),
        serious=bool(chosen.get("serious")),
    )
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = urlencode({key: "on" for key, value in chosen.items() if value})
    return render(
        request,
        "trials/adverse_events/list.html",
        {"trial": trial, "page": page, "filters": filters, "kept": kept},
    )


@role_required(Role.ADMIN)
def adverse_event_detail_view(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    trial = _trial_for_team(request, slug)
    event = followups_ui.adverse_event_for_trial(trial=trial, event_id=event_id)
    if request.method == "GET":
        # The clinician's description is part of the participant's record: reading it is audited.
        audit_record(
            actor=request.user,
            action="trial.adverse_event_viewed",
            subject=event.participant.patient,
            target=event,
            detail={"purpose": "adverse event assessment"},
            request=request,
        )
    initial = {
        field: getattr(event, field)
        for field in ("seriousness", "relatedness", "expectedness")
        if getattr(event, field) != "not_assessed"
    }
    form = AdverseEventAssessForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.adverse_event_assess(
                event=event, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except StateConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Assessment saved."))
            return redirect("trials:adverse_event_detail", trial.slug, event.pk)
    return render(
        request,
        "trials/adverse_events/detail.html",
        {"trial": trial, "event": event, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )
