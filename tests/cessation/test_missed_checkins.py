"""Noticing when someone stops answering or gets worse (cessation/services/monitoring.py): the
missed check-in ladder, deterioration raised from real check-ins, and the 4-week CO notices.

The clock is set by each test (tests.cessation.factories.Clock). The patient joins at 11:00 UTC
on Tuesday 15 July 2025 (noon in London, BST), is reminded at 19:00 London time, and each
morning at 08:00 London time (07:00 UTC), when quiet hours end, the day before is looked at.
They were discharged long ago unless a test says otherwise, so the flag comes at 3 missed in a
row, not 2.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from cessation import services
from cessation.models import (
    CheckIn,
    CheckInReminder,
    CheckInSchedule,
    FollowUpNotice,
    MissedCheckIn,
    OutreachTask,
)
from core.exceptions import StateConflict
from core.models import AuditEvent, Notification
from safety.models import Flag, FlagEvent, Severity
from tests.cessation.factories import CheckInFactory, Clock, QuitPlanFactory
from tests.factories import ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 15, 11, 0, tzinfo=UTC)  # noon in London (BST)
TODAY = date(2025, 7, 15)
LONG_AGO = date(2025, 4, 1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


def morning_after(day: date) -> datetime:
    """08:00 in London (BST) the day after `day`."""
    return datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC) + timedelta(days=1)


def make_patient(*, peer: bool = True, **profile):
    profile.setdefault("discharged_on", LONG_AGO)
    if peer:
        profile.setdefault("peer_specialist", PeerFactory(mfa=False))
    patient = PatientFactory(
        # The model's default is the real clock, not the test's: join "now", as invited.
        date_joined=timezone.now(),
        profile=ClinicianFactory(mfa=False),
        **{f"profile__{key}": value for key, value in profile.items()},
    )
    services.schedule_for(patient)
    return patient


@pytest.fixture
def patient(clock):
    return make_patient()


def schedule_of(patient) -> CheckInSchedule:
    return CheckInSchedule.objects.get(pk=patient.pk)


def process_morning_after(clock, day: date) -> int:
    clock.set(morning_after(day))
    return services.missed_checkins_process()


def miss_days(clock, first: date, count: int) -> None:
    for offset in range(count):
        process_morning_after(clock, first + timedelta(days=offset))


def nonresponse_flags(patient):
    return Flag.objects.filter(patient=patient, category=Flag.Category.NONRESPONSE)


def check_in(patient, day, **answers):
    fields = {
        "cigarettes": 0,
        "craving": 3,
        "mood": 7,
        "sleep": "ok",
        "harm_thoughts": "no",
        "supports_used": [],
        "note": "",
    }
    fields.update(answers)
    return services.checkin_submit(patient=patient, day=day, **fields)


# --- The ladder -----------------------------------------------------------------------------


def test_the_morning_after_a_day_without_a_check_in_it_is_recorded_and_a_gentle_reminder_goes(
    clock, patient
):
    assert schedule_of(patient).next_missed_check_at == morning_after(TODAY)

    looked_at = process_morning_after(clock, TODAY)

    assert looked_at == 1
    missed = MissedCheckIn.objects.get(patient=patient)
    assert (missed.day, missed.in_row) == (TODAY, 1)
    assert schedule_of(patient).missed_in_row == 1
    reminder = CheckInReminder.objects.get(patient=patient, kind=CheckInReminder.Kind.SECOND)
    assert reminder.day == TODAY
    notice = reminder.notification
    assert notice.recipient == patient
    assert notice.kind == "checkin_second_reminder"
    assert notice.url == "/check-in/2025-07-15/"
    assert "mood" not in notice.title.lower()
    assert "smok" not in notice.title.lower()
    # Nothing more on the first day.
    assert not OutreachTask.objects.exists()
    assert not nonresponse_flags(patient).exists()
    # The next look is the morning after.
    assert schedule_of(patient).next_missed_check_at == morning_after(TODAY + timedelta(days=1))


def test_before_the_morning_comes_nothing_is_looked_at(clock, patient):
    clock.set(morning_after(TODAY) - timedelta(minutes=1))

    assert services.missed_checkins_process() == 0
    assert not MissedCheckIn.objects.exists()


def test_a_day_with_a_check_in_is_not_missed(clock, patient):
    CheckInFactory(patient=patient, day=TODAY)

    process_morning_after(clock, TODAY)

    assert not MissedCheckIn.objects.exists()
    assert not CheckInReminder.objects.exists()
    assert schedule_of(patient).missed_in_row == 0
    assert schedule_of(patient).next_missed_check_at == morning_after(TODAY + timedelta(days=1))


def test_a_second_day_in_a_row_asks_the_peer_specialist_to_reach_out(clock, patient):
    peer = patient.patient_profile.peer_specialist

    miss_days(clock, TODAY, 2)

    assert list(MissedCheckIn.objects.order_by("day").values_list("day", "in_row")) == [
        (TODAY, 1),
        (TODAY + timedelta(days=1), 2),
    ]
    task = OutreachTask.objects.get(patient=patient)
    assert task.peer == peer
    assert task.status == OutreachTask.Status.OPEN
    assert task.reason == "Has not checked in for 2 days in a row"
    notice = Notification.objects.get(recipient=peer, kind="outreach_task")
    assert notice.url == reverse("cessation_staff:outreach_queue")
    assert AuditEvent.objects.filter(action="outreach.created", subject_id=patient.pk).exists()
    # One gentle reminder (for the first day), and no flag yet.
    assert CheckInReminder.objects.filter(kind=CheckInReminder.Kind.SECOND).count() == 1
    assert not nonresponse_flags(patient).exists()


def test_without_a_peer_specialist_no_outreach_task_is_made(clock):
    patient = make_patient(peer=False)

    miss_days(clock, TODAY, 3)

    assert not OutreachTask.objects.exists()
    assert not Notification.objects.filter(kind="outreach_task").exists()
    assert nonresponse_flags(patient).count() == 1  # the clinician still hears


def test_an_inactive_peer_specialist_gets_no_outreach_task(clock, patient):
    peer = patient.patient_profile.peer_specialist
    peer.is_active = False
    peer.save(update_fields=["is_active"])

    miss_days(clock, TODAY, 2)

    assert not OutreachTask.objects.exists()


def test_a_third_day_in_a_row_raises_a_medium_nonresponse_flag_to_the_clinician(clock, patient):
    clinician = patient.patient_profile.clinician

    miss_days(clock, TODAY, 3)

    flag = nonresponse_flags(patient).get()
    assert flag.source == Flag.Source.MISSED_CHECKIN
    assert flag.severity == Severity.MEDIUM
    assert flag.handled_by == clinician
    assert flag.summary == "Has missed 3 check-ins in a row (last: 17 Jul)"
    assert flag.source_ref == f"cessation.missedcheckin:{patient.pk}:2025-07-17"
    assert Notification.objects.filter(recipient=clinician, kind="safety_flag").count() == 1
    assert OutreachTask.objects.filter(patient=patient).count() == 1  # not another


def test_two_days_do_not_raise_a_flag_after_the_first_weeks(clock, patient):
    miss_days(clock, TODAY, 2)

    assert not nonresponse_flags(patient).exists()


def test_in_the_first_two_weeks_after_discharge_the_flag_comes_at_2(clock):
    # Discharged 3 July: 16 July is the 14th day, still in the first two weeks.
    patient = make_patient(discharged_on=date(2025, 7, 3))

    miss_days(clock, TODAY, 1)
    assert not nonresponse_flags(patient).exists()
    miss_days(clock, TODAY + timedelta(days=1), 1)

    flag = nonresponse_flags(patient).get()
    assert flag.severity == Severity.MEDIUM
    assert flag.summary == "Has missed 2 check-ins in a row (last: 16 Jul)"
    assert OutreachTask.objects.filter(patient=patient).exists()


def test_the_first_two_weeks_end_on_the_fourteenth_day(clock):
    # Discharged 2 July: 16 July is the 15th day, so 2 in a row is not yet a flag.
    patient = make_patient(discharged_on=date(2025, 7, 2))

    miss_days(clock, TODAY, 2)

    assert not nonresponse_flags(patient).exists()


def test_a_fourth_day_adds_to_the_same_flag(clock, patient):
    miss_days(clock, TODAY, 4)

    flag = nonresponse_flags(patient).get()
    assert flag.signal_count == 2
    assert list(flag.signals.values_list("summary", flat=True)) == [
        "Has missed 3 check-ins in a row (last: 17 Jul)",
        "Has missed 4 check-ins in a row (last: 18 Jul)",
    ]
    assert MissedCheckIn.objects.get(day=TODAY + timedelta(days=3)).in_row == 4
    assert schedule_of(patient).missed_in_row == 4


def test_running_the_job_twice_for_the_same_morning_records_nothing_twice(clock, patient):
    miss_days(clock, TODAY, 2)
    counts = (
        MissedCheckIn.objects.count(),
        CheckInReminder.objects.count(),
        OutreachTask.objects.count(),
        Notification.objects.count(),
    )

    # A duplicated beat: the same morning again.
    assert services.missed_checkins_process() == 0
    # The schedule pointed back at days already looked at (a restored backup, a hand edit): each
    # is looked at again, and neither recorded nor counted twice.
    for day in (TODAY + timedelta(days=1), TODAY):
        CheckInSchedule.objects.filter(pk=patient.pk).update(
            next_missed_check_at=morning_after(day)
        )
        assert services.missed_checkins_process() == 1
        assert schedule_of(patient).missed_in_row == 2

    assert (
        MissedCheckIn.objects.count(),
        CheckInReminder.objects.count(),
        OutreachTask.objects.count(),
        Notification.objects.count(),
    ) == counts
    assert list(MissedCheckIn.objects.order_by("day").values_list("in_row", flat=True)) == [1, 2]
    # The ladder goes on from where it was (the first run catches up on the 16th again).
    clock.set(morning_after(TODAY + timedelta(days=2)))
    assert [services.missed_checkins_process() for _ in range(3)] == [1, 1, 0]
    assert MissedCheckIn.objects.get(day=TODAY + timedelta(days=2)).in_row == 3
    assert nonresponse_flags(patient).count() == 1


def test_days_before_the_patient_joined_are_not_missed(clock, patient):
    # As if the job were asked about the day before they joined.
    CheckInSchedule.objects.filter(pk=patient.pk).update(
        next_missed_check_at=morning_after(TODAY - timedelta(days=1))
    )

    assert services.missed_checkins_process() == 1

    assert not MissedCheckIn.objects.exists()
    assert not CheckInReminder.objects.exists()
    assert schedule_of(patient).missed_in_row == 0
    assert schedule_of(patient).next_missed_check_at == morning_after(TODAY)


def test_a_weekly_schedule_misses_only_its_own_weekday(clock, patient):
    CheckInSchedule.objects.filter(pk=patient.pk).update(frequency="weekly", weekday=0)  # Mondays

    miss_days(clock, TODAY, 13)  # Tuesday 15 to Sunday 27 July

    assert list(MissedCheckIn.objects.values_list("day", "in_row")) == [(date(2025, 7, 21), 1)]
    miss_days(clock, date(2025, 7, 28), 1)  # Monday 28 July
    assert list(MissedCheckIn.objects.order_by("day").values_list("day", "in_row")) == [
        (date(2025, 7, 21), 1),
        (date(2025, 7, 28), 2),
    ]
    assert OutreachTask.objects.filter(patient=patient).exists()


def test_the_morning_is_the_patients_own(clock):
    patient = make_patient(time_zone="America/New_York")
    # Joined 07:00 in New York on the 15th; reminded 19:00 there (23:00 UTC); looked for at
    # 08:00 there on the 16th, which is 12:00 UTC.
    assert schedule_of(patient).next_missed_check_at == datetime(2025, 7, 16, 12, 0, tzinfo=UTC)

    clock.set(datetime(2025, 7, 16, 11, 59, tzinfo=UTC))
    assert services.missed_checkins_process() == 0
    clock.set(datetime(2025, 7, 16, 12, 0, tzinfo=UTC))
    assert services.missed_checkins_process() == 1

    assert MissedCheckIn.objects.get(patient=patient).day == TODAY


def test_after_the_job_was_down_for_days_every_missed_day_is_counted(clock, patient):
    # Nothing ran on the mornings of 16 and 17 July; it comes back on the 18th.
    clock.set(morning_after(TODAY + timedelta(days=2)))

    for _ in range(3):
        assert services.missed_checkins_process() == 1
    assert services.missed_checkins_process() == 0  # caught up: the 19th's morning is not here

    assert list(MissedCheckIn.objects.order_by("day").values_list("day", "in_row")) == [
        (TODAY, 1),
        (TODAY + timedelta(days=1), 2),
        (TODAY + timedelta(days=2), 3),
    ]
    assert nonresponse_flags(patient).count() == 1
    # One gentle reminder, not one per missed morning.
    assert CheckInReminder.objects.filter(kind=CheckInReminder.Kind.SECOND).count() == 1
    assert schedule_of(patient).next_missed_check_at == morning_after(TODAY + timedelta(days=3))


def test_an_inactive_schedule_is_never_looked_at(clock, patient):
    CheckInSchedule.objects.filter(pk=patient.pk).update(is_active=False)

    assert process_morning_after(clock, TODAY) == 0
    assert not MissedCheckIn.objects.exists()


def test_the_job_works_through_many_schedules_in_batches(clock):
    patients = [make_patient(peer=False) for _ in range(5)]
    clock.set(morning_after(TODAY))

    assert services.missed_checkins_process(batch_size=2) == 5

    assert MissedCheckIn.objects.filter(patient__in=patients).count() == 5


# --- Checking in again ----------------------------------------------------------------------


def test_checking_in_again_resets_the_ladder_and_closes_the_loop(clock, patient):
    miss_days(clock, TODAY, 3)
    flag = nonresponse_flags(patient).get()
    clock.set(datetime(2025, 7, 18, 17, 0, tzinfo=UTC))

    check_in(patient, date(2025, 7, 18))

    assert schedule_of(patient).missed_in_row == 0
    task = OutreachTask.objects.get(patient=patient)
    assert task.status == OutreachTask.Status.PATIENT_RETURNED
    assert task.closed_at == clock.at
    note = "They checked in again (for 18 Jul) after missing 3."
    assert note in task.note
    event = FlagEvent.objects.get(flag=flag, kind=FlagEvent.Kind.NOTE)
    assert event.note == note
    assert event.actor is None
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN  # the clinician decides when it is resolved


def test_filling_in_a_missed_day_also_resets_the_ladder(clock, patient):
    miss_days(clock, TODAY, 2)
    clock.set(datetime(2025, 7, 17, 9, 0, tzinfo=UTC))

    check_in(patient, TODAY)

    assert schedule_of(patient).missed_in_row == 0
    assert OutreachTask.objects.get().status == OutreachTask.Status.PATIENT_RETURNED


def test_after_a_reset_the_ladder_starts_again_from_one(clock, patient):
    miss_days(clock, TODAY, 2)
    clock.set(datetime(2025, 7, 17, 17, 0, tzinfo=UTC))
    check_in(patient, date(2025, 7, 17))

    miss_days(clock, date(2025, 7, 17), 3)  # 17 checked in, then 18 and 19 missed

    assert list(MissedCheckIn.objects.order_by("day").values_list("day", "in_row")) == [
        (date(2025, 7, 15), 1),
        (date(2025, 7, 16), 2),
        (date(2025, 7, 18), 1),
        (date(2025, 7, 19), 2),
    ]
    assert CheckInReminder.objects.filter(kind=CheckInReminder.Kind.SECOND).count() == 2
    statuses = sorted(OutreachTask.objects.values_list("status", flat=True))
    assert statuses == [OutreachTask.Status.OPEN, OutreachTask.Status.PATIENT_RETURNED]


def test_a_check_in_without_missed_days_touches_nothing(clock, patient):
    check_in(patient, TODAY)

    assert schedule_of(patient).missed_in_row == 0
    assert not FlagEvent.objects.filter(kind=FlagEvent.Kind.NOTE).exists()


# --- The peer specialist closes the outreach task --------------------------------------------


@pytest.fixture
def task(clock, patient):
    miss_days(clock, TODAY, 2)
    return OutreachTask.objects.get(patient=patient)


def test_the_peer_specialist_closes_their_outreach_task(clock, task):
    peer = task.peer

    closed = services.outreach_close(task=task, by=peer, note="  Spoke on the phone; all OK.  ")

    assert closed.status == OutreachTask.Status.DONE
    assert closed.closed_by == peer
    assert closed.closed_at == clock.at
    task.refresh_from_db()
    assert task.note == "Spoke on the phone; all OK."
    assert AuditEvent.objects.filter(action="outreach.closed", actor=peer).exists()


@pytest.mark.parametrize("who", ["other_peer", "clinician", "patient"])
def test_nobody_else_closes_an_outreach_task(task, who):
    by = {
        "other_peer": lambda: PeerFactory(mfa=False),
        "clinician": lambda: task.patient.patient_profile.clinician,
        "patient": lambda: task.patient,
    }[who]()

    with pytest.raises(PermissionDenied):
        services.outreach_close(task=task, by=by)

    task.refresh_from_db()
    assert task.status == OutreachTask.Status.OPEN


def test_closing_an_outreach_task_twice_is_a_conflict(task):
    services.outreach_close(task=task, by=task.peer)

    with pytest.raises(StateConflict):
        services.outreach_close(task=task, by=task.peer)


def test_a_task_closed_by_the_patient_returning_cannot_be_closed_again(clock, task):
    clock.set(datetime(2025, 7, 17, 9, 0, tzinfo=UTC))
    check_in(task.patient, TODAY)
    task.refresh_from_db()

    with pytest.raises(StateConflict):
        services.outreach_close(task=task, by=task.peer)


# --- The ladder from settings ---------------------------------------------------------------


def test_the_ladder_thresholds_come_from_settings(clock, settings, patient):
    settings.CESSATION_MISSED_LADDER = {
        "second_reminder": 2,
        "peer_outreach": 1,
        "flag": 4,
        "flag_early": 4,
    }

    miss_days(clock, TODAY, 1)
    assert OutreachTask.objects.filter(patient=patient).exists()
    assert not CheckInReminder.objects.exists()

    miss_days(clock, TODAY + timedelta(days=1), 1)
    assert CheckInReminder.objects.filter(kind=CheckInReminder.Kind.SECOND).get().day == date(
        2025, 7, 16
    )

    miss_days(clock, TODAY + timedelta(days=2), 1)
    assert not nonresponse_flags(patient).exists()

    miss_days(clock, TODAY + timedelta(days=3), 1)
    assert nonresponse_flags(patient).get().summary.startswith("Has missed 4 check-ins")


def test_a_partial_ladder_in_settings_keeps_the_other_defaults(clock, settings, patient):
    settings.CESSATION_MISSED_LADDER = {"flag": 2}

    miss_days(clock, TODAY, 2)

    assert nonresponse_flags(patient).exists()
    assert OutreachTask.objects.filter(patient=patient).exists()
    assert CheckInReminder.objects.filter(kind=CheckInReminder.Kind.SECOND).count() == 1


# --- Deterioration from real check-ins -------------------------------------------------------


def good_week(patient, *, last: date = TODAY - timedelta(days=4), mood: int = 7) -> None:
    """Seven days of good check-ins, written directly (back-filling goes only 3 days back)."""
    for offset in range(7):
        CheckInFactory(patient=patient, day=last - timedelta(days=offset), mood=mood, craving=3)


def three_low_days(patient, **answers):
    results = [
        check_in(patient, TODAY - timedelta(days=back), mood=3, **answers) for back in (2, 1)
    ]
    results.append(check_in(patient, TODAY, mood=3))
    return results


def deterioration_flags(patient):
    return Flag.objects.filter(patient=patient, category=Flag.Category.DETERIORATION)


def test_three_days_well_below_their_usual_mood_raise_a_deterioration_flag(clock, patient):
    good_week(patient)

    first, second, third = three_low_days(patient)

    assert first.flags == ()
    assert second.flags == ()
    flag = deterioration_flags(patient).get()
    assert third.flags == (flag,)
    assert flag.severity == Severity.MEDIUM
    assert flag.source == Flag.Source.DETERIORATION
    assert flag.handled_by == patient.patient_profile.clinician
    assert flag.summary == "Worse than their usual: mood drop"
    assert flag.source_ref == f"cessation.checkin:{third.checkin.pk}"
    (evidence,) = json.loads(flag.signals.get().evidence)
    assert evidence["rule_id"] == "mood_drop"
    assert evidence["reason"] == (
        "Mood has fallen from their usual 7 to 3, 3, 3 over the last 3 check-ins."
    )
    assert Notification.objects.filter(
        recipient=patient.patient_profile.clinician, kind="safety_flag"
    ).exists()


def test_a_further_low_check_in_adds_to_the_same_deterioration_flag(clock, patient):
    good_week(patient)
    three_low_days(patient)

    check_in(patient, TODAY, mood=2, note="")  # today's check-in changed: still low

    flag = deterioration_flags(patient).get()
    assert flag.signal_count == 2


def test_an_always_low_mood_raises_no_deterioration_flag(clock, patient):
    good_week(patient, mood=3)

    three_low_days(patient)

    assert not deterioration_flags(patient).exists()


def test_without_a_baseline_no_deterioration_flag_is_raised(clock, patient):
    CheckInFactory(patient=patient, day=TODAY - timedelta(days=4), mood=9)

    three_low_days(patient)

    assert not deterioration_flags(patient).exists()


def test_the_deterioration_thresholds_come_from_settings(clock, settings, patient):
    settings.CESSATION_DETERIORATION = {**settings.CESSATION_DETERIORATION, "mood_drop": 5}
    good_week(patient)

    three_low_days(patient)

    assert not deterioration_flags(patient).exists()


def test_yes_to_the_safety_question_raises_the_crisis_flag_and_no_deterioration_flag(
    clock, patient
):
    good_week(patient)
    for back in (3, 2, 1):
        check_in(patient, TODAY - timedelta(days=back))

    result = check_in(patient, TODAY, harm_thoughts="yes")

    assert result.crisis
    crisis = Flag.objects.get(patient=patient, category=Flag.Category.CRISIS)
    assert crisis.severity == Severity.HIGH
    assert result.flags == (crisis,)
    assert not deterioration_flags(patient).exists()


def test_yes_during_a_deterioration_raises_one_crisis_flag_and_one_deterioration_flag(
    clock, patient
):
    good_week(patient)
    check_in(patient, TODAY - timedelta(days=2), mood=3)
    check_in(patient, TODAY - timedelta(days=1), mood=3)

    result = check_in(patient, TODAY, mood=3, harm_thoughts="yes")

    assert result.crisis
    assert Flag.objects.filter(patient=patient, category=Flag.Category.CRISIS).count() == 1
    flag = deterioration_flags(patient).get()
    assert flag.signal_count == 1
    assert {f.category for f in result.flags} == {"crisis", "deterioration"}


def test_a_patient_in_the_withdrawal_weeks_is_still_flagged(clock, patient):
    QuitPlanFactory(patient=patient, quit_date=TODAY - timedelta(days=10))
    good_week(patient)

    three_low_days(patient)

    flag = deterioration_flags(patient).get()
    assert flag.severity == Severity.MEDIUM
    assert CheckIn.objects.filter(patient=patient).count() == 10


# --- The 4-week CO window -------------------------------------------------------------------


def test_the_day_the_co_window_opens_the_patient_and_clinician_get_one_notice_each(clock, patient):
    QuitPlanFactory(patient=patient, quit_date=TODAY - timedelta(days=25))
    clinician = patient.patient_profile.clinician

    assert services.co_window_notices_send() == 1

    to_patient = Notification.objects.get(recipient=patient, kind="co_window")
    assert to_patient.url == "/progress/"
    assert "1 August" in to_patient.body  # the window closes 42 days after the quit date
    to_clinician = Notification.objects.get(recipient=clinician, kind="co_window")
    assert patient.full_name not in to_clinician.title
    notice = FollowUpNotice.objects.get(patient=patient)
    assert (notice.kind, notice.due_on) == ("co_window", TODAY)

    clock.advance(hours=1)
    assert services.co_window_notices_send() == 0
    assert Notification.objects.filter(kind="co_window").count() == 2


@pytest.mark.parametrize("days_since_quit", [24, 26, 30])
def test_on_other_days_no_co_window_notice_goes(clock, patient, days_since_quit):
    QuitPlanFactory(patient=patient, quit_date=TODAY - timedelta(days=days_since_quit))

    assert services.co_window_notices_send() == 0
    assert not Notification.objects.filter(kind="co_window").exists()


def test_the_co_window_opens_on_the_patients_own_date(clock):
    london = make_patient()
    kolkata = make_patient(time_zone="Asia/Kolkata")
    QuitPlanFactory(patient=london, quit_date=date(2025, 6, 20))  # window opens 15 July
    QuitPlanFactory(patient=kolkata, quit_date=date(2025, 6, 20))
    # 21:00 on 15 July in London is already 01:30 on 16 July in Kolkata.
    clock.set(datetime(2025, 7, 15, 20, 0, tzinfo=UTC))

    assert services.co_window_notices_send() == 1

    assert Notification.objects.filter(recipient=london, kind="co_window").exists()
    assert not Notification.objects.filter(recipient=kolkata, kind="co_window").exists()


def test_an_inactive_patient_gets_no_co_window_notice(clock, patient):
    QuitPlanFactory(patient=patient, quit_date=TODAY - timedelta(days=25))
    patient.is_active = False
    patient.save(update_fields=["is_active"])

    assert services.co_window_notices_send() == 0
