"""Demo quit tracking for `manage.py seed_demo`: quit plans, weeks of check-ins with slips and
gaps, logged cravings, CO readings, a patient on clozapine, and the approved health timeline.

- Alex quit 17 days ago: a slip in the first two weeks, cravings falling, a few missed days.
- Bea sets her quit date for next week and is cutting down; one very low mood (a flag).
- Chris quit 30 days ago, takes clozapine (a medication-review flag), slipped after week two
  and is still on track; his 4-week CO reading (5 ppm) verifies it.
- Dani was discharged three days ago and has no quit plan yet.

Idempotent: a patient who already has a quit plan is left alone, and the timeline is approved
only while some of it is unapproved, so a second run changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from accounts.models import PatientProfile, User
from cessation import services
from cessation.models import (
    CheckIn,
    Craving,
    HealthBenefit,
    Product,
    QuitDateChange,
    QuitPlan,
    Support,
    TimeToFirst,
    Trigger,
)

# (days ago, cigarettes, craving, mood, sleep, note); a day not listed is a missed check-in.
ALEX_DAYS = [
    (20, 18, 7, 5, "ok", ""),
    (19, 15, 7, 5, "ok", ""),
    (18, 12, 8, 4, "poorly", "Cutting down before the big day."),
    (17, 0, 9, 4, "poorly", "Quit day. Patch on at 7."),
    (16, 0, 9, 3, "hardly", ""),
    (15, 0, 8, 4, "poorly", ""),
    (14, 0, 8, 5, "ok", ""),
    (12, 2, 8, 4, "poorly", "Had two at my cousin's. Back on it today."),
    (11, 0, 7, 5, "ok", ""),
    (10, 0, 6, 5, "ok", ""),
    (8, 0, 6, 6, "well", "Walked Biscuit to the park instead of smoking."),
    (7, 0, 5, 6, "ok", ""),
    (6, 0, 6, 5, "ok", ""),
    (5, 0, 5, 6, "well", ""),
    (4, 0, 4, 7, "well", ""),
    (3, 0, 4, 7, "well", ""),
    (1, 0, 3, 7, "well", "Food tastes better."),
]
BEA_DAYS = [
    (8, 15, 6, 4, "poorly", ""),
    (7, 14, 6, 4, "poorly", ""),
    (5, 12, 7, 3, "hardly", "Not sleeping again."),
    (4, 12, 6, 4, "poorly", ""),
    (3, 10, 6, 4, "poorly", ""),
    (2, 9, 7, 2, "hardly", "Really low today."),
    (1, 9, 6, 4, "poorly", ""),
]
CHRIS_DAYS = [
    (33, 25, 6, 5, "ok", ""),
    (32, 24, 6, 5, "ok", ""),
    (31, 22, 7, 5, "ok", "CO 28 at clinic today."),
    (30, 0, 9, 4, "poorly", "Quit day."),
    (29, 0, 9, 4, "poorly", ""),
    (28, 0, 8, 4, "hardly", ""),
    (26, 0, 8, 5, "poorly", ""),
    (25, 0, 8, 5, "ok", ""),
    (24, 4, 8, 4, "poorly", "Bad day at the ward review. Four."),
    (23, 0, 7, 5, "ok", ""),
    (22, 0, 7, 5, "ok", ""),
    (21, 0, 6, 5, "ok", ""),
    (19, 0, 6, 6, "ok", ""),
    (18, 0, 6, 6, "well", ""),
    (17, 0, 5, 6, "well", ""),
    (16, 0, 5, 6, "well", ""),
    (15, 0, 5, 6, "ok", ""),
    (14, 0, 4, 6, "ok", ""),
    (13, 0, 5, 6, "ok", ""),
    (12, 0, 4, 6, "well", ""),
    (10, 2, 6, 5, "ok", "Two at the pub. Not again."),
    (9, 0, 4, 6, "well", ""),
    (7, 0, 4, 7, "well", ""),
    (6, 0, 3, 7, "well", ""),
    (5, 0, 3, 7, "well", ""),
    (4, 0, 3, 7, "well", ""),
    (3, 0, 3, 7, "well", ""),
    (2, 0, 2, 7, "well", ""),
    (1, 0, 3, 8, "well", ""),
]
# (days ago, hour, intensity, where, with whom, doing, mood, smoked)
ALEX_CRAVINGS = [
    (17, 8, 9, "home", "alone", "relaxing", 4, False),
    (16, 13, 8, "out", "friends", "social", 4, False),
    (16, 21, 9, "home", "family", "bored", 3, False),
    (15, 10, 8, "home", "alone", "eating", 4, False),
    (12, 19, 9, "home", "smokers", "social", 5, True),
    (10, 9, 7, "transport", "alone", "bored", 5, False),
    (7, 15, 6, "work", "other", "stressed", 5, False),
    (4, 20, 5, "home", "family", "relaxing", 7, False),
    (2, 8, 4, "home", "alone", "eating", 7, False),
]
BEA_CRAVINGS = [
    (6, 22, 7, "home", "alone", "bored", 3, True),
    (3, 11, 6, "ward", "smokers", "stressed", 4, True),
    (1, 16, 7, "out", "friends", "social", 4, False),
]
CHRIS_CRAVINGS = [
    (30, 9, 9, "home", "alone", "relaxing", 4, False),
    (29, 14, 9, "out", "smokers", "social", 4, False),
    (28, 7, 8, "home", "alone", "eating", 4, False),
    (24, 16, 9, "ward", "smokers", "stressed", 3, True),
    (20, 12, 7, "home", "family", "eating", 5, False),
    (14, 18, 5, "out", "friends", "social", 6, False),
    (10, 21, 7, "other", "smokers", "social", 5, True),
    (3, 10, 3, "home", "alone", "relaxing", 7, False),
]


def _zone(patient: User) -> ZoneInfo:
    zone = PatientProfile.objects.filter(user=patient).values_list("time_zone", flat=True).first()
    return ZoneInfo(zone or settings.TIME_ZONE)


def _history(
    patient: User, *, today: date, days: list[tuple], plan_dates: list[tuple], by: User
) -> QuitPlan:
    """Write a quit plan whose date has passed, and its history, as rows.

    quit_plan_save only accepts a new quit date from today on, and checkin_submit only today and
    the last few days (the rules real patients follow), so history older than that is written
    directly; the last days go through the services below, and raise what real data would.
    """
    zone = _zone(patient)
    plan = QuitPlan.objects.get(patient=patient)
    old = None
    for days_before_quit, new_date, who in plan_dates:
        QuitDateChange.objects.create(
            plan=plan,
            old_date=old,
            new_date=new_date,
            changed_at=datetime.combine(
                plan.quit_date - timedelta(days=days_before_quit), time(11), tzinfo=zone
            ),
            changed_by=who or by,
        )
        old = new_date
    CheckIn.objects.bulk_create(
        CheckIn(
            patient=patient,
            day=today - timedelta(days=ago),
            cigarettes=cigarettes,
            craving=craving,
            mood=mood,
            sleep=sleep,
            harm_thoughts=CheckIn.SafetyAnswer.NO,
            supports_used=_supports_used(plan, cigarettes),
            note=note,
            created_at=datetime.combine(
                today - timedelta(days=ago), time(20, 5 + ago), tzinfo=zone
            ),
        )
        for ago, cigarettes, craving, mood, sleep, note in days
        if ago > settings.CESSATION_BACKFILL_DAYS
    )
    return plan


def _supports_used(plan: QuitPlan, cigarettes: int) -> list[str]:
    kinds = [item["kind"] for item in plan.supports if item.get("kind") != Support.NONE]
    return kinds if not cigarettes else kinds[:1]


def _recent(patient: User, *, today: date, days: list[tuple]) -> None:
    """The last days' check-ins through the service, as the patient would have sent them."""
    plan = QuitPlan.objects.filter(patient=patient).first()
    for ago, cigarettes, craving, mood, sleep, note in days:
        if ago <= settings.CESSATION_BACKFILL_DAYS:
            services.checkin_submit(
                patient=patient,
                day=today - timedelta(days=ago),
                cigarettes=cigarettes,
                craving=craving,
                mood=mood,
                sleep=sleep,
                harm_thoughts=CheckIn.SafetyAnswer.NO,
                supports_used=_supports_used(plan, cigarettes) if plan else [],
                note=note,
            )


def _cravings(patient: User, *, today: date, cravings: list[tuple]) -> None:
    # craving_log records a craving as it happens (now); these happened on earlier days.
    zone = _zone(patient)
    Craving.objects.bulk_create(
        Craving(
            patient=patient,
            at=datetime.combine(today - timedelta(days=ago), time(hour, 15), tzinfo=zone),
            intensity=intensity,
            where=where,
            with_whom=with_whom,
            doing=doing,
            mood=mood,
            smoked=smoked,
        )
        for ago, hour, intensity, where, with_whom, doing, mood, smoked in cravings
    )


def _alex(alex: User, clinician: User) -> None:
    today = services.patient_today(alex)
    quit_date = today - timedelta(days=17)
    QuitPlan.objects.create(
        patient=alex,
        quit_date=quit_date,
        product=Product.CIGARETTES,
        per_day=Decimal(20),
        pack_price=Decimal("15.80"),
        pack_size=20,
        time_to_first=TimeToFirst.WITHIN_30,
        supports=[
            {"kind": Support.PATCH, "dose": "21 mg / 24 h"},
            {"kind": Support.GUM, "dose": "2 mg"},
        ],
        triggers=[Trigger.WAKING, Trigger.COFFEE, Trigger.STRESS],
        reasons="My dog Biscuit needs long walks. I want to see my nephew grow up. "
        "I want my money for driving lessons.",
    )
    _history(alex, today=today, days=ALEX_DAYS, plan_dates=[(7, quit_date, alex)], by=clinician)
    _recent(alex, today=today, days=ALEX_DAYS)
    _cravings(alex, today=today, cravings=ALEX_CRAVINGS)


def _bea(bea: User, clinician: User) -> None:
    today = services.patient_today(bea)
    # Her quit date is still to come, so the service takes it as any patient's would be taken.
    services.quit_plan_save(
        patient=bea,
        by=bea,
        quit_date=today + timedelta(days=5),
        product=Product.CIGARETTES,
        per_day=Decimal(15),
        pack_price=Decimal("13.50"),
        pack_size=20,
        time_to_first=TimeToFirst.WITHIN_5,
        supports=[{"kind": Support.ECIGARETTE, "dose": "18 mg/ml"}],
        triggers=[Trigger.BOREDOM, Trigger.OTHERS_SMOKING, Trigger.SYMPTOMS],
        triggers_other="When the voices are loud.",
        reasons="I get out of breath on the stairs. I want to feel in charge of something.",
    )
    _history(bea, today=today, days=BEA_DAYS, plan_dates=[], by=clinician)
    _recent(bea, today=today, days=BEA_DAYS)
    _cravings(bea, today=today, cravings=BEA_CRAVINGS)


def _chris(chris: User, clinician: User) -> None:
    today = services.patient_today(chris)
    first_date, quit_date = today - timedelta(days=37), today - timedelta(days=30)
    QuitPlan.objects.create(
        patient=chris,
        quit_date=quit_date,
        product=Product.CIGARETTES,
        per_day=Decimal(25),
        pack_price=Decimal("16.20"),
        pack_size=20,
        time_to_first=TimeToFirst.WITHIN_5,
        supports=[
            {"kind": Support.PATCH, "dose": "21 mg / 24 h"},
            {"kind": Support.INHALATOR, "dose": "15 mg"},
        ],
        triggers=[Trigger.WAKING, Trigger.MEALS, Trigger.BREAKS, Trigger.OTHERS_SMOKING],
        reasons="My chest. My daughter asked me to.",
    )
    # Chris first chose a date with his clinician, then moved it back a week himself.
    _history(
        chris,
        today=today,
        days=CHRIS_DAYS,
        plan_dates=[(14, first_date, clinician), (9, quit_date, chris)],
        by=clinician,
    )
    # On clozapine: recording it for someone who is quitting raises the medication review.
    services.medication_add(patient=chris, by=clinician, name="Clozapine", dose="400 mg a day")
    services.medication_add(patient=chris, by=clinician, name="Metformin", dose="500 mg twice")
    services.co_reading_record(
        patient=chris, by=clinician, taken_on=today - timedelta(days=31), ppm=28
    )
    _recent(chris, today=today, days=CHRIS_DAYS)
    # The 4-week reading (25 to 42 days after the quit date): under 10 ppm verifies the quit.
    services.co_reading_record(
        patient=chris, by=clinician, taken_on=today - timedelta(days=2), ppm=5
    )
    _cravings(chris, today=today, cravings=CHRIS_CRAVINGS)


def seed(context: dict, stdout) -> None:
    users, patients = context["users"], context["patients"]
    clinician = users["clinician"]
    alex, bea, chris = patients[0], patients[1], patients[2]
    made = []
    for patient, build in ((alex, _alex), (bea, _bea), (chris, _chris)):
        if not QuitPlan.objects.filter(patient=patient).exists():
            build(patient, clinician)
            made.append(patient.display_name)
    if HealthBenefit.objects.filter(approved_at__isnull=True).exists():
        services.health_benefits_approve(by=clinician)
    # Every demo patient gets the default check-in schedule, so beat reminds them.
    for patient in patients:
        services.schedule_for(patient)
    stdout.write(
        "cessation: quit plans, check-ins and cravings "
        + (f"for {', '.join(made)}" if made else "already there")
        + "; Chris on clozapine with a CO reading in his 4-week window; "
        "health timeline approved by the demo clinician"
    )
