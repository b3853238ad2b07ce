"""Reads of follow-ups and adverse events for pages and the API, and the follow-up section of the
care team's page about a patient (accounts.sections.staff_patient_page)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string

from accounts.models import PatientProfile, Role
from trials import permissions
from trials.forms_followups import StaffFollowUpForm
from trials.models import AdverseEvent, FollowUp, Participant, Trial
from trials.services.adverse_events import participant_for_events


def _followups() -> QuerySet[FollowUp]:
    return FollowUp.objects.select_related("point", "participant__trial")


def due_for_patient(patient) -> list[FollowUp]:
    """The patient's follow-ups open now (both arms), soonest closing first."""
    return list(
        _followups()
        .filter(participant__patient=patient, status=FollowUp.Status.OPEN)
        .exclude(participant__trial__status=Trial.Status.CLOSED)
        .order_by("window_closes_on", "pk")
    )


def followups_of_patient(patient) -> QuerySet[FollowUp]:
    """All of the patient's own follow-ups, in the order they fall due."""
    return _followups().filter(participant__patient=patient).order_by("due_on", "pk")


def followup_for_patient(*, patient, followup_id: int) -> FollowUp:
    """One of the patient's own follow-ups; 404 for anybody else's."""
    followup = followups_of_patient(patient).filter(pk=followup_id).first()
    if followup is None:
        raise Http404("No such follow-up.")
    return followup


def followups_of_participant(participant: Participant) -> list[FollowUp]:
    return list(
        FollowUp.objects.select_related("point")
        .filter(participant=participant)
        .order_by("point__order", "due_on", "pk")
    )


def participant_for_recording(*, user, participant_id: int) -> Participant:
    """A participant the user may record follow-ups for (their clinician, or an admin); 404
    otherwise, never 403, so that nobody learns who takes part."""
    participant = (
        Participant.objects.select_related("trial", "patient__patient_profile", "allocation__arm")
        .filter(pk=participant_id)
        .first()
    )
    profile = getattr(participant.patient, "patient_profile", None) if participant else None
    if profile is None or not permissions.can_record_for(user, profile):
        raise Http404("No such participant.")
    return participant


def adverse_events_for_trial(
    *, trial: Trial, unassessed: bool = False, serious: bool = False
) -> QuerySet[AdverseEvent]:
    events = AdverseEvent.objects.select_related("participant").filter(participant__trial=trial)
    if unassessed:
        events = events.filter(assessed_at__isnull=True)
    if serious:
        events = events.filter(seriousness__in=AdverseEvent.SERIOUS)
    return events.order_by("-occurred_on", "-pk")


def adverse_event_for_trial(*, trial: Trial, event_id: int) -> AdverseEvent:
    event = (
        AdverseEvent.objects.select_related("participant", "assessed_by", "reported_by")
        .filter(participant__trial=trial, pk=event_id)
        .first()
    )
    if event is None:
        raise Http404("No such adverse event.")
    return event


def staff_patient_section(request: HttpRequest, profile: PatientProfile) -> str:
    """The patient's study follow-ups and adverse events, for their clinician: each time point's
    window and status, a form to record answers (by phone) and a CO reading, and the way to
    record a readmission or a death."""
    if request.user.role != Role.CLINICIAN or not permissions.can_record_for(request.user, profile):
        return ""
    participant = participant_for_events(patient=profile.user)
    if participant is None:
        return ""
    followups = followups_of_participant(participant)
    events = list(
        participant.adverse_events.filter(
            source__in=(AdverseEvent.Source.READMISSION, AdverseEvent.Source.DEATH)
        )
        .order_by("-occurred_on", "-pk")
        .only("source", "occurred_on", "seriousness")[:10]
    )
    form = StaffFollowUpForm(trial=participant.trial) if followups else None
    return render_to_string(
        "trials/followups/_staff_section.html",
        {
            "participant": participant,
            "followups": followups,
            "form": form,
            "events": events,
            "profile": profile,
        },
        request=request,
    )


def admin_home_section(request: HttpRequest, user) -> str:
    """Adverse events waiting for the trial team's assessment, per open trial (one query)."""
    if not permissions.can_assess_adverse_events(user):
        return ""
    trials = list(
        Trial.objects.exclude(status=Trial.Status.SETUP)
        .annotate(
            unassessed=Count(
                "participants__adverse_events",
                filter=Q(participants__adverse_events__assessed_at__isnull=True),
            )
        )
        .filter(unassessed__gt=0)
        .order_by("-created_at")
    )
    if not trials:
        return ""
    return render_to_string(
        "trials/adverse_events/_admin_home.html", {"trials": trials}, request=request
    )
