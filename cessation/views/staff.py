"""The care team's quit-tracking pages: actions from the patient page (CO readings, medications),
the quit plan edited with the patient, when the patient is reminded to check in, and approval of
the health-improvement timeline.

The patient page itself belongs to accounts; cessation adds its section there (sections.py). Its
forms post here. A form sent with a mistake comes back on a small page of its own with the
message next to the field (status 400), so the clinician sees exactly what to correct and
nothing is saved; a saved change goes back to the patient page with a message.
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.models import Role, User
from cessation import selectors, services
from cessation.forms import COReadingForm, MedicationForm, QuitPlanForm, ScheduleForm
from cessation.models import COReading, HealthBenefit, Medication, QuitPlan
from core.forms import apply_form_errors

SECTION_ANCHOR = "quit-tracking"


def _back_to_patient(patient: User) -> HttpResponse:
    url = reverse("accounts:patient_detail", kwargs={"patient_id": patient.pk})
    return redirect(f"{url}#{SECTION_ANCHOR}")


def _form_page(request, *, patient, form, title: str, action: str, button: str, intro: str = ""):
    return render(
        request,
        "cessation/staff/action_form.html",
        {
            "patient": patient,
            "form": form,
            "title": title,
            "action": action,
            "button": button,
            "intro": intro,
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def co_reading_create_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record an expired-CO reading taken in clinic."""
    patient = selectors.patient_for_staff(user=request.user, patient_id=patient_id, request=request)
    form = COReadingForm(request.POST or None, today=services.patient_today(patient))
    if request.method == "POST" and form.is_valid():
        try:
            reading = services.co_reading_record(
                patient=patient, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _co_message(reading))
            return _back_to_patient(patient)
    return _form_page(
        request,
        patient=patient,
        form=form,
        title="Record a CO reading",
        action=reverse("cessation_staff:co_reading_create", args=[patient.pk]),
        button="Record reading",
    )


def _co_message(reading: COReading) -> str:
    verdict = (
        "under 10 ppm, which supports abstinence"
        if reading.ppm < 10
        else "10 ppm or more, which suggests recent smoking"
    )
    return f"CO reading of {reading.ppm} ppm on {reading.taken_on:%-d %B %Y} recorded: {verdict}."


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def medication_create_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record a medication whose levels change when smoking stops (or any the team wants listed)."""
    patient = selectors.patient_for_staff(user=request.user, patient_id=patient_id, request=request)
    form = MedicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            medication = services.medication_add(
                patient=patient, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _medication_message(medication))
            return _back_to_patient(patient)
    return _form_page(
        request,
        patient=patient,
        form=form,
        title="Add a medication",
        action=reverse("cessation_staff:medication_create", args=[patient.pk]),
        button="Add medication",
        intro="Record medications whose blood levels change when smoking stops or restarts.",
    )


def _medication_message(medication: Medication) -> str:
    text = f"{medication.name} added."
    if not medication.needs_review_on_quitting:
        return text
    plan = selectors.quit_plan_for(patient=medication.patient)
    if plan is not None and plan.medication_review_state in (
        QuitPlan.MedicationReviewState.DATE_SET,
        QuitPlan.MedicationReviewState.STOPPED,
    ):
        return (
            f"{text} They are stopping smoking, so a medication-review flag is now in your "
            "queue: check levels at baseline and about a week after quitting."
        )
    return (
        f"{text} Smoking changes its levels: you will get a medication-review flag when they set "
        "a quit date, stop or cut right down, or start smoking again."
    )


@role_required(Role.CLINICIAN)
@require_POST
def medication_stop_view(request: HttpRequest, patient_id: int, medication_id: int) -> HttpResponse:
    """Mark a medication as stopped (it stays in the list, with the date)."""
    patient = selectors.patient_for_staff(user=request.user, patient_id=patient_id, request=request)
    medication = get_object_or_404(Medication, pk=medication_id, patient=patient)
    if medication.stopped_on is not None:
        messages.info(request, f"{medication.name} was already marked as stopped.")
    else:
        services.medication_stop(medication=medication, by=request.user)
        messages.success(request, f"{medication.name} marked as stopped today.")
    return _back_to_patient(patient)


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def quit_plan_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Set or change a patient's quit plan with them (the same form and rules as theirs)."""
    patient = selectors.patient_for_staff(user=request.user, patient_id=patient_id, request=request)
    plan = selectors.quit_plan_for(patient=patient)
    form = QuitPlanForm(request.POST or None, initial=QuitPlanForm.initial_from(plan))
    if request.method == "POST" and form.is_valid():
        try:
            services.quit_plan_save(patient=patient, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, f"Quit plan saved for {patient.display_name}.")
            return _back_to_patient(patient)
    return render(
        request,
        "cessation/staff/quit_plan_form.html",
        {"patient": patient, "plan": plan, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def schedule_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    """When a patient is reminded to check in, changed with them: the patient's own form plus
    quiet hours, which only the care team changes."""
    patient = selectors.patient_for_staff(user=request.user, patient_id=patient_id, request=request)
    overview = selectors.schedule_overview_for(patient=patient)
    form = ScheduleForm(
        request.POST or None,
        schedule=overview.schedule,
        for_patient=False,
        early=overview.early_until is not None,
        quiet_editable=True,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_update(patient=patient, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.apply_service_errors(exc)
        else:
            messages.success(request, f"Check-in reminders saved for {patient.display_name}.")
            return _back_to_patient(patient)
    return render(
        request,
        "cessation/staff/schedule.html",
        {"patient": patient, "overview": overview, "form": form},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def health_content_view(request: HttpRequest) -> HttpResponse:
    """The health-improvement timeline patients see, and its approval by a clinician."""
    if request.method == "POST":
        count = services.health_benefits_approve(by=request.user)
        messages.success(
            request,
            f"You approved the {count} entries of the health timeline. Patients now see "
            f"“approved by {request.user.full_name}” with today's date.",
        )
        return redirect("cessation_staff:health_content")
    benefits = list(HealthBenefit.objects.select_related("approved_by"))
    return render(
        request,
        "cessation/staff/health_content.html",
        {
            "benefits": benefits,
            "all_approved": bool(benefits) and all(b.approved_at for b in benefits),
        },
    )
