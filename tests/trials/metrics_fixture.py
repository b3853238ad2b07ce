"""A small trial whose every figure is worked out by hand in tests/trials/test_metrics.py.

Recruitment opened Monday 6 January 2025, 09:00; "now" is Monday 3 March 2025, 12:00 (London is
on UTC all that time). Target 40.

Screening log (10): week 1 (6-12 Jan): P1, P2, P3 enrolled, one not eligible; week 2 (13-19 Jan):
P4, P5, P6 enrolled, one not eligible, one declined, one not reached.

- P1, programme: enrolled 7 Jan, consented 8 Jan, allocated 8 Jan 12:00; finished onboarding;
  logged in 20 Jan.
- P2, programme (New York time): enrolled 7 Jan, consented 9 Jan, allocated 15 Jan 12:00;
  stopped the programme (follow-up continues) 20 Feb.
- P3, usual care: enrolled 7 Jan, consented 9 Jan, allocated 9 Jan 12:00; logged in 9 Jan 13:00.
- P4, usual care: enrolled 14 Jan, consented 15 Jan, allocated 16 Jan 12:00; withdrew from
  follow-up 30 Jan 12:00.
- P5: enrolled 14 Jan, consented 15 Jan, awaiting randomisation (a check-in and an adverse
  event of theirs are never counted per arm).
- P6: enrolled 14 Jan, declined 15 Jan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from accounts.models import User
from cessation.models import CheckIn, Craving
from onboarding.models import Journey, StepRecord
from peersupport.models import Conversation, PeerGroup, PeerMessage, Post
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.trials.helpers import a_trial
from trials import pseudonyms
from trials.models import (
    AdverseEvent,
    Allocation,
    Arm,
    FollowUp,
    FollowUpPoint,
    Participant,
    ScreeningEntry,
    SequenceSlot,
    Trial,
    Withdrawal,
)

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
OPENED = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def at(day: int, hour: int = 12, minute: int = 0, month: int = 1) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Fixture:
    trial: Trial
    admin: User
    programme: Arm
    usual: Arm
    points: dict[str, FollowUpPoint]
    p: dict[int, Participant]


def _patient(clinician, peer, name: str, **profile) -> User:
    return PatientFactory(
        password=None,
        full_name=name,
        profile=clinician,
        profile__peer_specialist=peer,
        **{f"profile__{key}": value for key, value in profile.items()},
    )


def participant(
    trial: Trial,
    patient: User,
    *,
    by: User,
    enrolled: datetime,
    status: str,
    consented: datetime | None = None,
    declined: datetime | None = None,
) -> Participant:
    return Participant.objects.create(
        trial=trial,
        patient=patient,
        study_id=pseudonyms.trial_id_for(key=trial.pseudonym_key, patient_id=patient.pk),
        diagnosis_group=Participant.DiagnosisGroup.PSYCHOSIS,
        status=status,
        enrolled_at=enrolled,
        enrolled_by=by,
        consented_at=consented,
        declined_at=declined,
    )


def allocate(participant: Participant, arm: Arm, when: datetime, *, by: User) -> Allocation:
    position = SequenceSlot.objects.filter(trial=participant.trial, stratum="fixture").count() + 1
    slot = SequenceSlot.objects.create(
        trial=participant.trial,
        stratum="fixture",
        position=position,
        block=1,
        block_size=2,
        arm_sealed=arm.code,
        used_at=when,
    )
    participant.status = Participant.Status.RANDOMISED
    participant.save(update_fields=["status"])
    return Allocation.objects.create(
        participant=participant,
        arm=arm,
        stratum="fixture",
        slot=slot,
        allocated_at=when,
        allocated_by=by,
    )


def checkin(patient: User, day: date, created: datetime) -> CheckIn:
    return CheckIn.objects.create(
        patient=patient,
        day=day,
        cigarettes=0,
        craving=3,
        mood=6,
        sleep=CheckIn.Sleep.OK,
        harm_thoughts=CheckIn.SafetyAnswer.NO,
        created_at=created,
    )


def followup(
    participant: Participant,
    point: FollowUpPoint,
    *,
    status: str,
    opens: date,
    closes: date,
    smoked: str = "",
    co_ppm: int | None = None,
    co_on: date | None = None,
) -> FollowUp:
    return FollowUp.objects.create(
        participant=participant,
        point=point,
        anchor_date=opens - timedelta(days=point.window_start_day),
        due_on=opens + timedelta(days=point.due_day - point.window_start_day),
        window_opens_on=opens,
        window_closes_on=closes,
        status=status,
        smoked_since=smoked,
        co_ppm=co_ppm,
        co_taken_on=co_on,
        answered_at=at(1, month=3) if status == FollowUp.Status.COMPLETED else None,
    )


def journey(patient: User, done: list[str], *, finished: datetime | None = None) -> None:
    record = Journey.objects.create(patient=patient, started_at=at(8), finished_at=finished)
    for step in done:
        StepRecord.objects.create(
            journey=record, step=step, first_seen_at=at(8), completed_at=at(8, 13)
        )


def build() -> Fixture:
    admin = AdminFactory(password=None)
    trial = a_trial(manager=admin, target=40)
    Trial.objects.filter(pk=trial.pk).update(
        status=Trial.Status.RECRUITING, recruitment_opened_at=OPENED
    )
    trial.refresh_from_db()
    programme = trial.arms.get(code="programme")
    usual = trial.arms.get(code="usual_care")
    points = {point.code: point for point in trial.points.all()}
    clinician, peer = ClinicianFactory(password=None), PeerFactory(password=None)
    patients = {
        1: _patient(clinician, peer, "Fixed Name One"),
        2: _patient(clinician, peer, "Fixed Name Two", time_zone="America/New_York"),
        3: _patient(clinician, peer, "Fixed Name Three"),
        4: _patient(clinician, peer, "Fixed Name Four"),
        5: _patient(clinician, peer, "Fixed Name Five"),
        6: _patient(clinician, peer, "Fixed Name Six"),
    }

    # The screening log.
    def entry(day: int, outcome: str, reason: str = "", patient: User | None = None) -> None:
        ScreeningEntry.objects.create(
            trial=trial,
            screened_on=date(2025, 1, day),
            outcome=outcome,
            reason=reason,
            recorded_by=clinician,
            patient=patient,
        )

    for n in (1, 2, 3):
        entry(7, ScreeningEntry.Outcome.ENROLLED, patient=patients[n])
    entry(7, ScreeningEntry.Outcome.INELIGIBLE, ScreeningEntry.Reason.NOT_SMOKER)
    for n in (4, 5, 6):
        entry(14, ScreeningEntry.Outcome.ENROLLED, patient=patients[n])
    entry(14, ScreeningEntry.Outcome.INELIGIBLE, ScreeningEntry.Reason.TOO_UNWELL)
    entry(15, ScreeningEntry.Outcome.DECLINED, ScreeningEntry.Reason.NOT_INTERESTED)
    entry(16, ScreeningEntry.Outcome.NOT_REACHED)

    # Participants.
    S = Participant.Status
    # n: (enrolled, status, consented, declined)
    people = {
        1: (at(7, 10), S.CONSENTED, at(8, 10), None),
        2: (at(7, 11), S.CONSENTED, at(9, 10), None),
        3: (at(7, 12), S.CONSENTED, at(9, 11), None),
        4: (at(14, 10), S.CONSENTED, at(15, 10), None),
        5: (at(14, 11), S.CONSENTED, at(15, 11), None),
        6: (at(14, 12), S.DECLINED, None, at(15, 12)),
    }
    p = {
        n: participant(
            trial,
            patients[n],
            by=clinician,
            enrolled=enrolled,
            status=status,
            consented=consented,
            declined=declined,
        )
        for n, (enrolled, status, consented, declined) in people.items()
    }
    allocate(p[1], programme, at(8, 12), by=admin)
    allocate(p[2], programme, at(15, 12), by=admin)
    allocate(p[3], usual, at(9, 12), by=admin)
    allocate(p[4], usual, at(16, 12), by=admin)
    Withdrawal.objects.create(
        participant=p[4],
        level=Withdrawal.Level.FOLLOW_UP,
        source=Withdrawal.Source.PATIENT,
        at=at(30),
        recorded_by=admin,
    )
    Participant.objects.filter(pk=p[4].pk).update(status=S.WITHDRAWN, withdrawn_at=at(30))
    Withdrawal.objects.create(
        participant=p[2],
        level=Withdrawal.Level.INTERVENTION,
        source=Withdrawal.Source.STAFF,
        at=at(20, month=2),
        recorded_by=admin,
    )

    # Logins and onboarding.
    User.objects.filter(pk=patients[1].pk).update(last_login=at(20))
    User.objects.filter(pk=patients[3].pk).update(last_login=at(9, 13))
    User.objects.filter(pk=patients[4].pk).update(last_login=at(10))  # before randomisation
    journey(
        patients[1], ["welcome", "privacy", "consent", "about_you", "quit_plan"], finished=at(8, 14)
    )
    journey(patients[2], ["welcome", "privacy", "consent", "about_you"])
    journey(patients[3], ["welcome", "privacy", "consent", "about_you"])
    journey(patients[4], ["welcome"])
    journey(patients[5], ["welcome", "privacy", "consent", "about_you"])  # fmt: skip

    # Engagement. P1 (London): week 1 is 8-14 Jan, week 2 15-21 Jan.
    one = patients[1]
    checkin(one, date(2025, 1, 7), at(8, 9))  # before randomisation: not counted
    checkin(one, date(2025, 1, 8), at(8, 20))  # on time
    checkin(one, date(2025, 1, 9), at(10, 8))  # late
    Craving.objects.create(patient=one, at=at(10, 15), intensity=7)
    checkin(one, date(2025, 1, 15), at(15, 23, 30))  # on time, week 2
    group = PeerGroup.objects.create(
        name="Fixture group", slug="fixture-group", kind=PeerGroup.Kind.TOPIC, description="x"
    )
    thread = Post.objects.create(
        group=group,
        author=one,
        body="x",
        status=Post.Status.PUBLISHED,
        created_at=at(16, 10),
        published_at=at(16, 10),
    )
    Post.objects.create(
        group=group,
        author=one,
        parent=thread,
        body="x",
        status=Post.Status.HELD,
        created_at=at(16, 11),
    )
    conversation = Conversation.objects.create(patient=one, peer=peer)
    for sender, hour in ((one, 10), (peer, 11)):  # the peer's reply is not P1's
        PeerMessage.objects.create(
            conversation=conversation, sender=sender, body="x", created_at=at(17, hour)
        )
    # P2 (New York, 5 hours behind): week 1 is 15-21 Jan, local days.
    two = patients[2]
    checkin(two, date(2025, 1, 20), at(21, 3))  # 22:00 on 20 Jan in New York: on time
    Craving.objects.create(patient=two, at=at(22, 2), intensity=5)  # 21 Jan in New York
    # P3: a message from their peer specialist is not theirs.
    three = patients[3]
    PeerMessage.objects.create(
        conversation=Conversation.objects.create(patient=three, peer=peer),
        sender=peer,
        body="x",
        created_at=at(20, 10),
    )
    # P4: a craving in week 2 (23-29 Jan), one after withdrawing from follow-up.
    Craving.objects.create(patient=patients[4], at=at(29, 10), intensity=8)
    Craving.objects.create(patient=patients[4], at=at(31, 10), intensity=8)
    # P5, not randomised.
    checkin(patients[5], date(2025, 1, 20), at(20, 10))

    # Follow-ups: (participant, point, status, window opens, closes, answer, CO ppm, CO day).
    F = FollowUp.Status
    four, twelve = points["4w"], points["12w"]

    def feb(day: int) -> date:
        return date(2025, 2, day)

    for n, point, status, opens, closes, smoked, ppm, co_on in (
        (1, four, F.COMPLETED, feb(4), feb(21), "none", 5, feb(7)),
        (2, four, F.COMPLETED, feb(10), feb(27), "up_to_5", None, None),
        (3, four, F.COMPLETED, feb(5), feb(22), "more", 20, feb(6)),
        (4, four, F.STOPPED, feb(11), feb(28), "", None, None),
        (1, twelve, F.OPEN, feb(25), date(2025, 3, 31), "", None, None),
        (2, twelve, F.MISSED, feb(1), feb(20), "", None, None),
        (3, twelve, F.OPEN, feb(1), date(2025, 3, 1), "", None, None),
    ):
        followup(
            p[n],
            point,
            status=status,
            opens=opens,
            closes=closes,
            smoked=smoked,
            co_ppm=ppm,
            co_on=co_on,
        )

    # Adverse events: (participant, source, seriousness).
    A = AdverseEvent
    for n, source, seriousness in (
        (1, A.Source.FLAG, A.Seriousness.NOT_ASSESSED),
        (1, A.Source.READMISSION, A.Seriousness.HOSPITALISATION),
        (3, A.Source.OTHER, A.Seriousness.NOT_SERIOUS),
        (5, A.Source.OTHER, A.Seriousness.NOT_SERIOUS),
    ):
        A.objects.create(
            participant=p[n],
            source=source,
            category=source,
            occurred_on=feb(2),
            seriousness=seriousness,
        )

    return Fixture(trial=trial, admin=admin, programme=programme, usual=usual, points=points, p=p)
