"""Pages of safety: crisis help for everybody, the safety plan, and clinicians' flag triage."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.models import Role
from accounts.selectors import patient_get_for_staff
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from safety import permissions, selectors, services
from safety.forms import (
    ConcernForm,
    FlagHandOverForm,
    FlagNoteForm,
    FlagResolveForm,
    OnCallForm,
    SafetyPlanForm,
)
from safety.models import Flag
from safety.selectors import crisis_resource_list


def crisis_view(request: HttpRequest) -> HttpResponse:
    """Get help now. Public, no login, no second factor, and works with the database down."""
    plan = None
    user = request.user
    if user.is_authenticated and user.role == Role.PATIENT:
        try:
            plan = selectors.safety_plan_for(patient=user)
        except Exception:  # this page must render whatever else is failing
            plan = None
    return render(
        request, "safety/crisis.html", {"resources": crisis_resource_list(), "plan": plan}
    )


@role_required(Role.PATIENT)
def crisis_support_view(request: HttpRequest) -> HttpResponse:
    """Shown at once after a patient writes something that sounds like a crisis: a calm
    message, their own safety plan, the crisis resources, and that their care team knows."""
    recent = timezone.now() - timedelta(hours=24)
    team_told = Flag.objects.filter(
        patient=request.user, status__in=Flag.ACTIVE_STATUSES, last_signal_at__gte=recent
    ).exists()
    return render(
        request,
        "safety/crisis_support.html",
        {
            "resources": crisis_resource_list(),
            "plan": selectors.safety_plan_for(patient=request.user),
            "team_told": team_told,
        },
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def safety_plan_view(request: HttpRequest) -> HttpResponse:
    """The patient's own safety plan."""
    return _safety_plan_edit(request, patient=request.user, own=True)


@role_required(Role.CLINICIAN, Role.PEER)
@require_http_methods(["GET", "POST"])
def patient_safety_plan_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A patient's safety plan for their care team: clinicians edit it with them, peers read."""
    patient = selectors.patient_for_safety_plan(
        user=request.user, patient_id=patient_id, request=request
    )
    if not permissions.can_edit_safety_plan(request.user, patient):
        if request.method == "POST":
            return HttpResponse(status=HTTPStatus.FORBIDDEN)
        return render(
            request,
            "safety/safety_plan_read.html",
            {"patient": patient, "plan": selectors.safety_plan_for(patient=patient)},
        )
    return _safety_plan_edit(request, patient=patient, own=False)


def _safety_plan_edit(request: HttpRequest, *, patient, own: bool) -> HttpResponse:
    plan = selectors.safety_plan_for(patient=patient)
    initial = {section["name"]: section["text"] for section in plan.sections()}
    form = SafetyPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.safety_plan_update(
                patient=patient, by=request.user, sections=form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, "Safety plan saved.")
            if own:
                return redirect("safety:safety_plan")
            return redirect("safety:patient_safety_plan", patient_id=patient.pk)
    return render(
        request,
        "safety/safety_plan_form.html",
        {"form": form, "plan": plan, "patient": patient, "own": own},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.CLINICIAN)
def flag_queue_view(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.flag_queue_for(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "safety/flag_queue.html",
        {
            "page": page,
            "now": timezone.now(),
            "on_call": selectors.clinician_is_on_call(user=request.user),
            "resolved": selectors.flag_recently_resolved_for(user=request.user)[:10],
        },
    )


@role_required(Role.CLINICIAN)
def flag_detail_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = selectors.flag_get_for_staff(user=request.user, flag_id=flag_id, request=request)
    return _flag_page(request, flag)


def _flag_page(request, flag, *, forms=None, status=HTTPStatus.OK) -> HttpResponse:
    forms = forms or {}
    context = {
        "flag": flag,
        "now": timezone.now(),
        "note_form": forms.get("note") or FlagNoteForm(),
        "resolve_form": forms.get("resolve") or FlagResolveForm(),
        "hand_over_form": forms.get("hand_over")
        or FlagHandOverForm(clinicians=selectors.active_clinicians().exclude(pk=request.user.pk)),
        **selectors.flag_detail_context(flag=flag),
    }
    return render(request, "safety/flag_detail.html", context, status=status)


def _flag_action(request, flag_id: int, action, *, form_name: str | None = None, form=None):
    flag = selectors.flag_get_for_staff(user=request.user, flag_id=flag_id, request=request)
    if form is not None and not form.is_valid():
        return _flag_page(request, flag, forms={form_name: form}, status=HTTPStatus.BAD_REQUEST)
    try:
        message = action(flag, form.cleaned_data if form is not None else {})
    except StateConflict as exc:
        messages.error(request, exc.message)
        return redirect(flag.get_absolute_url())
    except ValidationError as exc:
        apply_form_errors(form, exc)
        return _flag_page(request, flag, forms={form_name: form}, status=HTTPStatus.BAD_REQUEST)
    messages.success(request, message)
    return redirect(flag.get_absolute_url())


@role_required(Role.CLINICIAN)
@require_POST
def flag_acknowledge_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    def act(flag, data):
        services.flag_acknowledge(flag=flag, by=request.user)
        return "Acknowledged. The deadline no longer applies; resolve it when you are done."

    return _flag_action(request, flag_id, act)


@role_required(Role.CLINICIAN)
@require_POST
def flag_note_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    def act(flag, data):
        services.flag_note_add(
            flag=flag, by=request.user, note=data["note"], contact_made=data["contact_made"]
        )
        return "Contact recorded." if data["contact_made"] else "Note added."

    return _flag_action(request, flag_id, act, form_name="note", form=FlagNoteForm(request.POST))


@role_required(Role.CLINICIAN)
@require_POST
def flag_resolve_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    def act(flag, data):
        services.flag_resolve(
            flag=flag, by=request.user, outcome=data["outcome"], note=data["note"]
        )
        return "Flag resolved."

    return _flag_action(
        request, flag_id, act, form_name="resolve", form=FlagResolveForm(request.POST)
    )


@role_required(Role.CLINICIAN)
@require_POST
def flag_hand_over_view(request: HttpRequest, flag_id: int) -> HttpResponse:
    def act(flag, data):
        services.flag_hand_over(flag=flag, by=request.user, to=data["to"], note=data["note"])
        return f"Handed over to {data['to'].full_name}. They have been told."

    form = FlagHandOverForm(
        request.POST, clinicians=selectors.active_clinicians().exclude(pk=request.user.pk)
    )
    return _flag_action(request, flag_id, act, form_name="hand_over", form=form)


@role_required(Role.CLINICIAN)
@require_POST
def on_call_view(request: HttpRequest) -> HttpResponse:
    form = OnCallForm(request.POST)
    on_call = form.is_valid() and form.cleaned_data["on_call"]
    services.on_call_set(clinician=request.user, on_call=on_call, by=request.user)
    messages.success(
        request,
        "You are on call: flags nobody acknowledges in time will come to you."
        if on_call
        else "You are no longer on call.",
    )
    return redirect("safety:flag_queue")


@role_required(Role.CLINICIAN, Role.PEER)
@require_http_methods(["GET", "POST"])
def concern_create_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A peer specialist or clinician hands a worry to the patient's clinician."""
    profile = patient_get_for_staff(
        user=request.user, patient_id=patient_id, request=request, purpose="concern"
    )
    form = ConcernForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_raise_concern(patient=profile.user, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request,
                "Thank you. Their clinician has been told and must respond by the deadline. If "
                "someone is in danger now, call 999.",
            )
            return redirect("accounts:patient_detail", patient_id=patient_id)
    return render(
        request,
        "safety/concern_form.html",
        {"form": form, "patient": profile.user},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.ADMIN)
def safety_overview_view(request: HttpRequest) -> HttpResponse:
    return render(request, "safety/overview.html", {"overview": selectors.safety_overview()})
