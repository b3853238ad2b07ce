"""A small trial with everything an export holds, and canary values wherever a name, an email or
free text lives, so the export tests can assert none of them leaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from accounts.models import User
from cessation.models import CheckIn
from onboarding.models import Baseline, Consent, ContentVersion
from peersupport.models import PeerGroup, Post
from safety.models import SafetyPlan
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.trials.helpers import a_trial
from trials import pseudonyms
from trials.models import (
    AdverseEvent,
    Allocation,
    AllocationNote,
    Arm,
    FollowUp,
    Participant,
    SequenceSlot,
    Trial,
    Withdrawal,
)

# Values that must never reach an export (names, emails, free text).
CANARIES = (
    "CANARY-NAME-7f3",
    "canary-7f3@example.org",
    "CANARY-CLIN-a1",
    "CANARY-NOTE-c2",
    "CANARY-AE-d4",
    "CANARY-ALLOC-e5",
    "CANARY-PLAN-f6",
    "CANARY-POST-g7",
    "CANARY-MGR-h8",
)
# User ids far from anything else an export holds (counts, scores, days).
CANARY_IDS = (8675309, 8675310, 8675311, 8675312)
# Codes that a spreadsheet would take for a formula.
FORMULA_ARM = '=HYPERLINK("x")'
FORMULA_STRATUM = "-2+3|@SUM(A1)"
FORMULA_CATEGORY = "+CANARY-CAT"
FORMULA_SLEEP = "@cmd"


@dataclass
class World:
    trial: Trial
    manager: User
    clinician: User
    patients: dict[str, User]
    participants: dict[str, Participant]
    now: datetime
    day0: date
    extra: dict = field(default_factory=dict)


def _participant(trial, patient, clinician, **kwargs) -> Participant:
    return Participant.objects.create(
        trial=trial,
        patient=patient,
        study_id=pseudonyms.trial_id_for(key=trial.pseudonym_key, patient_id=patient.pk),
        diagnosis_group=kwargs.pop("diagnosis_group", Participant.DiagnosisGroup.PSYCHOSIS),
        enrolled_by=clinician,
        **kwargs,
    )


def _allocate(world_trial, participant, arm, stratum, at, by, position) -> Allocation:
    slot = SequenceSlot.objects.create(
        trial=world_trial,
        stratum=stratum,
        position=position,
        block=1,
        block_size=2,
        arm_sealed=arm.code,
        used_at=at,
    )
    return Allocation.objects.create(
        participant=participant,
        arm=arm,
        stratum=stratum,
        slot=slot,
        allocated_at=at,
        allocated_by=by,
    )


def _checkin(patient, day, created, **kwargs) -> CheckIn:
    values = {
        "cigarettes": 0,
        "craving": 3,
        "mood": 6,
        "sleep": CheckIn.Sleep.OK,
        "harm_thoughts": CheckIn.SafetyAnswer.NO,
        "supports_used": ["patch", "gum"],
        "note": "CANARY-NOTE-c2 I told my sister",
    }
    values.update(kwargs)
    return CheckIn.objects.create(patient=patient, day=day, created_at=created, **values)


def a_world() -> World:
    """Five people in a trial: A randomised to the programme, B to usual care (whose arm code
    and stratum look like formulas), C randomised then withdrawn, D agreed but not yet
    randomised, E declined. Check-ins, baseline, follow-ups and adverse events around them."""
    manager = AdminFactory(password=None, full_name="CANARY-MGR-h8")
    trial = a_trial(manager=manager)
    programme = trial.arms.get(code="programme")
    usual = trial.arms.get(code="usual_care")
    Arm.objects.filter(pk=usual.pk).update(code=FORMULA_ARM)
    usual.refresh_from_db()
    clinician = ClinicianFactory(password=None, full_name="CANARY-CLIN-a1")
    peer = PeerFactory(password=None)
    patients = {
        "A": PatientFactory(
            password=None,
            id=CANARY_IDS[0],
            full_name="CANARY-NAME-7f3",
            email="canary-7f3@example.org",
            profile=clinician,
            profile__peer_specialist=peer,
        ),
        "B": PatientFactory(password=None, id=CANARY_IDS[1], profile=clinician),
        "C": PatientFactory(password=None, id=CANARY_IDS[2], profile=clinician),
        "D": PatientFactory(password=None, id=CANARY_IDS[3], profile=clinician),
        "E": PatientFactory(password=None, profile=clinician),
    }
    now = timezone.now()
    day0 = timezone.localdate(now) - timedelta(days=60)
    at0 = now - timedelta(days=60)
    text = ContentVersion.objects.create(
        key=ContentVersion.Key.CONSENT_TRIAL, version=3, title="Study", body="Words"
    )
    people = {}
    for key in "ABCD":
        consent = Consent.objects.create(
            patient=patients[key], kind=Consent.Kind.TRIAL, text=text, given_at=at0
        )
        people[key] = _participant(
            trial,
            patients[key],
            clinician,
            status=Participant.Status.RANDOMISED,
            enrolled_at=at0 - timedelta(days=1),
            consented_at=at0,
            consent=consent,
        )
    people["D"].status = Participant.Status.CONSENTED
    people["D"].save()
    people["E"] = _participant(
        trial,
        patients["E"],
        clinician,
        status=Participant.Status.DECLINED,
        enrolled_at=at0,
        declined_at=at0,
        diagnosis_group=Participant.DiagnosisGroup.BIPOLAR,
    )
    alloc_a = _allocate(trial, people["A"], programme, "psychosis|11-20", at0, manager, 1)
    AllocationNote.objects.create(allocation=alloc_a, author=manager, text="CANARY-ALLOC-e5")
    _allocate(trial, people["B"], usual, FORMULA_STRATUM, at0, manager, 2)
    _allocate(trial, people["C"], programme, "psychosis|11-20", at0, manager, 3)
    withdrawn_at = now - timedelta(days=10)
    Participant.objects.filter(pk=people["C"].pk).update(
        status=Participant.Status.WITHDRAWN, withdrawn_at=withdrawn_at
    )
    people["C"].refresh_from_db()
    Withdrawal.objects.create(
        participant=people["C"],
        level=Withdrawal.Level.ALL,
        source=Withdrawal.Source.PATIENT,
        at=withdrawn_at,
        recorded_by=patients["C"],
    )
    for key in "ABC":
        Baseline.objects.create(
            patient=patients[key],
            age_started=15,
            per_day=15,
            time_to_first="5",
            hsi_score=4,
            quit_attempts="1",
            motivation="now",
            vapes=key == "A",
            medicines=["clozapine", "antidepressant"],
            support_wanted=["group"],
            mood=5,
            recorded_at=at0 - timedelta(hours=1),
            recorded_by=patients[key],
        )
    # Check-ins: A three (one before randomisation day, a negative day), C one before and one
    # after withdrawing, D one (not randomised).
    _checkin(patients["A"], day0 - timedelta(days=0), at0 + timedelta(hours=1), cigarettes=12)
    _checkin(patients["A"], day0 + timedelta(days=1), at0 + timedelta(days=1), cigarettes=0)
    _checkin(
        patients["A"],
        day0 + timedelta(days=2),
        at0 + timedelta(days=2),
        sleep=FORMULA_SLEEP,
        supports_used=[],
    )
    # Given before they agreed to the study: not in the export.
    _checkin(patients["A"], day0 - timedelta(days=3), at0 - timedelta(days=3))
    _checkin(patients["C"], day0 + timedelta(days=1), at0 + timedelta(days=1), cigarettes=4)
    _checkin(
        patients["C"],
        timezone.localdate(now) - timedelta(days=2),
        now - timedelta(days=2),
        cigarettes=30,
    )
    _checkin(patients["D"], day0 + timedelta(days=3), at0 + timedelta(days=3), cigarettes=9)
    points = {point.code: point for point in trial.points.all()}

    def followup(participant, code, **kwargs):
        point = points[code]
        return FollowUp.objects.create(
            participant=participant,
            point=point,
            anchor_date=day0,
            due_on=day0 + timedelta(days=point.due_day),
            window_opens_on=day0 + timedelta(days=point.window_start_day),
            window_closes_on=day0 + timedelta(days=point.window_end_day),
            **kwargs,
        )

    # A at 4 weeks: "not even a puff", CO 5 on day 30: abstinent and verified.
    followup(
        people["A"],
        "4w",
        status=FollowUp.Status.COMPLETED,
        smoked_since="none",
        smoked_last_7_days=False,
        answered_at=at0 + timedelta(days=30),
        source=FollowUp.Source.PATIENT,
        co_ppm=5,
        co_taken_on=day0 + timedelta(days=30),
    )
    # B at 4 weeks: "1 to 5", CO 12: self-report abstinent, not verified.
    followup(
        people["B"],
        "4w",
        status=FollowUp.Status.COMPLETED,
        smoked_since="up_to_5",
        smoked_last_7_days=True,
        answered_at=at0 + timedelta(days=31),
        source=FollowUp.Source.STAFF,
        co_ppm=12,
        co_taken_on=day0 + timedelta(days=31),
    )
    # C answered 4 weeks after withdrawing (days 50): not used.
    followup(
        people["C"],
        "4w",
        status=FollowUp.Status.COMPLETED,
        smoked_since="none",
        answered_at=now - timedelta(days=5),
        source=FollowUp.Source.PATIENT,
    )
    AdverseEvent.objects.create(
        participant=people["A"],
        source=AdverseEvent.Source.READMISSION,
        category=FORMULA_CATEGORY,
        occurred_on=day0 + timedelta(days=20),
        description="CANARY-AE-d4 admitted after a fight at home",
        seriousness=AdverseEvent.Seriousness.HOSPITALISATION,
        reported_by=clinician,
    )
    AdverseEvent.objects.create(
        participant=people["C"],
        source=AdverseEvent.Source.OTHER,
        category="fall",
        occurred_on=timezone.localdate(now),
        description="after withdrawal",
        reported_by=clinician,
    )
    SafetyPlan.objects.create(patient=patients["A"], warning_signs="CANARY-PLAN-f6")
    group = PeerGroup.objects.create(
        slug="first-weeks", name="First weeks", kind=PeerGroup.Kind.TOPIC, description="Home."
    )
    Post.objects.create(
        group=group,
        author=patients["A"],
        body="CANARY-POST-g7",
        status=Post.Status.PUBLISHED,
        published_at=at0 + timedelta(days=2),
    )
    return World(trial, manager, clinician, patients, people, now, day0)
