"""What the trial changes for a patient, remembered in the shared cache (as onboarding/gate.py
does for the programme) so that it costs no database query per page after the first:

- `consent_step`: whether the study's step ("The study") is part of their onboarding;
- `study_only`: whether they see only the study, follow-up and crisis support (allocated to an
  arm without the programme, or stopped the programme by a withdrawal, while the trial runs).

An answer is kept under the patient's generation and the trials' generation; forgetting starts a
new one (inside the changing transaction and again after it commits), for one patient when their
participation changes, for everybody when a trial changes state. A cache that cannot be reached
means the database answers (one query).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef

from core.request_memo import forget, remembered
from onboarding.models import Consent
from trials.models import Participant, Trial, Withdrawal

logger = logging.getLogger(__name__)

REMEMBER_FOR_SECONDS = 15 * 60
_ALL_KEY = "trials.study_generation.all"
_MEMO = "trials.study_state"

CONSENT_STEP_STATUSES = (
    Participant.Status.ENROLLED,
    Participant.Status.CONSENTED,
    Participant.Status.DECLINED,
)


@dataclass(frozen=True)
class StudyState:
    consent_step: bool = False
    study_only: bool = False

    def encode(self) -> str:
        return f"{int(self.consent_step)}{int(self.study_only)}"

    @classmethod
    def decode(cls, value) -> StudyState | None:
        if not isinstance(value, str) or len(value) != 2 or set(value) - {"0", "1"}:
            return None
        return cls(consent_step=value[0] == "1", study_only=value[1] == "1")


NOBODY = StudyState()


def _patient_key(patient_id: int) -> str:
    return f"trials.study_generation.{patient_id}"


def _answer_key(patient_id: int, generation, all_generation) -> str:
    return f"trials.study_state.{patient_id}.{generation}.{all_generation}"


def study_state_from_db(patient) -> StudyState:
    """One query: the patient's participation in a trial that has not closed."""
    participant = (
        Participant.objects.filter(patient=patient)
        .exclude(trial__status=Trial.Status.CLOSED)
        .select_related("trial", "allocation__arm")
        .annotate(
            # Stopping the intervention counts until the patient agrees to the programme again.
            stopped_programme=Exists(
                Withdrawal.objects.filter(
                    participant=OuterRef("pk"), level=Withdrawal.Level.INTERVENTION
                ).exclude(
                    Exists(
                        Consent.objects.filter(
                            patient=OuterRef(OuterRef("patient")),
                            kind=Consent.Kind.PROGRAMME,
                            withdrawn_at__isnull=True,
                            given_at__gt=OuterRef("at"),
                        )
                    )
                )
            )
        )
        .order_by("-enrolled_at")
        .first()
    )
    if participant is None:
        return NOBODY
    recruiting = participant.trial.status == Trial.Status.RECRUITING
    consent_step = (
        participant.status in CONSENT_STEP_STATUSES and recruiting
    ) or participant.status == Participant.Status.RANDOMISED
    allocation = getattr(participant, "allocation", None)
    study_only = allocation is not None and (
        not allocation.arm.gets_programme or participant.stopped_programme
    )
    return StudyState(consent_step=consent_step, study_only=study_only)


def study_state(patient) -> StudyState:
    if patient is None or not getattr(patient, "pk", None):
        return NOBODY
    # Asked by the middleware, the page's frame and each of its sections: once per request.
    return remembered(_MEMO, patient.pk, lambda: _study_state(patient))


def _study_state(patient) -> StudyState:
    try:
        generations = cache.get_many([_patient_key(patient.pk), _ALL_KEY])
        answer_key = _answer_key(
            patient.pk, generations.get(_patient_key(patient.pk), 0), generations.get(_ALL_KEY, 0)
        )
        remembered = StudyState.decode(cache.get(answer_key))
    except Exception:  # the cache is an optimisation; the database decides
        logger.warning("study gate: cache unreadable, asking the database")
        return study_state_from_db(patient)
    if remembered is not None:
        return remembered
    state = study_state_from_db(patient)
    try:
        cache.set(answer_key, state.encode(), REMEMBER_FOR_SECONDS)
    except Exception:
        logger.warning("study gate: cache unwritable")
    return state


def _trials_running_from_db() -> str:
    recruiting = None
    running = False
    for pk, status in Trial.objects.filter(
        status__in=(Trial.Status.RECRUITING, Trial.Status.FOLLOW_UP)
    ).values_list("pk", "status"):
        running = True
        if status == Trial.Status.RECRUITING:
            recruiting = pk
    return f"{recruiting or ''}|{int(running)}"


def trials_running() -> tuple[int | None, bool]:
    """(the recruiting trial's id or None, whether any trial recruits or follows people up),
    remembered under the trials' generation: the care team's pages ask nothing of the trial
    while there is none."""
    try:
        key = f"trials.running.{cache.get(_ALL_KEY, 0)}"
        value = cache.get(key)
        if not isinstance(value, str):
            value = _trials_running_from_db()
            cache.set(key, value, REMEMBER_FOR_SECONDS)
    except Exception:
        logger.warning("study gate: cache unreachable, asking the database")
        value = _trials_running_from_db()
    recruiting, running = value.split("|")
    return (int(recruiting) if recruiting else None), running == "1"


def study_only(patient) -> bool:
    return study_state(patient).study_only


def consent_step_applies(patient) -> bool:
    return study_state(patient).consent_step


def _bump(key: str, patient_id: int | None) -> None:
    forget(_MEMO, patient_id)  # None: everybody's
    try:
        cache.set(key, time.time_ns(), None)
    except Exception:
        logger.error("study gate: cache unreachable, the answer lapses on its own")


def study_forget(patient) -> None:
    """The patient's participation changed: every device asks the database again."""
    key, patient_id = _patient_key(patient.pk), patient.pk
    _bump(key, patient_id)
    transaction.on_commit(lambda: _bump(key, patient_id))


def study_forget_all() -> None:
    """A trial changed state (recruitment opened or closed, trial closed): everybody asks again."""
    _bump(_ALL_KEY, None)
    transaction.on_commit(lambda: _bump(_ALL_KEY, None))
