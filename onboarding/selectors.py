"""Reads of onboarding: where a patient is in their journey (two queries, whatever its length),
the texts in force, consents, and the care team's view of a page of patients at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from onboarding.models import AssistSession, Baseline, Consent, ContentVersion, Journey, StepRecord
from onboarding.registry import Step, steps

CONSENT_TEXT_KEYS = {
    Consent.Kind.PROGRAMME: ContentVersion.Key.CONSENT_PROGRAMME,
    Consent.Kind.TRIAL: ContentVersion.Key.CONSENT_TRIAL,
}


@dataclass
class StepStatus:
    step: Step
    number: int
    record: StepRecord | None
    reachable: bool
    is_current: bool = False

    @property
    def key(self) -> str:
        return self.step.key

    @property
    def done(self) -> bool:
        return self.record is not None and self.record.completed_at is not None

    @property
    def skipped(self) -> bool:
        """Left for later and not done since."""
        return not self.done and self.record is not None and self.record.skipped_at is not None

    @property
    def settled(self) -> bool:
        return self.done or self.skipped


@dataclass
class JourneyState:
    journey: Journey
    statuses: list[StepStatus] = field(default_factory=list)

    @property
    def current(self) -> StepStatus | None:
        return next((status for status in self.statuses if status.is_current), None)

    @property
    def total(self) -> int:
        return len(self.statuses)

    @property
    def done_count(self) -> int:
        return sum(status.done for status in self.statuses)

    @property
    def settled_count(self) -> int:
        return sum(status.settled for status in self.statuses)

    @property
    def percent(self) -> int:
        return round(100 * self.settled_count / self.total) if self.total else 100

    @property
    def is_finished(self) -> bool:
        return all(status.settled for status in self.statuses)

    @property
    def left_for_later(self) -> list[StepStatus]:
        return [status for status in self.statuses if status.skipped]

    @property
    def stopped_at(self) -> StepStatus | None:
        """The step the patient was last on: the current one, or the first left for later."""
        return self.current or next(iter(self.left_for_later), None)

    def status(self, key: str) -> StepStatus | None:
        return next((status for status in self.statuses if status.key == key), None)


def journey_state_build(journey: Journey, records: list[StepRecord]) -> JourneyState:
    """Which steps are done, left for later, reachable and current. A step is reachable when
    every step before it is done or left for later (or it is itself), and every gate before it
    (consent) is done: after a withdrawal nothing past the consent can be changed. The current
    step is the first one neither done nor left for later."""
    by_key = {record.step: record for record in records}
    state = JourneyState(journey=journey)
    before_settled = gates_done = True
    current_found = False
    for number, step in enumerate(steps.for_patient(journey.patient), start=1):
        status = StepStatus(step=step, number=number, record=by_key.get(step.key), reachable=False)
        status.reachable = gates_done and (before_settled or status.settled)
        if not status.settled and not current_found:
            status.is_current = current_found = True
        before_settled = before_settled and status.settled
        gates_done = gates_done and (status.done or not step.gate)
        state.statuses.append(status)
    return state


def journey_state_for(*, patient: User) -> JourneyState | None:
    """The patient's journey and every step's status, or None for a patient who joined before
    onboarding existed (nobody asks them to start again)."""
    journey = Journey.objects.filter(patient=patient).first()
    if journey is None:
        return None
    journey.patient = patient
    return journey_state_build(journey, list(StepRecord.objects.filter(journey=journey)))


def journey_states_for_page(*, patients: list[User]) -> dict[int, JourneyState]:
    """The journeys of a page of patients, in two queries whatever the page's length."""
    journeys = {j.patient_id: j for j in Journey.objects.filter(patient__in=patients)}
    records: dict[int, list[StepRecord]] = {}
    for record in StepRecord.objects.filter(journey_id__in=journeys.keys()):
        records.setdefault(record.journey_id, []).append(record)
    by_id = {patient.pk: patient for patient in patients}
    states = {}
    for patient_id, journey in journeys.items():
        journey.patient = by_id[patient_id]
        states[patient_id] = journey_state_build(journey, records.get(patient_id, []))
    return states


def content_current(*, key: str) -> ContentVersion | None:
    """The version of a text in force now: the latest published."""
    return (
        ContentVersion.objects.select_related("approved_by")
        .filter(key=key, published_at__isnull=False, published_at__lte=timezone.now())
        .order_by("-published_at", "-version")
        .first()
    )


def content_version_get(*, key: str, version: int) -> ContentVersion | None:
    """A published version of a text, current or past (consents point at past ones)."""
    return (
        ContentVersion.objects.select_related("approved_by")
        .filter(key=key, version=version, published_at__isnull=False)
        .first()
    )


def content_versions_published(*, key: str) -> QuerySet[ContentVersion]:
    return ContentVersion.objects.filter(key=key, published_at__isnull=False).order_by("-version")


def consent_active(*, patient: User, kind: str) -> Consent | None:
    return (
        Consent.objects.select_related("text")
        .filter(patient=patient, kind=kind, withdrawn_at__isnull=True)
        .first()
    )


def consent_list(*, patient: User) -> QuerySet[Consent]:
    return Consent.objects.select_related("text").filter(patient=patient)


def programme_open_to(*, patient: User) -> bool:
    """Whether the patient may use the programme: they agreed to it, or they joined before
    onboarding existed and never agreed or withdrew (no journey, no consent). Crisis help is
    open to everyone regardless. One query."""
    programme = Consent.objects.filter(patient=OuterRef("pk"), kind=Consent.Kind.PROGRAMME)
    row = (
        User.objects.filter(pk=patient.pk)
        .annotate(
            agreed=Exists(programme.filter(withdrawn_at__isnull=True)),
            asked=Exists(programme) | Exists(Journey.objects.filter(patient=OuterRef("pk"))),
        )
        .values("agreed", "asked")
        .first()
    )
    return row is not None and (row["agreed"] or not row["asked"])


def baseline_for(*, patient: User) -> Baseline | None:
    return Baseline.objects.filter(patient=patient).first()


def assist_session_open(*, staff: User, patient: User) -> AssistSession | None:
    return (
        AssistSession.objects.filter(
            staff=staff, patient=patient, ended_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-started_at")
        .first()
    )


COUNTS = ("reached", "done", "later")


def step_uptake() -> list[dict]:
    """Per step: how many patients reached it, did it, and left it for later (uptake and
    drop-off), in one query."""
    rows = {
        row["step"]: row
        for row in StepRecord.objects.values("step").annotate(
            reached=Count("id"),
            done=Count("id", filter=Q(completed_at__isnull=False)),
            later=Count("id", filter=Q(completed_at__isnull=True, skipped_at__isnull=False)),
        )
    }
    return [
        {
            "step": step,
            **{k: rows.get(step.key, {}).get(k, 0) for k in ("reached", "done", "later")},
        }
        for step in steps.all()
    ]
