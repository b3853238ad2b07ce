"""Adverse events of the trial: from safety flags of high or critical severity (a sweep every
minute: safety has no hook to call, and must not import trials), and from hospital readmissions
and deaths the care team records. The trial team assesses seriousness, relatedness and
expectedness; a serious event tells the trial manager at once, once.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from core.exceptions import StateConflict
from core.services import audit_record, notification_send
from safety.models import SEVERITY_RANK, Flag, Severity
from trials import permissions
from trials.models import AdverseEvent, Participant, Trial, Withdrawal
from trials.selectors import trial_managers
from trials.services.followups import followups_stop

logger = logging.getLogger(__name__)

# Participants whose flags become adverse events (those who have agreed to the study).
FROM_FLAGS_STATUSES = (Participant.Status.CONSENTED, Participant.Status.RANDOMISED)
# Participants for whom the care team records readmissions and deaths.
RECORDING_STATUSES = (
    Participant.Status.CONSENTED,
    Participant.Status.RANDOMISED,
    Participant.Status.WITHDRAWN,
)
MAX_DESCRIPTION = 2000
KIND_SAE = "trial_serious_adverse_event"


def _flag_participants():
    return Participant.objects.filter(
        status__in=(*FROM_FLAGS_STATUSES, Participant.Status.WITHDRAWN),
        consented_at__isnull=False,
    ).exclude(trial__status=Trial.Status.CLOSED)


def _in_study_at(participant: Participant, moment: datetime) -> bool:
    """Whether the participant had agreed to the study, and not yet withdrawn, at `moment`:
    nothing before their consent or after their withdrawal is collected."""
    return participant.consented_at <= moment and (
        participant.withdrawn_at is None or participant.withdrawn_at > moment
    )


def adverse_events_from_flags(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Every flag of high or critical severity raised for a participant while they took part
    (after agreeing to the study, before any withdrawal) becomes an adverse event (not yet
    assessed). Idempotent: one event per flag (the database holds that), so two sweeps at once
    create each event once. Returns how many."""
    pending = (
        Flag.objects.filter(severity_rank__gte=SEVERITY_RANK[Severity.HIGH])
        .filter(
            Exists(
                _flag_participants()
                .filter(patient=OuterRef("patient"), consented_at__lte=OuterRef("created_at"))
                .exclude(withdrawn_at__lte=OuterRef("created_at"))
            )
        )
        .exclude(Exists(AdverseEvent.objects.filter(flag=OuterRef("pk"))))
        .order_by("pk")
    )
    created, last = 0, 0
    while True:
        flags = list(pending.filter(pk__gt=last)[:batch_size])
        if not flags:
            return created
        last = flags[-1].pk
        participants: dict[int, list[Participant]] = {}
        for participant in _flag_participants().filter(
            patient_id__in={flag.patient_id for flag in flags}
        ):
            participants.setdefault(participant.patient_id, []).append(participant)
        for flag in flags:
            eligible = [
                p for p in participants.get(flag.patient_id, []) if _in_study_at(p, flag.created_at)
            ]
            if not eligible:
                continue
            participant = max(eligible, key=lambda p: p.enrolled_at)
            if _event_from_flag(participant, flag):
                created += 1


def _event_from_flag(participant: Participant, flag: Flag) -> bool:
    try:
        with transaction.atomic():
            event = AdverseEvent.objects.create(
                participant=participant,
                source=AdverseEvent.Source.FLAG,
                flag=flag,
                category=flag.category,
                occurred_on=timezone.localtime(flag.created_at).date(),
            )
            audit_record(
                actor=None,
                action="adverse_event.created",
                subject=participant.patient,
                target=event,
                detail={"source": event.source, "category": flag.category, "flag": flag.pk},
            )
    except IntegrityError:
        return False  # another sweep made it a moment ago
    return True


def participant_for_events(*, patient: User) -> Participant | None:
    """The participation the care team records readmissions and deaths against: the newest of
    a trial that has not closed, once the patient has agreed (and not withdrawn all consent)."""
    return (
        Participant.objects.select_related("trial")
        .filter(patient=patient, status__in=RECORDING_STATUSES)
        .exclude(trial__status=Trial.Status.CLOSED)
        .exclude(
            status=Participant.Status.WITHDRAWN,
            withdrawals__level=Withdrawal.Level.ALL,
        )
        .order_by("-enrolled_at")
        .first()
    )


def sae_recipients(trial: Trial) -> list[User]:
    """Who hears of a serious adverse event (trials.selectors.trial_managers)."""
    return trial_managers(trial)


def _sae_notify(event: AdverseEvent, now: datetime) -> bool:
    """Tell the trial manager of a serious event at once, once (the caller holds the row)."""
    if event.sae_notified_at is not None or not event.is_serious:
        return False
    trial = event.participant.trial
    for recipient in sae_recipients(trial):
        notification_send(
            recipient=recipient,
            kind=KIND_SAE,
            # The title goes by email: nothing about who or what.
            title=_("A serious adverse event needs your review"),
            body=_(
                "Participant %(study_id)s in %(trial)s: %(source)s on %(date)s "
                "(%(seriousness)s). Please review and assess it."
            )
            % {
                "study_id": event.participant.study_id,
                "trial": trial.name,
                "source": event.get_source_display().lower(),
                "date": date_format(event.occurred_on, "j F Y"),
                "seriousness": event.get_seriousness_display().lower(),
            },
            url=reverse("trials:adverse_event_detail", args=[trial.slug, event.pk]),
            urgent=True,
        )
    event.sae_notified_at = now
    event.save(update_fields=["sae_notified_at", "updated_at"])
    audit_record(
        actor=None,
        action="adverse_event.sae_notified",
        subject=event.participant.patient,
        target=event,
        detail={"trial": trial.pk},
    )
    return True


@transaction.atomic
def adverse_event_record(
    *,
    patient: User,
    by: User,
    source: str,
    occurred_on: date,
    description: str = "",
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> AdverseEvent:
    """The care team records a hospital readmission or a death of a participant. Both are
    serious: the trial manager is told at once. After a death, follow-up stops (no
    questionnaire or reminder goes to the person's account)."""
    now = now or timezone.now()
    profile = PatientProfile.objects.filter(user=patient).first()
    if profile is None or not permissions.can_record_for(by, profile):
        raise PermissionDenied("Only the patient's clinician or the trial team records this.")
    seriousness = {
        AdverseEvent.Source.READMISSION: AdverseEvent.Seriousness.HOSPITALISATION,
        AdverseEvent.Source.DEATH: AdverseEvent.Seriousness.DEATH,
    }.get(source)
    if seriousness is None:
        raise ValidationError({"source": _("Choose a hospital readmission or a death.")})
    participant = participant_for_events(patient=patient)
    if participant is None:
        raise StateConflict(_("This patient is not taking part in a study."))
    participant = (
        Participant.objects.select_for_update().select_related("trial").get(pk=participant.pk)
    )
    today = timezone.localdate(now)
    if occurred_on > today:
        raise ValidationError({"occurred_on": _("The date cannot be in the future.")})
    if occurred_on < timezone.localdate(participant.enrolled_at):
        raise ValidationError(
            {"occurred_on": _("This is before the patient joined the study: it is not recorded.")}
        )
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationError(
            {"description": _("Keep the note under %(n)s characters.") % {"n": MAX_DESCRIPTION}}
        )
    if (
        source == AdverseEvent.Source.DEATH
        and participant.adverse_events.filter(source=AdverseEvent.Source.DEATH).exists()
    ):
        raise StateConflict(_("A death has already been recorded for this participant."))
    if participant.adverse_events.filter(source=source, occurred_on=occurred_on).exists():
        # The same form sent twice, or two colleagues recording the same stay.
        raise StateConflict(
            _("This event is already recorded for that date. Add to it on the trial's pages.")
        )
    event = AdverseEvent.objects.create(
        participant=participant,
        source=source,
        category=source,
        occurred_on=occurred_on,
        reported_by=by,
        description=description,
        seriousness=seriousness,
    )
    audit_record(
        actor=by,
        action="adverse_event.recorded",
        subject=patient,
        target=event,
        detail={"source": source, "seriousness": seriousness},
        request=request,
    )
    if source == AdverseEvent.Source.DEATH:
        followups_stop(participant=participant)
    _sae_notify(event, now)
    return event


@transaction.atomic
def adverse_event_assess(
    *,
    event: AdverseEvent,
    by: User,
    seriousness: str,
    relatedness: str,
    expectedness: str,
    request: HttpRequest | None = None,
    now: datetime | None = None,
) -> AdverseEvent:
    """The trial team assesses an event. Assessing it as serious tells the trial manager at
    once, unless they were told already."""
    if not permissions.can_assess_adverse_events(by):
        raise PermissionDenied("Only the trial team assesses adverse events.")
    now = now or timezone.now()
    event = (
        AdverseEvent.objects.select_for_update(of=("self",))
        .select_related("participant__trial", "participant__patient")
        .get(pk=event.pk)
    )
    errors = {}
    for field, value, choices in (
        ("seriousness", seriousness, AdverseEvent.Seriousness),
        ("relatedness", relatedness, AdverseEvent.Relatedness),
        ("expectedness", expectedness, AdverseEvent.Expectedness),
    ):
        if value not in choices.values or value == choices.NOT_ASSESSED:
            errors[field] = _("Choose an assessment.")
    if (
        not errors
        and event.source == AdverseEvent.Source.DEATH
        and seriousness != AdverseEvent.Seriousness.DEATH
    ):
        errors["seriousness"] = _("A death is always serious: it resulted in death.")
    if errors:
        raise ValidationError(errors)
    before = {
        "seriousness": event.seriousness,
        "relatedness": event.relatedness,
        "expectedness": event.expectedness,
    }
    event.seriousness, event.relatedness, event.expectedness = (
        seriousness,
        relatedness,
        expectedness,
    )
    event.assessed_by = by
    event.assessed_at = now
    event.save()
    audit_record(
        actor=by,
        action="adverse_event.assessed",
        subject=event.participant.patient,
        target=event,
        detail={
            "before": before,
            "after": {
                "seriousness": seriousness,
                "relatedness": relatedness,
                "expectedness": expectedness,
            },
        },
        request=request,
    )
    _sae_notify(event, now)
    return event
