"""Demo onboarding for `manage.py seed_demo`: the standard texts approved by the demo clinician,
and each demo patient's first journey, spread over the days they started.

- The texts: a published version is never changed, approval included, so the standard words of
  each text become version 2, approved by the demo clinician (Dr Okafor) and published 40 days
  ago; version 1 (the same words, not approved) is moved back to when Exhale was installed.
- Alex finished on the day after discharge: read everything, agreed, answered "About you", had
  a safety plan already, set the quit plan, tried the check-in and "Craving now" in the tour,
  and joined the groups the next morning.
- Bea finished in her first days home: she wrote a short safety plan, watched the tour rather
  than trying it, and joined the groups the next day.
- Chris went through "About you" and his safety plan with Dr Okafor assisting (an assisted
  session, clozapine on his list), left the groups for later, and joined them a week after.
- Dani, discharged three days ago, stopped half-way: she agreed and answered "About you", left
  the safety plan for later, and stopped at the quit plan (she has none yet). Her care team sees
  where she stopped and that her safety plan is not written.

Everything goes through the services (the same consents, baselines, steps and audit rows a real
journey writes) and is then moved back to when it happened, as the other demos do. Idempotent: a
patient who has a journey is left alone, and the texts are approved only while a text in force
is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from onboarding import quiz, selectors, services
from onboarding.defaults import KEYS
from onboarding.models import AssistSession, Baseline, Consent, ContentVersion, Journey, StepRecord
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
from peersupport.models import Membership
from safety.selectors import safety_plan_for

INSTALLED_DAYS_AGO = 60  # when the demo staff joined (accounts/demo.py)
APPROVED_DAYS_AGO = 40
APPROVAL_NOTE = "Approved for our service: the standard words, unchanged."

QUIZ_RIGHT = {question.key: question.correct for question in quiz.QUESTIONS}


@dataclass(frozen=True)
class Stop:
    """One step of a patient's journey: first seen, and done or left for later, each as
    (days ago, "HH:MM"); neither is where the patient stopped."""

    step: str
    seen: tuple[int, str]
    done: tuple[int, str] | None = None
    later: tuple[int, str] | None = None


@dataclass(frozen=True)
class JourneyScript:
    patient: str  # the demo patient's key (the email's local part)
    stops: list[Stop]
    baseline: dict[str, Any]
    # Steps the demo clinician enters with the patient, in an assisted session.
    assisted: frozenset[str] = frozenset()
    safety_plan: dict[str, str] = field(default_factory=dict)
    tour_tried: tuple[str, ...] = ()
    tour_watched: bool = False
    quiz_first_try: dict[str, str] = field(default_factory=dict)


def _journey(day: int, *, groups: tuple[int, str], groups_later: bool = False) -> list[Stop]:
    """The eight steps in a morning `day` days ago, the groups done at `groups`."""
    stops = [
        Stop(WELCOME, (day, "10:02"), done=(day, "10:05")),
        Stop(PRIVACY, (day, "10:05"), done=(day, "10:11")),
        Stop(CONSENT, (day, "10:11"), done=(day, "10:14")),
        Stop(ABOUT_YOU, (day, "10:14"), done=(day, "10:23")),
        Stop(SAFETY_PLAN, (day, "10:23"), done=(day, "10:41")),
        Stop(QUIT_PLAN, (day, "10:41"), done=(day, "10:52")),
        Stop(TOUR, (day, "10:52"), done=(day, "11:06")),
    ]
    if groups_later:
        stops.append(Stop(GROUPS, (day, "11:06"), later=(day, "11:08"), done=groups))
    else:
        stops.append(Stop(GROUPS, (day, "11:06"), done=groups))
    return stops


SCRIPTS = [
    JourneyScript(
        patient="alex",
        stops=_journey(21, groups=(20, "09:00")),
        baseline={
            "age_started": 16,
            "per_day": 20,
            "time_to_first": "30",
            "quit_attempts": "1",
            "motivation": "now",
            "vapes": False,
            "medicines": ["antidepressant"],
            "support_wanted": ["group", "reminders", "craving_help"],
            "mood": 5,
        },
        tour_tried=("checkin", "craving"),
    ),
    JourneyScript(
        patient="bea",
        stops=_journey(9, groups=(8, "09:00")),
        baseline={
            "age_started": 14,
            "per_day": 15,
            "time_to_first": "5",
            "quit_attempts": "2-4",
            "motivation": "soon",
            "vapes": True,
            "medicines": ["other_antipsychotic"],
            "support_wanted": ["group", "peer", "medicines"],
            "mood": 4,
        },
        safety_plan={
            "warning_signs": "Not sleeping. Smoking one after another.",
            "coping_strategies": "Music in my headphones. A bath.",
            "professionals": "My care coordinator. The crisis line at night.",
        },
        tour_watched=True,
    ),
    JourneyScript(
        patient="chris",
        stops=_journey(35, groups=(27, "09:00"), groups_later=True),
        baseline={
            "age_started": 13,
            "per_day": 25,
            "time_to_first": "5",
            "quit_attempts": "5+",
            "motivation": "now",
            "vapes": False,
            "medicines": ["clozapine"],
            "support_wanted": ["medicines", "peer", "family"],
            "mood": 5,
        },
        assisted=frozenset({ABOUT_YOU, SAFETY_PLAN}),
        safety_plan={
            "warning_signs": "Staying in bed. Not answering the door.",
            "people_to_ask": "My daughter.",
            "professionals": "Dr Okafor on weekdays; the crisis line any time.",
            "reasons_to_live": "My daughter and my grandson.",
        },
        tour_tried=("checkin", "progress", "help"),
        quiz_first_try={**QUIZ_RIGHT, "real_name": "real_name"},
    ),
    JourneyScript(
        patient="dani",
        stops=[
            Stop(WELCOME, (3, "19:02"), done=(3, "19:04")),
            Stop(PRIVACY, (3, "19:04"), done=(3, "19:12")),
            Stop(CONSENT, (3, "19:12"), done=(3, "19:15")),
            Stop(ABOUT_YOU, (3, "19:15"), done=(3, "19:24")),
            Stop(SAFETY_PLAN, (3, "19:24"), later=(3, "19:26")),
            Stop(QUIT_PLAN, (3, "19:26")),  # where she stopped
        ],
        baseline={
            "age_started": 17,
            "per_day": 12,
            "time_to_first": "60",
            "quit_attempts": "0",
            "motivation": "someday",
            "vapes": False,
            "medicines": ["not_sure"],
            "support_wanted": ["group"],
            "mood": 3,
        },
    ),
]


class _Clock:
    def __init__(self) -> None:
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.today = timezone.localdate()

    def at(self, when: tuple[int, str]) -> datetime:
        days_ago, hh_mm = when
        return datetime.combine(
            self.today - timedelta(days=days_ago), time.fromisoformat(hh_mm), tzinfo=self.zone
        )


# --- The texts -----------------------------------------------------------------------------------


def _approve_texts(*, admin: User, clinician: User, clock: _Clock) -> int:
    """Each standard text whose version in force is not approved: the same words as a new
    version, approved by the demo clinician and published (through the services), then dated."""
    approved = 0
    installed = clock.at((INSTALLED_DAYS_AGO, "09:00"))
    for key in KEYS:
        current = selectors.content_current(key=key)
        if current is None or current.is_approved:
            continue
        version = services.content_version_create(
            key=key, title=current.title, body=current.body, by=admin, change_note=APPROVAL_NOTE
        )
        services.content_approve(version=version, approver=clinician, by=admin)
        services.content_publish(version=version, by=admin)
        ContentVersion.objects.filter(key=key, version__lt=version.version).update(
            created_at=installed, published_at=installed
        )
        ContentVersion.objects.filter(pk=version.pk).update(
            created_at=clock.at((APPROVED_DAYS_AGO + 3, "14:00")),
            approved_at=clock.at((APPROVED_DAYS_AGO + 1, "11:30")),
            published_at=clock.at((APPROVED_DAYS_AGO, "09:00")),
        )
        approved += 1
    return approved


# --- The journeys --------------------------------------------------------------------------------


def _do(script: JourneyScript, stop: Stop, patient: User, clinician: User, assist) -> None:
    """Do one step the way the patient (or the clinician assisting) does it on its page."""
    by = clinician if stop.step in script.assisted else patient
    session = assist if stop.step in script.assisted else None
    if stop.step == CONSENT:
        services.consent_give(
            patient=patient,
            by=patient,
            kind=Consent.Kind.PROGRAMME,
            version=selectors.content_current(key=ContentVersion.Key.CONSENT_PROGRAMME).version,
        )
    elif stop.step == ABOUT_YOU:
        services.baseline_save(patient=patient, by=by, assist=session, **script.baseline)
    elif stop.step == SAFETY_PLAN:
        if script.safety_plan:
            services.safety_plan_step_save(
                patient=patient, by=by, assist=session, sections=script.safety_plan
            )
        else:  # already written (the safety demo's plan): the step is done as it stands
            plan = safety_plan_for(patient=patient)
            written = sum(bool(section["text"]) for section in plan.sections())
            services.step_complete(
                patient=patient, step=SAFETY_PLAN, by=by, detail={"sections": written}
            )
    elif stop.step == TOUR:
        for key in services.TOUR_STOPS:
            services.tour_stop_record(patient=patient, stop=key, tried=key in script.tour_tried)
        services.tour_finish(patient=patient, by=patient, watched=script.tour_watched)
    elif stop.step == GROUPS:
        if script.quiz_first_try:
            services.quiz_answer(patient=patient, answers=script.quiz_first_try)
        services.quiz_answer(patient=patient, answers=QUIZ_RIGHT)
        # The groups themselves (name, guidelines, joining) are the peer-group demo's.
        membership = Membership.objects.filter(member=patient).order_by("joined_at").first()
        detail = {"group": membership.group_id} if membership else {}
        services.step_complete(patient=patient, step=GROUPS, by=patient, detail=detail)
    else:  # welcome, privacy, and the quit plan the cessation demo wrote
        services.step_complete(patient=patient, step=stop.step, by=by)


def _seed_journey(script: JourneyScript, patient: User, clinician: User, clock: _Clock) -> None:
    services.journey_start(patient=patient)
    assist = None
    if script.assisted:
        assist = services.assist_start(staff=clinician, patient=patient)
    # First every visit, "do this later" and completion in the order they happened.
    events = []
    for stop in script.stops:
        events.append((stop.seen, "seen", stop))
        if stop.later:
            events.append((stop.later, "later", stop))
        if stop.done:
            events.append((stop.done, "done", stop))
    events.sort(key=lambda event: (-event[0][0], event[0][1]))
    for _when, what, stop in events:
        if what == "seen":
            services.step_open(patient=patient, step=stop.step)
        elif what == "later":
            services.step_skip(patient=patient, step=stop.step, by=patient)
        else:
            _do(script, stop, patient, clinician, assist)
    if assist is not None:
        services.assist_end(session=assist, by=clinician)
    _date(script, patient, clock, assist)


def _date(script: JourneyScript, patient: User, clock: _Clock, assist) -> None:
    """Move the rows back to when each step happened."""
    records = StepRecord.objects.filter(journey__patient=patient)
    for stop in script.stops:
        records.filter(step=stop.step).update(
            first_seen_at=clock.at(stop.seen),
            completed_at=clock.at(stop.done) if stop.done else None,
            skipped_at=clock.at(stop.later) if stop.later else None,
        )
    first = clock.at(script.stops[0].seen)
    moments = [
        clock.at(m) for stop in script.stops for m in (stop.seen, stop.done, stop.later) if m
    ]
    last = max(moments)
    journey = Journey.objects.get(patient=patient)
    finished = None
    if journey.finished_at is not None:
        # Finished when the last step was settled (done, or left for later).
        finished = max(clock.at(stop.later or stop.done) for stop in script.stops)
    Journey.objects.filter(patient=patient).update(
        started_at=first, last_activity_at=last, finished_at=finished
    )
    consent_at = next(clock.at(s.done) for s in script.stops if s.step == CONSENT)
    Consent.objects.filter(patient=patient).update(given_at=consent_at)
    baseline_at = next(clock.at(s.done) for s in script.stops if s.step == ABOUT_YOU)
    Baseline.objects.filter(patient=patient).update(recorded_at=baseline_at, updated_at=baseline_at)
    if assist is not None:
        steps = [s for s in script.stops if s.step in script.assisted]
        start = min(clock.at(s.seen) for s in steps) - timedelta(minutes=2)
        end = max(clock.at(s.done) for s in steps) + timedelta(minutes=3)
        AssistSession.objects.filter(pk=assist.pk).update(
            started_at=start,
            ended_at=end,
            expires_at=start + timedelta(minutes=settings.ONBOARDING_ASSIST_MINUTES),
        )


def seed(context: dict, stdout) -> None:
    users = context["users"]
    clinician, admin = users["clinician"], users["admin"]
    people = {patient.email.split("@")[0]: patient for patient in context["patients"]}
    clock = _Clock()
    approved = _approve_texts(admin=admin, clinician=clinician, clock=clock)
    made = []
    for script in SCRIPTS:
        patient = people.get(script.patient)
        if patient is None or Journey.objects.filter(patient=patient).exists():
            continue
        _seed_journey(script, patient, clinician, clock)
        made.append(patient.display_name)
    stdout.write(
        f"onboarding: {approved} standard text(s) approved by the demo clinician; "
        + (f"journeys for {', '.join(made)}" if made else "journeys already there")
        + " (one stopped at the quit plan, the safety plan left for later)"
    )
