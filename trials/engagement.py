"""Engagement of randomised participants, week by week since randomisation: the rows behind the
dashboard's engagement figures and the engagement export.

Week 1 is days 0-6 after the day of allocation, week 2 days 7-13, and so on, up to the last full
week before now (or before the trial closed), and no further than the week in which the
participant withdrew from follow-up or from the study (Withdrawal level FOLLOW_UP or ALL) or
completed follow-up (Participant.completed_at); what they did after that moment is not counted.
Only what they did after being randomised counts.

Days are calendar days in the participant's own time zone (PatientProfile.time_zone, the
deployment's TIME_ZONE when they have none): each use is placed on the local date it happened.

A constant number of queries whatever the number of participants: one for the participants, one
streamed query per kind of use (check-ins, "Craving now", posts and replies, messages), each
ordered by patient and time, merged here without holding more than one participant in memory.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from cessation.models import CheckIn, Craving
from peersupport.models import PeerMessage, Post
from trials.models import Participant, Trial, Withdrawal

# The measures of one participant-week, in the order of the export's columns.
MEASURES = ("active_days", "checkins", "checkins_on_time", "posts", "messages", "cravings")
KEYS = ("participant_id", "study_id", "arm", "week", *MEASURES)

# Plain English, marked for translation (the dashboard translates them when it shows them; the
# data dictionary gives them as they are).
DEFINITIONS: dict[str, str] = {
    "week": gettext_noop(
        "Week since randomisation: week 1 is the day of allocation and the 6 days after it, "
        "week 2 the next 7 days, and so on. Only full weeks are counted, and none after the "
        "week in which the participant withdrew from follow-up or from the study, or completed "
        "follow-up; nothing they did after that moment is counted."
    ),
    "active_days": gettext_noop(
        "Active days: days of the week (in the participant's own time zone) on which they did "
        "at least one check-in, used 'Craving now', wrote a group post or reply, or sent a "
        "message to a peer specialist. 0 to 7."
    ),
    "checkins": gettext_noop(
        "Check-ins: daily check-ins the participant filled in during the week (counted on the "
        "day they filled them in)."
    ),
    "checkins_on_time": gettext_noop(
        "Check-ins on time: check-ins filled in on the day they are for, not later."
    ),
    "posts": gettext_noop(
        "Posts: group posts and replies the participant wrote, whatever happened to them "
        "(published, held for a moderator or removed)."
    ),
    "messages": gettext_noop(
        "Messages: one-to-one messages the participant sent to a peer specialist."
    ),
    "cravings": gettext_noop("Craving now: times the participant used 'Craving now'."),
}

_CHECKIN, _CRAVING, _POST, _MESSAGE = range(4)
_WITHDRAWAL_LEVELS = (Withdrawal.Level.FOLLOW_UP, Withdrawal.Level.ALL)


@dataclass
class _Person:
    participant_id: int
    patient_id: int
    study_id: str
    arm: str
    allocated_at: datetime
    zone: ZoneInfo
    cutoff: datetime | None
    start: date = field(init=False)
    weeks: int = 0

    def __post_init__(self) -> None:
        self.start = self.allocated_at.astimezone(self.zone).date()


def _zone(name: str | None, cache: dict[str, ZoneInfo]) -> ZoneInfo:
    name = name or settings.TIME_ZONE
    if name not in cache:
        try:
            cache[name] = ZoneInfo(name)
        except (KeyError, ValueError):
            cache[name] = ZoneInfo(settings.TIME_ZONE)
    return cache[name]


def _people(trial: Trial, until: datetime) -> Iterator[_Person]:
    zones: dict[str, ZoneInfo] = {}
    rows = (
        Participant.objects.filter(trial=trial, allocation__isnull=False)
        .annotate(
            cutoff=Min("withdrawals__at", filter=Q(withdrawals__level__in=_WITHDRAWAL_LEVELS))
        )
        .order_by("patient_id")
        .values_list(
            "pk",
            "patient_id",
            "study_id",
            "allocation__arm__code",
            "allocation__allocated_at",
            "patient__patient_profile__time_zone",
            "cutoff",
            "completed_at",
        )
    )
    for pk, patient_id, study_id, arm, allocated_at, zone_name, left, done in rows.iterator(2000):
        ends = [moment for moment in (left, done) if moment is not None]
        cutoff = min(ends) if ends else None
        person = _Person(
            pk, patient_id, study_id, arm, allocated_at, _zone(zone_name, zones), cutoff
        )
        today = until.astimezone(person.zone).date()
        weeks = (today - person.start).days // 7
        if cutoff is not None:
            weeks = min(weeks, (cutoff.astimezone(person.zone).date() - person.start).days // 7 + 1)
        person.weeks = max(weeks, 0)
        yield person


def _events(trial: Trial) -> Iterator[tuple]:
    """Every use by a randomised participant of the trial, ordered by patient and time:
    (patient id, when, kind, the day a check-in is for or None)."""
    randomised = Participant.objects.filter(trial=trial, allocation__isnull=False).values(
        "patient_id"
    )
    checkins = (
        (patient_id, at, _CHECKIN, day)
        for patient_id, at, day in CheckIn.objects.filter(patient_id__in=randomised)
        .order_by("patient_id", "created_at")
        .values_list("patient_id", "created_at", "day")
        .iterator(2000)
    )
    cravings = (
        (patient_id, at, _CRAVING, None)
        for patient_id, at in Craving.objects.filter(patient_id__in=randomised)
        .order_by("patient_id", "at")
        .values_list("patient_id", "at")
        .iterator(2000)
    )
    posts = (
        (patient_id, at, _POST, None)
        for patient_id, at in Post.objects.filter(author_id__in=randomised)
        .order_by("author_id", "created_at")
        .values_list("author_id", "created_at")
        .iterator(2000)
    )
    # Messages the patient sent in their own conversations (to a peer specialist).
    messages = (
        (patient_id, at, _MESSAGE, None)
        for patient_id, at in PeerMessage.objects.filter(
            sender_id__in=randomised, sender_id=F("conversation__patient_id")
        )
        .order_by("sender_id", "created_at")
        .values_list("sender_id", "created_at")
        .iterator(2000)
    )
    return heapq.merge(checkins, cravings, posts, messages, key=lambda event: event[:2])


def _weeks_of(person: _Person, events: list[tuple]) -> list[dict]:
    counts = [dict.fromkeys(MEASURES, 0) for _week in range(person.weeks)]
    active: list[set[date]] = [set() for _week in range(person.weeks)]
    for _patient_id, at, kind, day in events:
        if at < person.allocated_at or (person.cutoff is not None and at >= person.cutoff):
            continue
        local = at.astimezone(person.zone).date()
        index = (local - person.start).days // 7
        if not 0 <= index < person.weeks:
            continue
        week = counts[index]
        active[index].add(local)
        if kind == _CHECKIN:
            week["checkins"] += 1
            if day == local:
                week["checkins_on_time"] += 1
        elif kind == _CRAVING:
            week["cravings"] += 1
        elif kind == _POST:
            week["posts"] += 1
        else:
            week["messages"] += 1
    rows = []
    for index, week in enumerate(counts):
        week["active_days"] = len(active[index])
        rows.append(
            {
                "participant_id": person.participant_id,
                "study_id": person.study_id,
                "arm": person.arm,
                "week": index + 1,
                **{key: week[key] for key in MEASURES},
            }
        )
    return rows


def engagement_weeks(*, trial: Trial, now: datetime | None = None) -> Iterator[dict]:
    """One row per randomised participant per week since randomisation (see the module's
    docstring and DEFINITIONS), ordered by participant's patient id and week. Streams: memory
    stays flat whatever the number of participants."""
    until = now or timezone.now()
    if trial.closed_at is not None:
        until = min(until, trial.closed_at)
    events = _events(trial)
    pending = next(events, None)
    for person in _people(trial, until):
        mine = []
        # Skip uses of patients ordered before this one (none are expected: both are filtered
        # to the randomised participants), then take this patient's.
        while pending is not None and pending[0] < person.patient_id:
            pending = next(events, None)
        while pending is not None and pending[0] == person.patient_id:
            mine.append(pending)
            pending = next(events, None)
        yield from _weeks_of(person, mine)
