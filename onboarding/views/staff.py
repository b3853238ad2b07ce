"""The care team's side of onboarding: a patient's progress, a reminder, and assisting them
through it on the staff member's screen with the patient present (an audited session). Staff
enter only what their role already may (accounts, safety and cessation permissions); consent,
the group name and joining a group stay the patient's own, on their own phone."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.models import PatientProfile, Role
from accounts.selectors import patient_get_for_staff
from cessation import selectors as cessation_selectors
from cessation.forms import QuitPlanForm
from cessation.permissions import can_edit_quit_plan, can_view_quit_data
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from onboarding import permissions, selectors, services
from onboarding.forms import AssistStartForm, BaselineForm, MarkDoneForm
from onboarding.models import AssistSession, Consent, ContentVersion
from onboarding.registry import steps
from onboarding.steps import (
    ABOUT_YOU,
    CONSENT,
    GROUPS,
    PRIVACY,
    QUIT_PLAN,
    SAFETY_PLAN,
    TOUR,
    WELCOME,
)
from onboarding.views.common import tour_context
from onboarding.views.journey import quit_plan_initial, safety_plan_rows
from peersupport.selectors import peer_member_for
from safety import selectors as safety_selectors
from safety.forms import SafetyPlanForm
from safety.permissions import can_edit_safety_plan

EXPLAINERS = {
    WELCOME: ContentVersion.Key.WELCOME,
    PRIVACY: ContentVersion.Key.PRIVACY_EASY,
}


def _patient(request: HttpRequest, patient_id: int, purpose: str) -> PatientProfile:
    """A patient of the staff member's care team, the read audited; anyone else is a 404."""
    return patient_get_for_staff(
        user=request.user, patient_id=patient_id, request=request, purpose=purpose
    )


@role_required(Role.CLINICIAN, Role.PEER)
def overview_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    profile = _patient(request, patient_id, "onboarding")
    return _overview(request, profile, AssistStartForm())


def _overview(
    request: HttpRequest, profile: PatientProfile, start_form, status: int = HTTPStatus.OK
) -> HttpResponse:
    patient = profile.user
    state = selectors.journey_state_for(patient=patient)
    return render(
        request,
        "onboarding/staff/overview.html",
        {
            "profile": profile,
            "patient": patient,
            "state": state,
            "baseline": selectors.baseline_for(patient=patient),
            "consents": list(selectors.consent_list(patient=patient)),
            "session": selectors.assist_session_open(staff=request.user, patient=patient),
            "start_form": start_form,
            "can_assist": permissions.can_assist(request.user, profile),
            "plan_written": not safety_selectors.safety_plan_for(patient=patient).is_empty,
            # Smoking and medicines are the clinicians' (cessation/permissions.py), not a peer's.
            "can_view_quit": can_view_quit_data(request.user, patient),
        },
        status=status,
    )


@role_required(Role.CLINICIAN, Role.PEER)
@require_POST
def assist_start_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    profile = _patient(request, patient_id, "onboarding assist")
    form = AssistStartForm(request.POST)
    if not form.is_valid():
        # Shown beside the box it is about, not at the top of a long page.
        return _overview(request, profile, form, HTTPStatus.BAD_REQUEST)
    try:
        services.assist_start(staff=request.user, patient=profile.user, request=request)
    except PermissionDenied as exc:
        raise Http404("No such patient in your care team.") from exc
    state = selectors.journey_state_for(patient=profile.user)
    key = state.current.key if state and state.current else WELCOME
    return redirect("onboarding:assist_step", patient_id=patient_id, step=key)


@role_required(Role.CLINICIAN, Role.PEER)
@require_POST
def assist_end_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    profile = _patient(request, patient_id, "onboarding assist")
    session = selectors.assist_session_open(staff=request.user, patient=profile.user)
    if session is not None:
        services.assist_end(session=session, by=request.user, request=request)
        messages.success(request, _("Assisted session ended."))
    return redirect("onboarding:staff_overview", patient_id=patient_id)


@role_required(Role.CLINICIAN, Role.PEER)
@require_POST
def reminder_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    profile = _patient(request, patient_id, "onboarding reminder")
    try:
        services.reminder_send(patient=profile.user, by=request.user, request=request)
    except StateConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Reminder sent, by notice and email."))
    return redirect("onboarding:staff_overview", patient_id=patient_id)


def _assisted(request: HttpRequest, patient_id: int) -> tuple[PatientProfile, AssistSession]:
    profile = _patient(request, patient_id, "onboarding assist")
    session = selectors.assist_session_open(staff=request.user, patient=profile.user)
    return profile, session


@role_required(Role.CLINICIAN, Role.PEER)
@require_http_methods(["GET", "POST"])
def assist_step_view(request: HttpRequest, patient_id: int, step: str) -> HttpResponse:
    """One step on the staff member's screen, shown to the patient beside them."""
    profile, session = _assisted(request, patient_id)
    if session is None:
        messages.info(request, _("Start an assisted session first, with the patient present."))
        return redirect("onboarding:staff_overview", patient_id=patient_id)
    if steps.get(step) is None:
        raise Http404("No such step.")
    patient = profile.user
    state = selectors.journey_state_for(patient=patient)
    status = state.status(step)
    if status is None:
        raise Http404("No such step.")
    if not status.reachable:
        current = state.current
        messages.info(
            request,
            _("“%(step)s” comes first. The steps go in order.") % {"step": current.step.title},
        )
        return redirect("onboarding:assist_step", patient_id=patient_id, step=current.key)

    form = None
    context: dict = {}
    if step in EXPLAINERS or step == TOUR:
        form = MarkDoneForm(request.POST or None)
        if step in EXPLAINERS:
            context["text"] = selectors.content_current(key=EXPLAINERS[step])
        else:
            stop = request.GET.get("stop")
            if stop is not None and stop not in services.TOUR_STOPS:
                raise Http404("No such part of the tour.")
            if stop:
                services.tour_stop_record(patient=patient, stop=stop)
            context.update(tour_context(patient, state, viewer=request.user, stop=stop))
    elif step == ABOUT_YOU:
        form = BaselineForm(
            request.POST or None,
            initial=BaselineForm.initial_from(selectors.baseline_for(patient=patient)),
        )
    elif step == SAFETY_PLAN and can_edit_safety_plan(request.user, patient):
        plan = safety_selectors.safety_plan_for(patient=patient)
        form = SafetyPlanForm(
            request.POST or None,
            initial={section["name"]: section["text"] for section in plan.sections()},
        )
        context["rows"] = safety_plan_rows(form)
    elif step == QUIT_PLAN and can_edit_quit_plan(request.user, patient):
        plan = cessation_selectors.quit_plan_for(patient=patient)
        form = QuitPlanForm(request.POST or None, initial=quit_plan_initial(patient, plan))
    elif step == CONSENT:
        context["consent"] = selectors.consent_active(patient=patient, kind=Consent.Kind.PROGRAMME)
    elif step == GROUPS:
        context["member"] = peer_member_for(user=patient)

    if request.method == "POST":
        if form is None:
            raise PermissionDenied("This step is the patient's own.")
        if form.is_valid():
            try:
                _assisted_save(request, session, patient, step, form)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            except services.StepNotReachable:
                messages.info(request, _("An earlier step is not done yet."))
            else:
                messages.success(request, _("“%(step)s” done.") % {"step": status.step.title})
                state = selectors.journey_state_for(patient=patient)
                if state.current is None:
                    return redirect("onboarding:staff_overview", patient_id=patient_id)
                return redirect(
                    "onboarding:assist_step", patient_id=patient_id, step=state.current.key
                )
    stop = context.get("stop")
    return render(
        request,
        f"onboarding/tour/{stop}.html" if stop else "onboarding/assist/step.html",
        {
            "profile": profile,
            "patient": patient,
            "session": session,
            "state": state,
            "status": status,
            "step": status.step,
            "form": form,
            "assist": True,
            **context,
        },
        status=HTTPStatus.BAD_REQUEST if form is not None and form.errors else HTTPStatus.OK,
    )


def _assisted_save(request, session: AssistSession, patient, step: str, form) -> None:
    by = request.user
    if step in EXPLAINERS:
        services.step_complete(patient=patient, step=step, by=by, assist=session)
    elif step == TOUR:
        services.tour_finish(patient=patient, by=by, assist=session)
    elif step == ABOUT_YOU:
        services.baseline_save(patient=patient, by=by, assist=session, **form.cleaned_data)
    elif step == SAFETY_PLAN:
        services.safety_plan_step_save(
            patient=patient, by=by, assist=session, sections=form.cleaned_data
        )
    elif step == QUIT_PLAN:
        services.quit_plan_step_save(
            patient=patient, by=by, assist=session, **form.service_kwargs()
        )
