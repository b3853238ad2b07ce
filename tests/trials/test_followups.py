"""Follow-ups: scheduling at each time point, the clock (open, remind, miss, re-anchor) with a
given "now", withdrawal and closing, answers and CO readings, and the wrong time point refused
with nothing changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cessation.models import QuitPlan
from core.exceptions import StateConflict
from core.models import AuditEvent, Notification
from tests.factories import AdminFactory, ClinicianFactory
from tests.trials.followup_helpers import a_participant, at_local, followup_at, withdraw
from tests.trials.helpers import a_recruiting_trial
from trials.models import FollowUp, Trial, Withdrawal
from trials.services import setup
from trials.services.followups import (
    Answers,
    followup_answer,
    followup_record,
    followups_schedule,
    followups_stop,
    followups_tick,
)

pytestmark = pytest.mark.django_db

QUIT = date(2026, 3, 16)  # no quit plan: randomisation + 14 days
OPENS, CLOSES = QUIT + timedelta(days=25), QUIT + timedelta(days=42)  # the 4-week window
NOON = at_local(OPENS, 12)
ABSTINENT = Answers(smoked_since="none", smoked_last_7_days=False)


@pytest.fixture
def participant():
    return a_participant(allocated_at=at_local(date(2026, 3, 2), 10))


def notices(participant, kind=None):
    rows = Notification.objects.filter(recipient=participant.patient)
    return rows.filter(kind=kind) if kind else rows


def test_one_follow_up_per_point_counted_from_the_default_quit_date(participant):
    followups = {f.point.code: f for f in participant.followups.select_related("point")}
    assert set(followups) == {"4w", "12w", "6m"}
    four = followups["4w"]
    assert four.anchor_date == QUIT
    assert (four.window_opens_on, four.due_on, four.window_closes_on) == (
        OPENS,
        QUIT + timedelta(days=28),
        CLOSES,
    )
    assert all(f.status == FollowUp.Status.SCHEDULED for f in followups.values())


def test_scheduling_again_changes_nothing(participant):
    before = list(participant.followups.values_list("pk", "window_opens_on"))
    assert len(followups_schedule(participant=participant)) == 3
    assert list(participant.followups.values_list("pk", "window_opens_on")) == before


def test_a_quit_plan_anchors_the_follow_ups():
    participant = a_participant(
        allocated_at=at_local(date(2026, 3, 2), 10), quit_date=date(2026, 3, 9)
    )
    assert followup_at(participant).window_opens_on == date(2026, 3, 9) + timedelta(days=25)


def test_a_point_counted_from_randomisation():
    trial = a_recruiting_trial()
    point = trial.points.get(code="6m")
    type(point).objects.filter(pk=point.pk).update(anchor="randomisation")
    participant = a_participant(trial=trial, allocated_at=at_local(date(2026, 3, 2), 10))
    assert followup_at(participant, "6m").anchor_date == date(2026, 3, 2)


def test_nothing_opens_before_the_window(participant):
    result = followups_tick(now=at_local(OPENS - timedelta(days=1), 12))
    assert result.opened == 0
    assert followup_at(participant).status == FollowUp.Status.SCHEDULED
    assert not notices(participant).exists()


def test_the_window_opening_opens_it_and_tells_the_participant(participant):
    result = followups_tick(now=NOON)
    followup = followup_at(participant)
    assert result.opened == 1
    assert followup.status == FollowUp.Status.OPEN
    (notice,) = notices(participant)
    assert notice.title == "Your study questions are ready"
    assert notice.url == f"/study/follow-up/{followup.pk}/"
    assert notice.deliveries.get().channel == "email"
    assert AuditEvent.objects.filter(action="followup.opened", target_id=str(followup.pk)).exists()


def test_running_the_tick_twice_sends_nothing_twice(participant):
    followups_tick(now=NOON)
    second = followups_tick(now=NOON + timedelta(minutes=15))
    assert second.as_dict() == dict.fromkeys(second.as_dict(), 0)
    assert notices(participant).count() == 1


def test_no_notice_at_night_in_the_participants_time_zone():
    participant = a_participant(
        allocated_at=at_local(date(2026, 3, 2), 10, "America/New_York"),
        time_zone="America/New_York",
    )
    night = at_local(OPENS, 23, "America/New_York")
    followups_tick(now=night)
    followup = followup_at(participant)
    assert followup.status == FollowUp.Status.OPEN  # it can be answered...
    assert not notices(participant).exists()  # ...but nobody is woken up
    # 08:00 in London is 03:00 in New York: still night there.
    followups_tick(now=at_local(OPENS + timedelta(days=1), 8))
    assert not notices(participant).exists()
    followups_tick(now=at_local(OPENS + timedelta(days=1), 10, "America/New_York"))
    assert notices(participant, "trial_followup_open").count() == 1


def test_reminders_at_most_every_three_days_and_at_most_three(participant, settings):
    followups_tick(now=NOON)
    sent = []
    for day in range(1, 17):
        result = followups_tick(now=NOON + timedelta(days=day))
        if result.reminded:
            sent.append(day)
    assert sent == [3, 6, 9]
    followup = followup_at(participant)
    assert followup.reminders_sent == 3
    assert notices(participant, "trial_followup_reminder").count() == 3


def test_no_reminder_once_answered(participant):
    followups_tick(now=NOON)
    followup_answer(followup=followup_at(participant), by=participant.patient, answers=ABSTINENT)
    followups_tick(now=NOON + timedelta(days=4))
    assert not notices(participant, "trial_followup_reminder").exists()


def test_a_window_that_closes_unanswered_is_missed(participant):
    followups_tick(now=NOON)
    result = followups_tick(now=at_local(CLOSES, 23))
    assert result.missed == 0  # the last day still counts
    result = followups_tick(now=at_local(CLOSES + timedelta(days=1), 0))
    assert result.missed == 1
    assert followup_at(participant).status == FollowUp.Status.MISSED


def test_a_window_passed_while_the_clock_was_down_is_missed_without_a_notice(participant):
    followups_tick(now=at_local(CLOSES + timedelta(days=2), 12))
    assert followup_at(participant).status == FollowUp.Status.MISSED
    assert not notices(participant).exists()


def test_a_changed_quit_date_moves_the_follow_ups_not_yet_open():
    participant = a_participant(
        allocated_at=at_local(date(2026, 3, 2), 10), quit_date=date(2026, 3, 9)
    )
    followups_tick(now=at_local(date(2026, 4, 5), 12))  # the 4-week window opens 3 April
    assert followup_at(participant).status == FollowUp.Status.OPEN
    QuitPlan.objects.filter(patient=participant.patient).update(quit_date=date(2026, 3, 20))
    result = followups_tick(now=at_local(date(2026, 4, 5), 13))
    assert result.reanchored == 2  # 12 weeks and 6 months; the open one stays
    assert followup_at(participant).anchor_date == date(2026, 3, 9)
    moved = followup_at(participant, "12w")
    assert moved.anchor_date == date(2026, 3, 20)
    assert moved.window_opens_on == date(2026, 3, 20) + timedelta(days=77)
    assert followups_tick(now=at_local(date(2026, 4, 5), 14)).reanchored == 0


@pytest.mark.parametrize("level", [Withdrawal.Level.FOLLOW_UP, Withdrawal.Level.ALL])
def test_a_participant_who_stops_follow_up_is_never_asked(participant, level):
    withdraw(participant, level)
    result = followups_tick(now=NOON)
    assert result.opened == 0
    assert result.stopped == 3
    assert set(participant.followups.values_list("status", flat=True)) == {"stopped"}
    assert not notices(participant).exists()


def test_stopping_the_intervention_only_keeps_follow_up(participant):
    withdraw(participant, Withdrawal.Level.INTERVENTION)
    assert followups_tick(now=NOON).opened == 1


def test_followups_stop_stops_what_is_left_and_keeps_what_was_answered(participant):
    followups_tick(now=NOON)
    followup_answer(followup=followup_at(participant), by=participant.patient, answers=ABSTINENT)
    assert followups_stop(participant=participant) == 2
    statuses = dict(participant.followups.values_list("point__code", "status"))
    assert statuses == {"4w": "completed", "12w": "stopped", "6m": "stopped"}


def test_nothing_opens_once_the_trial_has_closed(participant):
    setup.trial_close(trial=participant.trial, by=participant.trial.manager)
    assert followups_tick(now=NOON).opened == 0
    assert followup_at(participant).status == FollowUp.Status.SCHEDULED


def test_two_ticks_share_the_work_in_batches():
    trial = a_recruiting_trial()
    participants = [
        a_participant(trial=trial, allocated_at=at_local(date(2026, 3, 2), 10)) for _ in range(5)
    ]
    assert followups_tick(now=NOON, batch_size=2).opened == 5
    assert followups_tick(now=NOON, batch_size=2).opened == 0
    for participant in participants:
        assert notices(participant).count() == 1


# --- answers ------------------------------------------------------------------------------------


def test_the_participant_answers_an_open_follow_up(participant):
    followups_tick(now=NOON)
    followup = followup_answer(
        followup=followup_at(participant),
        by=participant.patient,
        answers=Answers("more", True, 12),
    )
    assert followup.status == FollowUp.Status.COMPLETED
    assert (followup.smoked_since, followup.smoked_last_7_days, followup.cigarettes_per_day) == (
        "more",
        True,
        12,
    )
    assert followup.source == FollowUp.Source.PATIENT
    assert AuditEvent.objects.filter(action="followup.answered").count() == 1


def test_answers_before_the_window_are_refused(participant):
    with pytest.raises(StateConflict, match="not open yet"):
        followup_answer(
            followup=followup_at(participant), by=participant.patient, answers=ABSTINENT
        )
    assert followup_at(participant).smoked_since == ""


def test_answering_twice_is_refused(participant):
    followups_tick(now=NOON)
    followup_answer(followup=followup_at(participant), by=participant.patient, answers=ABSTINENT)
    with pytest.raises(StateConflict, match="already"):
        followup_answer(
            followup=followup_at(participant),
            by=participant.patient,
            answers=Answers("more", True, 20),
        )
    assert followup_at(participant).smoked_since == "none"


def test_contradicting_answers_are_refused(participant):
    followups_tick(now=NOON)
    with pytest.raises(ValidationError) as error:
        followup_answer(
            followup=followup_at(participant),
            by=participant.patient,
            answers=Answers("none", True, 3),
        )
    assert "smoked_last_7_days" in error.value.error_dict
    assert followup_at(participant).status == FollowUp.Status.OPEN


def test_nobody_else_answers_for_the_participant(participant):
    followups_tick(now=NOON)
    other = a_participant(trial=participant.trial)
    with pytest.raises(PermissionDenied):
        followup_answer(followup=followup_at(participant), by=other.patient, answers=ABSTINENT)


# --- the research team recording ------------------------------------------------------------


def record(participant, code="4w", *, by=None, now=NOON, **kwargs):
    point = participant.trial.points.get(code=code)
    return followup_record(
        participant=participant,
        point=point,
        by=by or participant.patient.patient_profile.clinician,
        now=now,
        **kwargs,
    )


def test_the_clinician_records_answers_by_phone_and_the_co_reading(participant):
    followups_tick(now=NOON)
    followup = record(
        participant,
        answers=ABSTINENT,
        co_ppm=4,
        co_taken_on=OPENS + timedelta(days=1),
        now=NOON + timedelta(days=2),
    )
    assert followup.status == FollowUp.Status.COMPLETED
    assert followup.source == FollowUp.Source.STAFF
    assert (followup.co_ppm, followup.co_taken_on) == (4, OPENS + timedelta(days=1))
    assert followup.co_recorded_by == participant.patient.patient_profile.clinician


def test_the_co_reading_may_follow_the_answers(participant):
    followups_tick(now=NOON)
    followup_answer(followup=followup_at(participant), by=participant.patient, answers=ABSTINENT)
    followup = record(
        participant, co_ppm=12, co_taken_on=OPENS + timedelta(days=2), now=NOON + timedelta(3)
    )
    assert followup.co_ppm == 12
    assert followup.source == FollowUp.Source.PATIENT


def test_an_admin_may_record_too(participant):
    followups_tick(now=NOON)
    assert record(participant, by=AdminFactory(password=None), answers=ABSTINENT).source == "staff"


def unchanged(participant):
    followup = followup_at(participant)
    return followup.smoked_since == "" and followup.co_ppm is None


def test_a_co_reading_taken_outside_the_windows_time_point_is_refused(participant):
    followups_tick(now=NOON)
    with pytest.raises(ValidationError, match="right time point") as error:
        record(
            participant,
            answers=ABSTINENT,
            co_ppm=3,
            co_taken_on=OPENS - timedelta(days=1),
        )
    assert "co_taken_on" in error.value.error_dict
    assert unchanged(participant)  # the answers were not saved either


def test_answers_for_a_time_point_not_open_yet_are_refused(participant):
    followups_tick(now=NOON)
    with pytest.raises(StateConflict, match="not open yet"):
        record(participant, "12w", answers=ABSTINENT)
    with pytest.raises(StateConflict, match="not open yet"):
        record(participant, "12w", co_ppm=3, co_taken_on=OPENS)
    assert followup_at(participant, "12w").smoked_since == ""


def test_a_point_of_another_trial_is_refused(participant):
    followups_tick(now=NOON)
    setup.recruitment_close(trial=participant.trial, by=participant.trial.manager)
    other = setup.trial_create(
        by=AdminFactory(password=None), name="Other", slug="other", recruitment_target=10
    )
    with pytest.raises(ValidationError, match="another study"):
        followup_record(
            participant=participant,
            point=other.points.get(code="4w"),
            by=participant.patient.patient_profile.clinician,
            answers=ABSTINENT,
            now=NOON,
        )
    assert unchanged(participant)


def test_answers_after_stopping_are_refused(participant):
    followups_tick(now=NOON)
    withdraw(participant, Withdrawal.Level.FOLLOW_UP)
    followups_stop(participant=participant)
    with pytest.raises(StateConflict, match="stopped follow-up"):
        record(participant, answers=ABSTINENT)
    assert unchanged(participant)


@pytest.mark.parametrize("ppm", [-1, 101])
def test_a_reading_out_of_range_is_refused(participant, ppm):
    followups_tick(now=NOON)
    with pytest.raises(ValidationError) as error:
        record(participant, co_ppm=ppm, co_taken_on=OPENS)
    assert "co_ppm" in error.value.error_dict
    assert unchanged(participant)


def test_a_reading_dated_in_the_future_is_refused(participant):
    followups_tick(now=NOON)
    with pytest.raises(ValidationError, match="future"):
        record(participant, co_ppm=3, co_taken_on=OPENS + timedelta(days=1))
    assert unchanged(participant)


def test_another_clinician_cannot_record(participant):
    followups_tick(now=NOON)
    with pytest.raises(PermissionDenied):
        record(participant, by=ClinicianFactory(password=None), answers=ABSTINENT)


def test_nothing_is_recorded_once_the_trial_has_closed(participant):
    followups_tick(now=NOON)
    setup.trial_close(trial=participant.trial, by=participant.trial.manager)
    assert Trial.objects.get().status == Trial.Status.CLOSED
    with pytest.raises(StateConflict, match="closed"):
        record(participant, answers=ABSTINENT)
