"""Check-in schedules and reminders (cessation/services/schedules.py): the default schedule,
claiming due schedules with a lease, sending a batch of reminders once, the beat tick's bounded
fan-out, claims and sends racing on PostgreSQL, and changing a schedule.

The clock is set by each test: 11:00 UTC on Tuesday 15 July 2025 (noon in London, BST), and the
patients' reminder is at 19:00 London time (18:00 UTC) unless a test says otherwise. Patients
here were discharged long ago, so the early (more frequent) times no longer apply.
"""

from __future__ import annotations

import math
import threading
from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from cessation import services
from cessation.models import CheckInReminder, CheckInSchedule
from cessation.services import checkin_allowed_days
from cessation.tasks import checkin_reminder_batch_task
from core import services as core_services
from core import tasks as core_tasks
from core.models import AuditEvent, Notification, NotificationDelivery
from tests.cessation.factories import CheckInFactory, Clock
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.safety.factories import postgres_only, run_in_threads

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 7, 15, 11, 0, tzinfo=UTC)  # noon in London (BST)
SLOT = datetime(2025, 7, 15, 18, 0, tzinfo=UTC)  # 19:00 in London
NEXT_SLOT = SLOT + timedelta(days=1)
TODAY = date(2025, 7, 15)
LONG_AGO = date(2025, 4, 1)  # discharged: past the early weeks
LEASE = timedelta(seconds=300)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, NOW)


def make_patient(**profile):
    profile.setdefault("discharged_on", LONG_AGO)
    return PatientFactory(**{f"profile__{key}": value for key, value in profile.items()})


def scheduled(count: int = 1, **profile) -> list[CheckInSchedule]:
    return [services.schedule_for(make_patient(**profile)) for _ in range(count)]


def reload(schedule: CheckInSchedule) -> CheckInSchedule:
    return CheckInSchedule.objects.get(pk=schedule.pk)


def reminders_of(patient) -> list[CheckInReminder]:
    return list(CheckInReminder.objects.filter(patient=patient).order_by("slot_at"))


# --- The default schedule ---------------------------------------------------------------------


def test_a_new_patients_schedule_has_the_deployments_defaults(clock):
    patient = make_patient()

    schedule = services.schedule_for(patient)

    assert schedule.pk == patient.pk
    assert schedule.frequency == CheckInSchedule.Frequency.DAILY
    assert schedule.times == ["19:00"]
    assert schedule.early_times == ["09:30", "19:00"]
    assert (schedule.quiet_start, schedule.quiet_end) == (time(22, 0), time(8, 0))
    assert schedule.is_active
    assert schedule.next_due_at == SLOT
    assert schedule.next_due_at > clock.at
    # Today's check-in is looked for tomorrow at 08:00 London time, when quiet hours end.
    assert schedule.next_missed_check_at == datetime(2025, 7, 16, 7, 0, tzinfo=UTC)
    assert schedule.missed_in_row == 0
    assert schedule.claimed_until is None


def test_the_defaults_come_from_settings(clock, settings):
    settings.CESSATION_CHECKIN_TIMES = ["18:30"]
    settings.CESSATION_EARLY_CHECKIN_TIMES = ["08:45", "18:30"]
    settings.CESSATION_QUIET_HOURS = ["21:00", "07:30"]

    schedule = services.schedule_for(make_patient())

    assert schedule.times == ["18:30"]
    assert schedule.early_times == ["08:45", "18:30"]
    assert (schedule.quiet_start, schedule.quiet_end) == (time(21, 0), time(7, 30))
    assert schedule.next_due_at == datetime(2025, 7, 15, 17, 30, tzinfo=UTC)


def test_in_the_first_weeks_after_discharge_the_early_times_apply(clock):
    clock.set(datetime(2025, 7, 15, 7, 0, tzinfo=UTC))  # 08:00 in London
    recent = services.schedule_for(make_patient(discharged_on=TODAY - timedelta(days=7)))
    settled = services.schedule_for(make_patient(discharged_on=LONG_AGO))

    assert recent.next_due_at == datetime(2025, 7, 15, 8, 30, tzinfo=UTC)  # 09:30 London
    assert settled.next_due_at == SLOT


def test_the_schedule_follows_the_patients_time_zone(clock):
    (new_york,) = scheduled(time_zone="America/New_York")
    (kolkata,) = scheduled(time_zone="Asia/Kolkata")

    assert new_york.next_due_at == datetime(2025, 7, 15, 23, 0, tzinfo=UTC)
    # 11:00 UTC is 16:30 in Kolkata: today's 19:00 there (13:30 UTC) is still to come.
    assert kolkata.next_due_at == datetime(2025, 7, 15, 13, 30, tzinfo=UTC)


def test_a_schedule_is_created_once_even_when_asked_for_twice(clock):
    patient = make_patient()

    first = services.schedule_for(patient)
    clock.advance(hours=1)
    second = services.schedule_for(patient)

    assert first.pk == second.pk
    assert second.next_due_at == first.next_due_at
    assert CheckInSchedule.objects.filter(patient=patient).count() == 1


def test_schedules_ensure_gives_active_patients_without_one_the_default(clock):
    without = [make_patient(), make_patient()]
    (already,) = scheduled()
    CheckInSchedule.objects.filter(pk=already.pk).update(times=["10:00"])
    inactive = make_patient()
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    staff = [ClinicianFactory(mfa=False), PeerFactory(mfa=False), AdminFactory(mfa=False)]

    created = services.schedules_ensure()

    assert created == 2
    assert set(CheckInSchedule.objects.values_list("pk", flat=True)) == {
        already.pk,
        *(p.pk for p in without),
    }
    assert reload(already).times == ["10:00"]  # untouched
    assert not CheckInSchedule.objects.filter(pk__in=[inactive.pk, *(u.pk for u in staff)])
    for patient in without:
        assert reload(patient.checkin_schedule).next_due_at == SLOT
    assert services.schedules_ensure() == 0


def test_schedules_ensure_works_in_bounded_batches(clock):
    patients = [make_patient() for _ in range(5)]

    assert services.schedules_ensure(batch_size=2) == 2
    assert services.schedules_ensure(batch_size=2) == 2
    assert services.schedules_ensure(batch_size=2) == 1
    assert services.schedules_ensure(batch_size=2) == 0
    assert CheckInSchedule.objects.filter(patient__in=patients).count() == 5


# --- Claiming due schedules -------------------------------------------------------------------


def test_claiming_returns_the_due_active_schedules_and_leases_them(clock):
    due = scheduled(2)
    future = scheduled(time_zone="America/New_York")  # 23:00 UTC
    inactive = scheduled()
    CheckInSchedule.objects.filter(pk=inactive[0].pk).update(is_active=False)
    clock.set(SLOT)

    claimed = services.reminders_claim_due()

    assert sorted(claimed) == sorted(s.pk for s in due)
    for schedule in due:
        assert reload(schedule).claimed_until == SLOT + LEASE
    assert reload(future[0]).claimed_until is None
    assert reload(inactive[0]).claimed_until is None


def test_a_second_claim_at_the_same_moment_finds_nothing(clock):
    scheduled(3)
    clock.set(SLOT)

    assert len(services.reminders_claim_due()) == 3
    assert services.reminders_claim_due() == []
    assert services.reminders_claim_due(now=SLOT + LEASE - timedelta(seconds=1)) == []


def test_a_claim_whose_lease_expired_is_claimed_again(clock):
    schedules = scheduled(3)
    clock.set(SLOT)
    first = services.reminders_claim_due()

    again = services.reminders_claim_due(now=SLOT + LEASE + timedelta(seconds=1))

    assert sorted(again) == sorted(first) == sorted(s.pk for s in schedules)
    assert reload(schedules[0]).claimed_until == SLOT + 2 * LEASE + timedelta(seconds=1)


def test_the_lease_length_comes_from_settings(clock, settings):
    settings.CESSATION_CLAIM_LEASE_SECONDS = 30
    (schedule,) = scheduled()
    clock.set(SLOT)

    services.reminders_claim_due()

    assert reload(schedule).claimed_until == SLOT + timedelta(seconds=30)
    assert services.reminders_claim_due(now=SLOT + timedelta(seconds=31)) == [schedule.pk]


def test_inactive_and_future_schedules_are_never_claimed(clock):
    (inactive,) = scheduled()
    CheckInSchedule.objects.filter(pk=inactive.pk).update(is_active=False)
    (later,) = scheduled()
    CheckInSchedule.objects.filter(pk=later.pk).update(next_due_at=SLOT + timedelta(minutes=1))

    assert services.reminders_claim_due(now=SLOT) == []
    assert services.reminders_claim_due(now=SLOT + timedelta(seconds=59)) == []
    assert services.reminders_claim_due(now=SLOT + timedelta(minutes=1)) == [later.pk]
    # Days later (the lease long gone): the future one, never sent, again; the inactive never.
    assert services.reminders_claim_due(now=SLOT + timedelta(days=2)) == [later.pk]
    assert reload(inactive).claimed_until is None


def test_a_claim_takes_at_most_the_limit_oldest_first(clock):
    schedules = scheduled(5)
    for minutes, schedule in enumerate(schedules):
        CheckInSchedule.objects.filter(pk=schedule.pk).update(
            next_due_at=SLOT - timedelta(minutes=minutes)
        )
    clock.set(SLOT)
    oldest_first = [s.pk for s in reversed(schedules)]

    assert services.reminders_claim_due(limit=2) == oldest_first[:2]
    assert services.reminders_claim_due(limit=2) == oldest_first[2:4]
    assert services.reminders_claim_due(limit=2) == oldest_first[4:]
    assert services.reminders_claim_due(limit=2) == []


def test_the_default_claim_limit_is_batch_size_times_max_batches(clock, settings):
    settings.CESSATION_REMINDER_BATCH_SIZE = 2
    settings.CESSATION_REMINDER_MAX_BATCHES = 2
    scheduled(5)
    clock.set(SLOT)

    assert len(services.reminders_claim_due()) == 4
    assert len(services.reminders_claim_due()) == 1


# --- Sending a batch --------------------------------------------------------------------------


def test_a_batch_sends_one_reminder_per_due_schedule_and_moves_each_on(
    clock, django_capture_on_commit_callbacks
):
    schedules = scheduled(3)
    clock.set(SLOT + timedelta(seconds=20))
    ids = services.reminders_claim_due()

    with (
        mock.patch.object(core_tasks.notification_deliver_batch_task, "apply_async") as deliver,
        django_capture_on_commit_callbacks(execute=True),
    ):
        sent = services.reminders_send_batch(schedule_ids=ids)

    assert sent == 3
    for schedule in schedules:
        (reminder,) = reminders_of(schedule.patient)
        assert reminder.kind == CheckInReminder.Kind.REMINDER
        assert reminder.slot_at == SLOT
        assert reminder.day == TODAY
        notification = reminder.notification
        assert notification.recipient == schedule.patient
        assert notification.kind == "checkin_reminder"
        assert notification.url == "/check-in/2025-07-15/"
        email = NotificationDelivery.objects.get(notification=notification)
        assert email.channel == "email"
        assert email.status == NotificationDelivery.Status.PENDING
        moved = reload(schedule)
        assert moved.next_due_at == NEXT_SLOT
        assert moved.claimed_until is None
    # No message per email: the emails are due at once, for the delivery sweep to send.
    assert not deliver.called
    assert set(NotificationDelivery.objects.values_list("next_attempt_at", flat=True)) == {
        SLOT + timedelta(seconds=20)
    }
    assert core_services.notification_delivery_sweep() == 3
    assert set(NotificationDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_reminders_title_carries_no_health_details(clock):
    patient = PatientFactory(full_name="Philippa Quarrington", profile__discharged_on=LONG_AGO)
    schedule = services.schedule_for(patient)
    clock.set(SLOT)

    services.reminders_send_batch(schedule_ids=[schedule.pk])

    # The title travels by email: it says nothing about smoking, mood or care, nor who it is.
    title = Notification.objects.get(kind="checkin_reminder").title.lower()
    assert title
    for word in ("smok", "cigar", "quit", "mood", "craving", "mental", "philippa", "quarrington"):
        assert word not in title


def test_a_batch_run_twice_sends_nothing_more(clock):
    schedules = scheduled(2)
    clock.set(SLOT)
    ids = services.reminders_claim_due()

    assert services.reminders_send_batch(schedule_ids=ids) == 2
    assert services.reminders_send_batch(schedule_ids=ids) == 0
    clock.advance(minutes=10)
    assert services.reminders_send_batch(schedule_ids=ids) == 0

    assert CheckInReminder.objects.count() == 2
    assert Notification.objects.filter(kind="checkin_reminder").count() == 2
    assert all(reload(s).next_due_at == NEXT_SLOT for s in schedules)


def test_a_slot_already_reminded_is_never_reminded_again(clock):
    (schedule,) = scheduled()
    clock.set(SLOT)
    services.reminders_send_batch(schedule_ids=[schedule.pk])
    # As if the schedule had not moved on (a restored backup, a hand edit): due for that slot.
    CheckInSchedule.objects.filter(pk=schedule.pk).update(next_due_at=SLOT)
    clock.advance(minutes=1)

    assert services.reminders_send_batch(schedule_ids=[schedule.pk]) == 0

    assert len(reminders_of(schedule.patient)) == 1
    assert Notification.objects.filter(kind="checkin_reminder").count() == 1
    assert reload(schedule).next_due_at == NEXT_SLOT


def test_a_batch_leaves_schedules_that_are_not_due_alone(clock):
    (due,) = scheduled()
    (later,) = scheduled(time_zone="America/New_York")
    clock.set(SLOT)

    assert services.reminders_send_batch(schedule_ids=[due.pk, later.pk]) == 1

    assert reminders_of(later.patient) == []
    assert reload(later).next_due_at == later.next_due_at


def test_a_patient_who_already_checked_in_today_is_not_reminded_but_moves_on(clock):
    checked_in, waiting = scheduled(2)
    CheckInFactory(patient=checked_in.patient, day=TODAY)
    clock.set(SLOT)

    sent = services.reminders_send_batch(schedule_ids=[checked_in.pk, waiting.pk])

    assert sent == 1
    assert reminders_of(checked_in.patient) == []
    assert len(reminders_of(waiting.patient)) == 1
    assert reload(checked_in).next_due_at == NEXT_SLOT
    assert reload(checked_in).claimed_until is None


def test_yesterdays_check_in_does_not_stop_todays_reminder(clock):
    (schedule,) = scheduled()
    CheckInFactory(patient=schedule.patient, day=TODAY - timedelta(days=1))
    clock.set(SLOT)

    assert services.reminders_send_batch(schedule_ids=[schedule.pk]) == 1


def test_after_an_outage_one_reminder_goes_for_today_not_a_storm(clock):
    schedules = scheduled(3)
    # The beat was down for three days: every slot since 12 July was missed.
    CheckInSchedule.objects.update(next_due_at=SLOT - timedelta(days=3))
    clock.set(SLOT + timedelta(minutes=5))

    ids = services.reminders_claim_due()
    sent = services.reminders_send_batch(schedule_ids=ids)

    assert sent == 3
    for schedule in schedules:
        (reminder,) = reminders_of(schedule.patient)
        # The latest missed slot: its link opens today's check-in.
        assert reminder.slot_at == SLOT
        assert reminder.notification.url == "/check-in/2025-07-15/"
        assert reload(schedule).next_due_at == NEXT_SLOT
        assert reload(schedule).next_due_at > clock.at
    assert services.reminders_claim_due() == []
    assert services.reminders_send_batch(schedule_ids=ids) == 0
    assert CheckInReminder.objects.count() == 3


def test_after_a_long_outage_the_reminders_link_is_a_day_that_can_still_be_checked_in(clock):
    (schedule,) = scheduled()
    CheckInSchedule.objects.update(next_due_at=SLOT - timedelta(days=10))
    clock.set(datetime(2025, 7, 15, 12, 0, tzinfo=UTC))  # 13:00 London: before today's slot

    assert services.reminders_send_batch(schedule_ids=[schedule.pk]) == 1

    (reminder,) = reminders_of(schedule.patient)
    assert reminder.day == TODAY - timedelta(days=1)  # yesterday's 19:00 was the latest
    assert reminder.day in checkin_allowed_days(schedule.patient, today=TODAY)
    assert reload(schedule).next_due_at == SLOT


def test_a_deactivated_patients_schedule_becomes_inactive_and_is_never_reminded(clock):
    (schedule,) = scheduled()
    patient = schedule.patient
    patient.is_active = False
    patient.save(update_fields=["is_active"])
    clock.set(SLOT)

    assert services.reminders_claim_due() == [schedule.pk]  # the row does not know yet
    assert services.reminders_send_batch(schedule_ids=[schedule.pk]) == 0

    stopped = reload(schedule)
    assert not stopped.is_active
    assert stopped.next_due_at is None
    assert stopped.next_missed_check_at is None
    assert reminders_of(patient) == []
    assert Notification.objects.filter(recipient=patient).count() == 0
    assert services.reminders_claim_due(now=SLOT + timedelta(days=3)) == []


def test_a_withdrawn_patients_schedule_becomes_inactive_and_is_never_reminded(clock):
    (schedule,) = scheduled()
    profile = schedule.patient.patient_profile
    profile.programme_status = profile.ProgrammeStatus.WITHDRAWN
    profile.save(update_fields=["programme_status"])
    clock.set(SLOT)

    assert services.reminders_send_batch(schedule_ids=[schedule.pk]) == 0

    assert not reload(schedule).is_active
    assert reminders_of(schedule.patient) == []
    assert services.reminders_claim_due(now=SLOT + timedelta(days=3)) == []


def test_a_withdrawn_patient_gets_an_inactive_schedule_from_the_start(clock):
    patient = make_patient(programme_status="withdrawn")

    schedule = services.schedule_for(patient)

    assert not schedule.is_active
    assert schedule.next_due_at is None


# --- The beat tick --------------------------------------------------------------------------


def test_a_tick_queues_batches_of_ids_on_the_reminders_queue_after_commit(
    clock, settings, django_capture_on_commit_callbacks
):
    settings.CESSATION_REMINDER_BATCH_SIZE = 3
    schedules = scheduled(7)
    clock.set(SLOT)

    with (
        mock.patch.object(checkin_reminder_batch_task, "apply_async") as queue,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        claimed = services.reminders_tick()
        assert not queue.called  # nothing goes before the claim is committed

    assert claimed == 7
    assert len(callbacks) == math.ceil(7 / 3)
    assert queue.call_count == math.ceil(7 / 3)  # never one message per patient
    batches = [c.kwargs["args"][0] for c in queue.call_args_list]
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(pk for b in batches for pk in b) == sorted(s.pk for s in schedules)
    for call in queue.call_args_list:
        assert call.kwargs["queue"] == "reminders"
        assert not {"eta", "countdown"} & set(call.kwargs)  # no ETA past the visibility timeout
    assert CheckInReminder.objects.count() == 0  # the worker sends them, not the tick


def test_one_tick_queues_a_bounded_number_of_batches_and_the_next_takes_the_rest(
    clock, settings, django_capture_on_commit_callbacks
):
    settings.CESSATION_REMINDER_BATCH_SIZE = 2
    settings.CESSATION_REMINDER_MAX_BATCHES = 2
    scheduled(7)
    clock.set(SLOT)

    with mock.patch.object(checkin_reminder_batch_task, "apply_async") as queue:
        with django_capture_on_commit_callbacks(execute=True):
            first = services.reminders_tick()
        assert (first, queue.call_count) == (4, 2)
        with django_capture_on_commit_callbacks(execute=True):
            second = services.reminders_tick()
        assert (second, queue.call_count) == (3, 4)
        with django_capture_on_commit_callbacks(execute=True):
            third = services.reminders_tick()
        assert (third, queue.call_count) == (0, 4)

    queued = [pk for c in queue.call_args_list for pk in c.kwargs["args"][0]]
    assert len(queued) == len(set(queued)) == 7


def test_a_tick_with_nothing_due_queues_nothing(clock, django_capture_on_commit_callbacks):
    scheduled(2)

    with (
        mock.patch.object(checkin_reminder_batch_task, "apply_async") as queue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.reminders_tick() == 0

    assert not queue.called


def test_the_batches_a_tick_queues_remind_everyone_once(
    clock, settings, django_capture_on_commit_callbacks
):
    settings.CESSATION_REMINDER_BATCH_SIZE = 2
    schedules = scheduled(5)
    clock.set(SLOT)
    with (
        mock.patch.object(checkin_reminder_batch_task, "apply_async") as queue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.reminders_tick()

    # What a worker would do with each message.
    for call in queue.call_args_list:
        services.reminders_send_batch(schedule_ids=call.kwargs["args"][0])

    assert queue.call_count == 3
    assert sorted(CheckInReminder.objects.values_list("patient_id", flat=True)) == sorted(
        s.pk for s in schedules
    )
    assert services.reminders_claim_due(now=SLOT + LEASE * 2) == []


# --- Claims and sends racing (PostgreSQL) ---------------------------------------------------


@pytest.fixture
def no_broker():
    """Transactional tests commit for real: keep the queued notices off the broker."""
    with (
        mock.patch.object(core_tasks.notification_deliver_batch_task, "apply_async"),
        mock.patch.object(checkin_reminder_batch_task, "apply_async"),
    ):
        yield


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_rows_another_claim_holds_so_the_two_sets_are_disjoint(clock, no_broker):
    schedules = scheduled(20)
    clock.set(SLOT)
    first_holds, second_done = threading.Event(), threading.Event()

    def first_claim():
        with transaction.atomic():
            ids = services.reminders_claim_due(limit=12)
            first_holds.set()
            # Keep the row locks while the other claim runs: it must not wait for them.
            not_blocked = second_done.wait(10)
        return ids, not_blocked

    def second_claim():
        assert first_holds.wait(10)
        try:
            return services.reminders_claim_due(limit=12)
        finally:
            second_done.set()

    (first, not_blocked), second = run_in_threads(first_claim, second_claim)

    assert not isinstance(second, Exception), second
    assert not_blocked, "the second claim waited for the first one's locks"
    assert len(first) == 12
    assert len(second) == 8
    assert not set(first) & set(second)  # nobody twice
    assert set(first) | set(second) == {s.pk for s in schedules}  # nobody skipped


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_beats_claiming_at_once_share_the_due_schedules(clock, no_broker):
    schedules = scheduled(40)
    clock.set(SLOT)
    barrier = threading.Barrier(2)

    def claim():
        barrier.wait(10)
        return services.reminders_claim_due(limit=25)

    first, second = run_in_threads(claim, claim)

    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert not set(first) & set(second)
    assert set(first) | set(second) == {s.pk for s in schedules}
    assert services.reminders_claim_due() == []


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_overlapping_batches_send_each_reminder_once(clock, no_broker):
    schedules = scheduled(15)
    ids = [s.pk for s in schedules]
    clock.set(SLOT)
    first_holds, second_done = threading.Event(), threading.Event()

    def first_worker():
        with transaction.atomic():
            sent = services.reminders_send_batch(schedule_ids=ids[:10])
            first_holds.set()
            # Still uncommitted: the overlapping batch waits for this one's outcome on the five
            # schedules they share, instead of reminding them a second time.
            waited = not second_done.wait(1)
        return sent, waited

    def second_worker():
        assert first_holds.wait(10)
        try:
            return services.reminders_send_batch(schedule_ids=ids[5:])
        finally:
            second_done.set()

    (first, waited), second = run_in_threads(first_worker, second_worker)

    assert waited, "the second batch did not wait for the rows the first one had moved"
    assert (first, second) == (10, 5)
    assert CheckInReminder.objects.count() == 15
    assert Notification.objects.filter(kind="checkin_reminder").count() == 15
    assert set(CheckInReminder.objects.values_list("patient_id", flat=True)) == set(ids)
    assert set(CheckInSchedule.objects.values_list("next_due_at", flat=True)) == {NEXT_SLOT}


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_by_two_workers_at_once_reminds_each_patient_once(clock, no_broker):
    schedules = scheduled(30)
    ids = [s.pk for s in schedules]
    clock.set(SLOT)
    barrier = threading.Barrier(2)

    def send():
        barrier.wait(10)
        return services.reminders_send_batch(schedule_ids=ids)

    first, second = run_in_threads(send, send)

    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert first + second == 30
    assert CheckInReminder.objects.count() == 30
    assert Notification.objects.filter(kind="checkin_reminder").count() == 30
    assert NotificationDelivery.objects.count() == 30


# --- Changing a schedule ----------------------------------------------------------------------


@pytest.fixture
def schedule(clock):
    (schedule,) = scheduled(backup_clinician=ClinicianFactory(mfa=False))
    return schedule


def update(schedule, *, by=None, **changes):
    fields = {"frequency": "daily", "times": ["19:00"]}
    fields.update(changes)
    return services.schedule_update(patient=schedule.patient, by=by or schedule.patient, **fields)


def test_a_patient_can_change_their_reminder_time_and_the_next_due_time_follows(schedule):
    updated = update(schedule, times=["10:00", "17:30"])

    assert updated.times == ["10:00", "17:30"]
    saved = reload(schedule)
    assert saved.times == ["10:00", "17:30"]
    assert saved.next_due_at == datetime(2025, 7, 15, 16, 30, tzinfo=UTC)  # 17:30 London
    assert saved.updated_by == schedule.patient
    event = AuditEvent.objects.get(action="checkin_schedule.updated")
    assert event.actor_id == schedule.patient.pk
    assert event.subject_id == schedule.patient.pk
    assert event.detail == {"frequency": "daily", "times": 2}


@pytest.mark.parametrize("who", ["clinician", "backup_clinician"])
def test_the_patients_clinicians_can_change_the_schedule(schedule, who):
    clinician = getattr(schedule.patient.patient_profile, who)

    update(schedule, by=clinician, times=["09:00"])

    saved = reload(schedule)
    assert saved.times == ["09:00"]
    assert saved.next_due_at == datetime(2025, 7, 16, 8, 0, tzinfo=UTC)
    assert saved.updated_by == clinician
    assert AuditEvent.objects.filter(action="checkin_schedule.updated", actor=clinician).exists()


@pytest.mark.parametrize("who", ["other_clinician", "peer", "admin", "other_patient"])
def test_nobody_else_can_change_the_schedule(schedule, who):
    schedule.patient.patient_profile.peer_specialist = PeerFactory(mfa=False)
    schedule.patient.patient_profile.save(update_fields=["peer_specialist"])
    by = {
        "other_clinician": lambda: ClinicianFactory(mfa=False),
        "peer": lambda: schedule.patient.patient_profile.peer_specialist,
        "admin": lambda: AdminFactory(mfa=False),
        "other_patient": make_patient,
    }[who]()

    with pytest.raises(PermissionDenied):
        update(schedule, by=by, times=["09:00"])

    assert reload(schedule).times == ["19:00"]
    assert not AuditEvent.objects.filter(action="checkin_schedule.updated").exists()


def assert_unchanged(schedule):
    saved = reload(schedule)
    assert saved.frequency == schedule.frequency
    assert saved.times == schedule.times
    assert saved.early_times == schedule.early_times
    assert saved.weekday == schedule.weekday
    assert (saved.quiet_start, saved.quiet_end) == (schedule.quiet_start, schedule.quiet_end)
    assert saved.next_due_at == schedule.next_due_at
    assert not AuditEvent.objects.filter(action="checkin_schedule.updated").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"times": ["23:00"]}, "times", "23:00 is in quiet hours (22:00 to 08:00)"),
        ({"times": ["19:00", "06:30"]}, "times", "06:30 is in quiet hours"),
        ({"times": ["7pm"]}, "times", "'7pm' is not a time like 19:00."),
        ({"times": ["25:00"]}, "times", "'25:00' is not a time like 19:00."),
        ({"times": []}, "times", "Choose at least one time."),
        ({"times": ["09:00", "11:00", "13:00", "15:00", "17:00"]}, "times", "at most 4"),
        ({"early_times": ["07:00", "19:00"]}, "early_times", "07:00 is in quiet hours"),
        ({"early_times": ["noon"]}, "early_times", "'noon' is not a time like 19:00."),
        # Quiet hours moved over the chosen time.
        (
            {"quiet_start": "18:00", "early_times": []},
            "times",
            "19:00 is in quiet hours (18:00 to 08:00)",
        ),
        ({"quiet_start": "25:00"}, "quiet_start", "'25:00' is not a time like 19:00."),
        ({"quiet_end": "late"}, "quiet_end", "'late' is not a time like 19:00."),
        ({"frequency": "hourly"}, "frequency", "Choose every day or once a week."),
        ({"frequency": "weekly"}, "weekday", "Choose the day of the week."),
        ({"frequency": "weekly", "weekday": 7}, "weekday", "Choose a day of the week."),
    ],
)
def test_a_bad_schedule_is_refused_on_the_right_field_and_nothing_changes(
    schedule, changes, field, message
):
    with pytest.raises(ValidationError) as refused:
        update(schedule, **changes)

    errors = refused.value.message_dict
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert_unchanged(schedule)


def test_a_weekly_schedule_reminds_on_its_day(schedule):
    update(schedule, frequency="weekly", weekday=4, times=["18:00"])  # Fridays

    saved = reload(schedule)
    assert saved.frequency == "weekly"
    assert saved.weekday == 4
    assert saved.next_due_at == datetime(2025, 7, 18, 17, 0, tzinfo=UTC)


def test_going_back_to_daily_forgets_the_weekday(schedule):
    update(schedule, frequency="weekly", weekday=4)
    update(schedule, frequency="daily")

    saved = reload(schedule)
    assert saved.weekday is None
    assert saved.next_due_at == SLOT


def test_quiet_hours_can_be_changed_and_then_a_late_time_is_allowed(schedule):
    update(schedule, times=["23:00"], quiet_start="23:30", quiet_end="07:00")

    saved = reload(schedule)
    assert (saved.quiet_start, saved.quiet_end) == (time(23, 30), time(7, 0))
    assert saved.next_due_at == datetime(2025, 7, 15, 22, 0, tzinfo=UTC)


def test_the_early_times_can_be_changed_and_apply_after_a_recent_discharge(clock):
    (schedule,) = scheduled(discharged_on=TODAY - timedelta(days=3))

    update(schedule, times=["19:00"], early_times=["12:30", "19:00"])

    saved = reload(schedule)
    assert saved.early_times == ["12:30", "19:00"]
    assert saved.next_due_at == datetime(2025, 7, 15, 11, 30, tzinfo=UTC)


def test_quiet_hours_moved_over_shown_early_times_are_refused_there_too(schedule):
    with pytest.raises(ValidationError) as refused:
        update(schedule, quiet_start="18:00", early_times=["09:30", "19:00"])

    assert refused.value.message_dict == {
        "times": ["19:00 is in quiet hours (18:00 to 08:00): choose another time."],
        "early_times": ["19:00 is in quiet hours (18:00 to 08:00): choose another time."],
    }
    assert_unchanged(schedule)


def test_kept_early_times_that_new_quiet_hours_cover_are_dropped_not_held_against_the_change(
    schedule,
):
    # The form does not show early times once the first weeks are over: they are kept, and a
    # change of quiet hours that covers one of them is not refused over a time nobody sees.
    update(schedule, times=["19:00"], quiet_start="23:00", quiet_end="10:00")

    saved = reload(schedule)
    assert (saved.quiet_start, saved.quiet_end) == (time(23, 0), time(10, 0))
    assert saved.early_times == ["19:00"]


def test_leaving_out_the_early_times_keeps_them_and_an_empty_list_clears_them(schedule):
    assert reload(schedule).early_times == ["09:30", "19:00"]

    update(schedule, times=["18:00"])
    assert reload(schedule).early_times == ["09:30", "19:00"]

    update(schedule, times=["18:00"], early_times=[])
    assert reload(schedule).early_times == []


def test_a_change_keeps_the_pending_missed_check_so_today_is_still_counted(clock, schedule):
    pending = reload(schedule).next_missed_check_at
    assert pending is not None

    update(schedule, times=["20:00"])

    assert reload(schedule).next_missed_check_at == pending


def test_a_change_releases_a_claim_and_recomputes_from_now(clock, schedule):
    services.reminders_claim_due(now=SLOT)
    assert reload(schedule).claimed_until is not None
    clock.set(SLOT + timedelta(minutes=30))

    update(schedule, times=["20:00"])

    saved = reload(schedule)
    assert saved.claimed_until is None
    assert saved.next_due_at == datetime(2025, 7, 15, 19, 0, tzinfo=UTC)


def test_a_schedule_that_cannot_be_worked_out_does_not_hold_up_its_batch(clock, caplog):
    good, bad = scheduled(2)
    # Edited outside the forms into something the arithmetic refuses.
    CheckInSchedule.objects.filter(pk=bad.pk).update(times=["25:99"])
    clock.set(SLOT)
    ids = services.reminders_claim_due()

    sent = services.reminders_send_batch(schedule_ids=ids)

    assert sent == 1
    assert [r.patient_id for r in CheckInReminder.objects.all()] == [good.pk]
    assert reload(good).next_due_at == NEXT_SLOT
    # The bad one is left claimed, to be tried again when its lease runs out, and says so.
    assert reload(bad).claimed_until is not None
    assert f"check-in schedule {bad.pk} cannot be worked out" in caplog.text


def test_one_tick_claims_everyone_due_at_the_same_moment_across_several_claims(
    clock, settings, django_capture_on_commit_callbacks
):
    # Claims of CLAIM_BATCHES_AT_ONCE batches each, resumed after the last one claimed: on
    # both databases the keyset must not lose the rest of a group due at the same instant.
    settings.CESSATION_REMINDER_BATCH_SIZE = 1
    settings.CESSATION_REMINDER_MAX_BATCHES = 20
    schedules = scheduled(8)
    clock.set(SLOT)

    with (
        mock.patch.object(checkin_reminder_batch_task, "apply_async") as queue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        claimed = services.reminders_tick()

    assert claimed == 8
    queued = [pk for c in queue.call_args_list for pk in c.kwargs["args"][0]]
    assert sorted(queued) == sorted(s.pk for s in schedules)
