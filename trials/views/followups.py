"""Pages of follow-ups: the participant's questions (both arms, only their own, only while
open), and the research team recording answers by phone and CO readings."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.decorators import role_required
from accounts.models import Role
from accounts.selectors import patient_get_for_staff
from core.exceptions import StateConflict
from core.forms import apply_form_errors
from core.services import audit_record
from trials import followups_ui
from trials.forms_followups import FollowUpAnswerForm, StaffFollowUpForm
from trials.models import FollowUp
from trials.services import followups as services


@role_required(Role.PATIENT)
def followup_answer_view(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = followups_ui.followup_for_patient(patient=request.user, followup_id=followup_id)
    if followup.status == FollowUp.Status.COMPLETED and request.method != "POST":
        return redirect("trials:followup_thanks", followup.pk)
    if followup.status != FollowUp.Status.OPEN:
        return render(
            request,
            "trials/followups/not_open.html",
            {"followup": followup},
            status=HTTPStatus.CONFLICT if request.method == "POST" else HTTPStatus.OK,
        )
    since = services.smoking_counted_from(followup)
    form = FollowUpAnswerForm(request.POST or None, since=since)
    if request.method == "POST" and form.is_valid():
        try:
            services.followup_answer(
                followup=followup, by=request.user, answers=form.answers(), request=request
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except StateConflict as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("trials:followup_thanks", followup.pk)
    return render(
        request,
        "trials/followups/answer.html",
        {"followup": followup, "form": form, "since": since},
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


@role_required(Role.PATIENT)
def followup_thanks_view(request: HttpRequest, followup_id: int) -> HttpResponse:
    followup = followups_ui.followup_for_patient(patient=request.user, followup_id=followup_id)
    if followup.status != FollowUp.Status.COMPLETED:
        return redirect("trials:followup_answer", followup.pk)
    return render(request, "trials/followups/thanks.html", {"followup": followup})


def _audited_participant(request: HttpRequest, participant_id: int):
    participant = followups_ui.participant_for_recording(
        user=request.user, participant_id=participant_id
    )
    if request.user.role == Role.CLINICIAN:
        # The care team's read of a patient goes through the audited selector (404 outside it).
        patient_get_for_staff(
            user=request.user,
            patient_id=participant.patient_id,
            request=request,
            purpose="trial follow-up",
        )
    else:
        audit_record(
            actor=request.user,
            action="trial.participant_viewed",
            subject=participant.patient,
            target=participant,
            detail={"purpose": "follow-up"},
            request=request,
        )
    return participant


@role_required(Role.CLINICIAN, Role.ADMIN)
def followup_record_view(request: HttpRequest, participant_id: int) -> HttpResponse:
    """Record a participant's follow-up at a time point: answers by phone, a CO reading."""
    participant = _audited_participant(request, participant_id)
    form = StaffFollowUpForm(request.POST or None, trial=participant.trial)
    if request.method == "POST" and form.is_valid():
        try:
            followup = services.followup_record(
                participant=participant,
                point=form.point_obj(),
                by=request.user,
                answers=form.staff_answers(),
                co_ppm=form.cleaned_data.get("co_ppm"),
                co_taken_on=form.cleaned_data.get("co_taken_on"),
                request=request,
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        except StateConflict as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Saved: %(point)s for participant %(study_id)s.")
                % {"point": followup.point.label, "study_id": participant.study_id},
            )
            if request.user.role == Role.CLINICIAN and request.POST.get("back") == "patient":
                return redirect(
                    reverse("accounts:patient_detail", args=[participant.patient_id])
                    + "#study-heading"
                )
            return redirect("trials:followup_record", participant.pk)
    return render(
        request,
        "trials/followups/record.html",
        {
            "participant": participant,
            "followups": followups_ui.followups_of_participant(participant),
            "form": form,
            "show_name": request.user.role == Role.CLINICIAN,
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )
