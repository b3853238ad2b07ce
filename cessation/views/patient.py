"""The patient's own quit-tracking pages: quit plan, daily check-in, when they are reminded to
check in, progress, craving help, self-reported CO readings and their medication list.

Each view resolves access, validates the form, calls one service and redirects. The services
say what is allowed; their ValidationErrors are shown next to the fields with a 400 status and
nothing saved.
"""

from __future__ import annotations

from datetime import date, timedelta
from http import HTTPStatus

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.models import Role, User
from cessation import selectors, services
from cessation.forms import (
    CheckInForm,
    COReadingForm,
    CravingForm,
    MedicationForm,
    QuitPlanForm,
    ScheduleForm,
)
from cessation.models import CheckIn, COReading, Medication
from core.forms import apply_form_errors

COMMON_MEDICATIONS = [
    "Clozapine",
    "Olanzapine",
    "Aripiprazole",
    "Chlorpromazine",
    "Haloperidol",
    "Quetiapine",
    "Risperidone",
    "Lithium",
    "Mirtazapine",
    "Sertraline",
]


def medication_note(patient: User) -> str:
    """What a patient on clozapine or olanzapine is told when they save a quit plan ("" when they
    take neither). Shown by the quit plan page and by onboarding's quit plan step."""
    medications = services.review_medications(patient)
    if not medications:
        return ""
    names = " and ".join(sorted({m.name.strip().capitalize() for m in medications}))
    return (
        f"You take {names}. When you stop smoking, the amount of it in your blood can go up. "
        "Your care team will check your medicine levels around your quit date. Please keep "
        "taking it as prescribed."
    )


def _invalid(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, context, status=HTTPStatus.BAD_REQUEST)


# --- Quit plan -----------------------------------------------------------------------------------


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def quit_plan_view(request: HttpRequest) -> HttpResponse:
    """Make or change the quit plan. A changed quit date is kept in the plan's history."""
    plan = selectors.quit_plan_for(patient=request.user)
    form = QuitPlanForm(request.POST or None, initial=QuitPlanForm.initial_from(plan))
    context = {"form": form, "plan": plan}
    if request.method == "POST":
        if form.is_valid():
            try:
                services.quit_plan_save(
                    patient=request.user, by=request.user, **form.service_kwargs()
                )
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, "Your quit plan is saved.")
                note = medication_note(request.user)
                if note:
                    messages.info(request, note)
                return redirect("cessation:progress")
        return _invalid(request, "cessation/patient/quit_plan.html", context)
    return render(request, "cessation/patient/quit_plan.html", context)


# --- Daily check-in ------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    """Where to go after saving, when a page of this site sent the person here (the onboarding
    tour's "Try it"); anything else is ignored."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _checkin_days(patient: User, today: date) -> tuple[list[dict], dict[date, CheckIn]]:
    """Today and the missed days that can still be filled in, with whether each is done, and
    the check-ins of those days (one query: a few rows). Days before the person joined Exhale
    are not "missed"."""
    allowed = services.checkin_allowed_days(patient, today=today)
    done = {c.day: c for c in selectors.checkins_for(patient=patient, since=allowed[-1])}
    # In the service's time zone: a day either way at most, and no query for the patient's own.
    joined = timezone.localtime(patient.date_joined).date()
    days = [
        {"day": day, "is_today": day == today, "done": day in done, "before_joined": day < joined}
        for day in allowed
    ]
    return days, done


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def checkin_view(request: HttpRequest, day: date | None = None) -> HttpResponse:
    """Today's check-in, or one of the last missed days. A day already checked in opens for
    changing: one check-in a day."""
    today = services.patient_today(request.user)
    days, checkins = _checkin_days(request.user, today)
    day = day or today
    if day not in {d["day"] for d in days}:
        return render(
            request,
            "cessation/patient/checkin_unavailable.html",
            {"day": day, "today": today, "days": days, "future": day > today},
            status=HTTPStatus.NOT_FOUND,
        )
    existing = checkins.get(day)
    form = CheckInForm(request.POST or None, initial=CheckInForm.initial_from(existing))
    context = {
        "form": form,
        "day": day,
        "today": today,
        "existing": existing,
        "missed": [d for d in days if not d["done"] and d["day"] != day and not d["before_joined"]],
        "backfill_days": settings.CESSATION_BACKFILL_DAYS,
        "next": _safe_next(request),
    }
    if request.method == "POST":
        if form.is_valid():
            try:
                result = services.checkin_submit(patient=request.user, day=day, **form.cleaned_data)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                if result.crisis:
                    return redirect("safety:crisis_support")
                plan = selectors.quit_plan_for(patient=request.user)
                messages.success(request, _thank_you(result.checkin, plan, existing is not None))
                if _withdrawal_note_applies(result.checkin, plan):
                    messages.info(request, WITHDRAWAL_NOTE)
                return redirect(context["next"] or "cessation:progress")
        return _invalid(request, "cessation/patient/checkin.html", context)
    return render(request, "cessation/patient/checkin.html", context)


def _thank_you(checkin, plan, changed: bool) -> str:
    text = "Your check-in is updated." if changed else "Thank you for checking in."
    if checkin.cigarettes and plan is not None and checkin.day >= plan.quit_date:
        text += (
            " You had a slip, and that is OK: many people do. Your days since quitting keep "
            "counting. Try again tomorrow, and use Craving now when it gets hard."
        )
    return text


# Nicotine withdrawal: irritability, low mood and poor sleep are common in the first weeks after
# stopping and usually ease within 2 to 4 weeks. Said to the patient so that an expected rough
# patch is not read as failing; it is words only, and never changes what the check-in flags.
WITHDRAWAL_WEEKS = 4
WITHDRAWAL_MOOD_AT_OR_BELOW = 4
WITHDRAWAL_CRAVING_AT_OR_ABOVE = 7
WITHDRAWAL_SLEEP = {CheckIn.Sleep.POORLY, CheckIn.Sleep.HARDLY}
WITHDRAWAL_NOTE = (
    "Feeling irritable or low, and sleeping badly, are common in the first few weeks after "
    "stopping smoking. They usually pass within 2 to 4 weeks. If you feel worse, or you are "
    "worried, tell your care team, or use Get help now at the top of the page."
)


def _withdrawal_note_applies(checkin: CheckIn, plan) -> bool:
    """A check-in in the first 4 weeks from the quit date with low mood, poor sleep or strong
    cravings."""
    if plan is None:
        return False
    if not plan.quit_date <= checkin.day < plan.quit_date + timedelta(weeks=WITHDRAWAL_WEEKS):
        return False
    return (
        checkin.mood <= WITHDRAWAL_MOOD_AT_OR_BELOW
        or checkin.sleep in WITHDRAWAL_SLEEP
        or checkin.craving >= WITHDRAWAL_CRAVING_AT_OR_ABOVE
    )


# --- Check-in reminders --------------------------------------------------------------------------


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def schedule_view(request: HttpRequest) -> HttpResponse:
    """When the patient is reminded to check in: every day or once a week, at which times, more
    often in the first weeks after leaving hospital. Quiet hours are shown; the care team sets
    them."""
    overview = selectors.schedule_overview_for(patient=request.user)
    form = ScheduleForm(
        request.POST or None,
        schedule=overview.schedule,
        for_patient=True,
        early=overview.early_until is not None,
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.schedule_update(
                    patient=request.user, by=request.user, **form.service_kwargs()
                )
            except ValidationError as exc:
                form.apply_service_errors(exc)
            else:
                messages.success(request, "Saved. Your reminders now go at the times below.")
                return redirect("cessation:schedule")
        return _invalid(
            request, "cessation/patient/schedule.html", {"form": form, "overview": overview}
        )
    return render(request, "cessation/patient/schedule.html", {"form": form, "overview": overview})


# --- Progress ------------------------------------------------------------------------------------


@role_required(Role.PATIENT)
def progress_view(request: HttpRequest) -> HttpResponse:
    """Days since the quit date, money saved, the Russell Standard, charts, health timeline."""
    dashboard = selectors.dashboard_for(patient=request.user)
    return render(request, "cessation/patient/progress.html", {"dashboard": dashboard})


# --- Craving now ---------------------------------------------------------------------------------


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def craving_view(request: HttpRequest) -> HttpResponse:
    """Help with a craving now: breathing, distractions, their own reasons, and a quick log."""
    form = CravingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.craving_log(patient=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, "Logged. Cravings pass, usually within a few minutes.")
            return redirect("cessation:craving")
    context = {"form": form, "plan": selectors.quit_plan_for(patient=request.user)}
    if form.errors:
        return _invalid(request, "cessation/patient/craving.html", context)
    return render(request, "cessation/patient/craving.html", context)


# --- CO readings ---------------------------------------------------------------------------------


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def co_readings_view(request: HttpRequest) -> HttpResponse:
    """The patient's CO readings, and a form to add one they took themselves."""
    today = services.patient_today(request.user)
    form = COReadingForm(request.POST or None, today=today)
    if request.method == "POST" and form.is_valid():
        try:
            reading = services.co_reading_record(
                patient=request.user, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request,
                f"Saved: {reading.ppm} ppm."
                + (" Under 10 ppm: well done." if reading.ppm < 10 else ""),
            )
            return redirect("cessation:co_readings")
    page = Paginator(
        COReading.objects.filter(patient=request.user)
        .select_related("recorded_by")
        .order_by("-taken_on", "-id"),
        20,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "cessation/patient/co_readings.html",
        {"form": form, "page": page},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


# --- Medications ---------------------------------------------------------------------------------


def _medication_own(*, user: User, medication_id: int) -> Medication:
    """One of the patient's own medications; anyone else's is a 404."""
    medication = Medication.objects.filter(pk=medication_id, patient=user).first()
    if medication is None:
        raise Http404("No such medication on your list.")
    return medication


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def medications_view(request: HttpRequest) -> HttpResponse:
    """The patient's medicines, and why clozapine and olanzapine matter when stopping smoking."""
    form = MedicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            medication = services.medication_add(
                patient=request.user, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            text = f"{medication.name} is added to your list."
            if medication.needs_review_on_quitting:
                text += " Your care team will check your medicine levels while you stop smoking."
            messages.success(request, text)
            return redirect("cessation:medications")
    return render(
        request,
        "cessation/patient/medications.html",
        {
            "form": form,
            "medications": selectors.medications_for(patient=request.user),
            "common_medications": COMMON_MEDICATIONS,
            "review_names": [name.capitalize() for name in settings.CESSATION_REVIEW_MEDICATIONS],
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.PATIENT)
@require_POST
def medication_stop_view(request: HttpRequest, medication_id: int) -> HttpResponse:
    medication = _medication_own(user=request.user, medication_id=medication_id)
    services.medication_stop(medication=medication, by=request.user)
    messages.success(
        request, f"{medication.name} is marked as stopped. Tell your care team if you have not."
    )
    return redirect("cessation:medications")
