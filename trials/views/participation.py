"""Pages of taking part in the trial: the patient's study page and the study's step of their
first steps ("The study": agree or "No thanks"); the screening log (clinicians and trial
managers); enrolment from the patient's page (their clinician); the trial team's list of
participants, withdrawals and allocation notes. No page shows the allocation sequence.
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from accounts.models import PatientProfile, Role
from accounts.selectors import patient_get_for_staff
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from core.services import audit_record
from onboarding import selectors as onboarding_selectors
from onboarding import services as onboarding_services
from onboarding.models import Consent, ContentVersion
from onboarding.registry import steps
from onboarding.steps import TRIAL_CONSENT
from onboarding.views.common import step_context
from onboarding.views.journey import next_url
from trials import gate, permissions, selectors
from trials.forms import (
    AllocationNoteForm,
    EnrolForm,
    ScreeningForm,
    StudyAnswerForm,
    WithdrawalForm,
)
from trials.models import Allocation, Participant, ScreeningEntry, Trial, Withdrawal
from trials.services import participation as services


def _posted(request: HttpRequest):
    """The form's data when posted, even an empty form (an empty POST is still a POST)."""
    return request.POST if request.method == "POST" else None


# --- The patient ---------------------------------------------------------------------------------


def followups_for(patient) -> tuple[bool, list]:
    """The follow-up questionnaires due, from the follow-ups part when it is there."""
    try:
        from trials.followups_ui import due_for_patient
    except ImportError:
        return False, []
    return True, list(due_for_patient(patient))


@role_required(Role.PATIENT)
def study_view(request: HttpRequest) -> HttpResponse:
    """The patient's study: where they stand in plain words, their group after randomisation,
    their follow-up questions, and how to stop taking part."""
    participant = selectors.participant_current(patient=request.user)
    has_followups, followups = followups_for(request.user) if participant else (False, [])
    consent = onboarding_selectors.consent_active(patient=request.user, kind=Consent.Kind.TRIAL)
    return render(
        request,
        "trials/participation/study.html",
        {
            "participant": participant,
            "allocation": getattr(participant, "allocation", None) if participant else None,
            "has_followups": has_followups,
            "followups": followups,
            "consent": consent,
            "invited": participant is not None and gate.consent_step_applies(request.user),
            "study_only": gate.study_only(request.user),
        },
    )


def _consent_page(request, *, state, text, form, participant, existing, stale=False, status=200):
    context = {
        "text": text,
        "form": form,
        "participant": participant,
        "existing": existing,
        "stale": stale,
        "frame": "onboarding/step_base.html" if state else "trials/participation/_frame.html",
        "step": steps.get(TRIAL_CONSENT),
    }
    if state is not None:
        context.update(step_context(state, TRIAL_CONSENT))
    return render(request, "trials/participation/consent.html", context, status=status)


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
def consent_view(request: HttpRequest) -> HttpResponse:
    """ "The study": the words of the study consent, "I agree to take part in the study" and
    "No thanks". Either answer completes the step; agreeing records the consent to the exact
    version read (changed words are shown again, as onboarding does)."""
    patient = request.user
    if not gate.consent_step_applies(patient):
        messages.info(request, _("There is no study for you to answer at the moment."))
        return redirect("home")
    try:
        state = onboarding_services.step_open(patient=patient, step=TRIAL_CONSENT)
    except onboarding_services.NoJourney:
        state = None  # joined before onboarding: the study is offered on this page alone
    except onboarding_services.StepNotReachable as exc:
        if exc.first_open is None:
            raise Http404("No such step.") from exc
        messages.info(
            request,
            _("Let's finish “%(step)s” first. The steps go in order.")
            % {"step": steps.get(exc.first_open).title},
        )
        return redirect(steps.get(exc.first_open).url_name)
    text = onboarding_selectors.content_current(key=ContentVersion.Key.CONSENT_TRIAL)
    participant = selectors.participant_current(patient=patient)
    existing = onboarding_selectors.consent_active(patient=patient, kind=Consent.Kind.TRIAL)
    form = StudyAnswerForm(_posted(request), initial={"version": text.version if text else None})
    page = {"state": state, "text": text, "participant": participant, "existing": existing}
    if request.method == "POST" and form.is_valid():
        answer = form.cleaned_data["answer"]
        try:
            with transaction.atomic():
                if answer == StudyAnswerForm.AGREE:
                    onboarding_services.consent_give(
                        patient=patient,
                        by=patient,
                        kind=Consent.Kind.TRIAL,
                        version=form.cleaned_data["version"],
                        request=request,
                    )
                else:
                    services.participant_decline(patient=patient, by=patient, request=request)
                if state is not None:
                    onboarding_services.step_complete(
                        patient=patient,
                        step=TRIAL_CONSENT,
                        by=patient,
                        detail={
                            "answer": "agreed" if answer == StudyAnswerForm.AGREE else "declined"
                        },
                    )
        except onboarding_services.StaleText as exc:
            return _consent_page(
                request,
                **{**page, "text": exc.current},
                form=StudyAnswerForm(initial={"version": exc.current.version}),
                stale=True,
                status=HTTPStatus.CONFLICT,
            )
        except StateConflict as exc:
            messages.error(request, str(exc))
            return redirect("trials:study")
        if answer == StudyAnswerForm.AGREE:
            messages.success(request, _("Thank you for agreeing to take part in the study."))
        else:
            messages.info(
                request, _("That is fine. You carry on with Exhale as usual, without the study.")
            )
        if state is not None:
            return redirect(next_url(onboarding_selectors.journey_state_for(patient=patient)))
        return redirect("trials:study")
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    return _consent_page(request, **page, form=form, status=status)


def patient_home_section(request: HttpRequest, profile: PatientProfile | None) -> str:
    """On the patient's home page: an invitation to answer the study (when onboarding's own
    card does not carry them there), or a way to their study page."""
    state = gate.study_state(request.user)
    if not state.consent_step and not state.study_only:
        return ""  # no query for everybody who is not in a study
    participant = selectors.participant_current(patient=request.user)
    if participant is None:
        return ""
    invite = False
    if participant.status == Participant.Status.ENROLLED:  # the journey only matters then
        journey = onboarding_selectors.journey_state_for(patient=request.user)
        invite = journey is None or journey.current is None or journey.current.key != TRIAL_CONSENT
    return render_to_string(
        "trials/participation/_patient_home.html",
        {"participant": participant, "invite": invite},
        request=request,
    )


# --- The care team: enrolment --------------------------------------------------------------------


def staff_patient_section(request: HttpRequest, profile: PatientProfile) -> str:
    """On the care team's page of a patient: their study status (and group once randomised,
    as this open trial does not blind care staff), or the way to offer them the study."""
    if not request.user.is_clinician or not gate.trials_running()[1]:
        return ""  # no query while no trial recruits or follows people up
    participant = selectors.participant_current(patient=profile.user)
    trial = selectors.trial_recruiting()
    if participant is None and trial is None:
        return ""
    return render_to_string(
        "trials/participation/_staff_patient.html",
        {
            "participant": participant,
            "allocation": getattr(participant, "allocation", None) if participant else None,
            "trial": trial,
            "profile": profile,
            "can_enrol": participant is None
            and trial is not None
            and permissions.can_enrol(request.user, profile)
            and profile.programme_status != PatientProfile.ProgrammeStatus.WITHDRAWN,
            "form": EnrolForm(),
        },
        request=request,
    )


@role_required(Role.CLINICIAN)
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    profile = patient_get_for_staff(
        user=request.user, patient_id=patient_id, request=request, purpose="trial enrolment"
    )
    trial = selectors.trial_recruiting()
    form = EnrolForm(_posted(request))
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            try:
                services.participant_enrol(
                    trial=trial,
                    profile=profile,
                    by=request.user,
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_form_errors(form, exc)
            except StateConflict as exc:
                messages.error(request, str(exc))
                return redirect("accounts:patient_detail", patient_id)
            else:
                messages.success(
                    request,
                    _(
                        "Study offered. %(name)s will see “The study” in their first steps, "
                        "where they can agree or say no thanks."
                    )
                    % {"name": profile.user.display_name},
                )
                return redirect("accounts:patient_detail", patient_id)
        status = HTTPStatus.BAD_REQUEST
    return render(
        request,
        "trials/participation/enrol.html",
        {"form": form, "profile": profile, "trial": trial},
        status=status,
    )


# --- Screening log -------------------------------------------------------------------------------


def screening_counts(trial: Trial) -> list[dict]:
    """Counts by outcome and reason for the whole trial, in one query."""
    rows = (
        ScreeningEntry.objects.filter(trial=trial)
        .values("outcome", "reason")
        .annotate(n=Count("id"))
        .order_by("outcome", "reason")
    )
    outcome_labels = dict(ScreeningEntry.Outcome.choices)
    reason_labels = dict(ScreeningEntry.Reason.choices)
    by_outcome: dict[str, dict] = {}
    for row in rows:
        group = by_outcome.setdefault(
            row["outcome"],
            {"outcome": outcome_labels.get(row["outcome"], row["outcome"]), "n": 0, "reasons": []},
        )
        group["n"] += row["n"]
        if row["reason"]:
            group["reasons"].append(
                {"reason": reason_labels.get(row["reason"], row["reason"]), "n": row["n"]}
            )
    return [by_outcome[key] for key in ScreeningEntry.Outcome.values if key in by_outcome]


@role_required(Role.CLINICIAN, Role.ADMIN)
@require_http_methods(["GET", "POST"])
def screening_view(request: HttpRequest) -> HttpResponse:
    """The screening log: people approached who do not take part, counted with a reason and no
    identifiers. Everyone sees the trial's counts; a clinician lists only their own entries."""
    trial = selectors.trial_recruiting()
    form = ScreeningForm(_posted(request), initial={"screened_on": timezone.localdate()})
    status = HTTPStatus.OK
    if request.method == "POST":
        if trial is None:
            messages.error(request, _("No study is recruiting at the moment."))
            return redirect("trials:screening")
        if form.is_valid():
            try:
                services.screening_record(
                    trial=trial, by=request.user, request=request, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("Recorded. Thank you."))
                return redirect("trials:screening")
        status = HTTPStatus.BAD_REQUEST
    page = None
    if trial is not None:
        entries = ScreeningEntry.objects.filter(trial=trial).order_by("-screened_on", "-pk")
        if not request.user.is_admin:
            entries = entries.filter(recorded_by=request.user)
        page = Paginator(entries, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "trials/participation/screening.html",
        {
            "trial": trial,
            "form": form,
            "counts": screening_counts(trial) if trial else [],
            "page": page,
            "mine_only": not request.user.is_admin,
        },
        status=status,
    )


# --- The trial team ------------------------------------------------------------------------------


def _participant_for_manager(slug: str, participant_id: int) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("trial", "allocation__arm", "patient"),
        trial__slug=slug,
        pk=participant_id,
    )


@role_required(Role.ADMIN)
def participation_list_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Participants by trial id (never by name): status, group, withdrawals; where the trial
    team records a withdrawal and annotates an allocation."""
    trial = selectors.trial_get(slug=slug)
    participants = (
        Participant.objects.filter(trial=trial)
        .select_related("allocation__arm")
        .prefetch_related("withdrawals")
        .order_by("enrolled_at", "pk")
    )
    page = Paginator(participants, 50).get_page(request.GET.get("page"))
    return render(
        request, "trials/participation/participant_list.html", {"trial": trial, "page": page}
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def participant_withdraw_view(request: HttpRequest, slug: str, participant_id: int) -> HttpResponse:
    participant = _participant_for_manager(slug, participant_id)
    form = WithdrawalForm(_posted(request))
    status = HTTPStatus.OK
    if request.method == "POST":
        if form.is_valid():
            try:
                services.participant_withdraw(
                    participant=participant,
                    by=request.user,
                    source=Withdrawal.Source.STAFF,
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                apply_form_errors(form, exc)
            except StateConflict as exc:
                form.add_error(None, str(exc))
                status = HTTPStatus.CONFLICT
            else:
                messages.success(request, _("Withdrawal recorded."))
                return redirect("trials:participation_list", slug)
        if status == HTTPStatus.OK:
            status = HTTPStatus.BAD_REQUEST
    return render(
        request,
        "trials/participation/withdraw.html",
        {"participant": participant, "form": form, "trial": participant.trial},
        status=status,
    )


@role_required(Role.ADMIN)
@require_http_methods(["GET", "POST"])
def allocation_note_view(request: HttpRequest, slug: str, participant_id: int) -> HttpResponse:
    participant = _participant_for_manager(slug, participant_id)
    allocation = Allocation.objects.filter(participant=participant).select_related("arm").first()
    if allocation is None:
        raise Http404("This participant has not been randomised.")
    form = AllocationNoteForm(_posted(request))
    status = HTTPStatus.OK
    if request.method == "GET":
        # Notes about an allocation are part of the participant's record: reading them is audited.
        audit_record(
            actor=request.user,
            action="trial.allocation_notes_viewed",
            subject=participant.patient,
            target=allocation,
            detail={"purpose": "allocation notes"},
            request=request,
        )
    if request.method == "POST":
        if form.is_valid():
            try:
                services.allocation_annotate(
                    allocation=allocation, by=request.user, text=form.cleaned_data["text"]
                )
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("Note added."))
                return redirect("trials:allocation_note", slug, participant.pk)
        status = HTTPStatus.BAD_REQUEST
    return render(
        request,
        "trials/participation/allocation_note.html",
        {
            "participant": participant,
            "allocation": allocation,
            "notes": allocation.notes.select_related("author"),
            "form": form,
            "trial": participant.trial,
        },
        status=status,
    )
