"""The usual-care arm gets none of the programme: no check-in reminders, no missed check-in
ladder (no peer call, no non-response flag), until the trial closes. A participant who stops the
intervention is paused the same way, and agreeing to the programme again gives it back."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from cessation import services as cessation_services
from cessation.models import CheckInReminder, CheckInSchedule, MissedCheckIn, OutreachTask
from onboarding import services as onboarding_services
from onboarding.models import Consent
from safety.models import Flag
from tests.trials.helpers import a_recruiting_trial
from tests.trials.participation_helpers import a_randomised_patient
from trials.models import Withdrawal
from trials.services import participation, setup

pytestmark = pytest.mark.django_db


def _in_arm(trial, *, programme: bool):
    for _ in range(8):
        patient, participant = a_randomised_patient(trial)
        if participant.allocation.arm.gets_programme == programme:
            return patient, participant
    raise AssertionError("The sequence gave no such arm in 8 allocations")


def _run_the_clock(days: int) -> None:
    """The check-in clock, hourly, for `days` days from now."""
    start = timezone.now()
    for hour in range(0, days * 24, 3):
        now = start + timedelta(hours=hour)
        cessation_services.schedules_ensure()
        cessation_services.reminders_tick(now=now)
        cessation_services.missed_checkins_process(now=now)


def test_usual_care_is_never_reminded_nor_chased():
    trial = a_recruiting_trial()
    patient, _participant = _in_arm(trial, programme=False)
    schedule = CheckInSchedule.objects.get(patient=patient)
    assert schedule.paused_for == "trial"
    assert not schedule.is_active
    _run_the_clock(days=5)
    assert not CheckInReminder.objects.filter(patient=patient).exists()
    assert not MissedCheckIn.objects.filter(patient=patient).exists()
    assert not OutreachTask.objects.filter(patient=patient).exists()
    assert not Flag.objects.filter(patient=patient, source=Flag.Source.MISSED_CHECKIN).exists()
    # A clinician changing the times does not switch reminders back on.
    cessation_services.schedule_update(
        patient=patient,
        by=patient.patient_profile.clinician,
        frequency=CheckInSchedule.Frequency.DAILY,
        times=["11:00"],
    )
    schedule = CheckInSchedule.objects.get(patient=patient)
    assert not schedule.is_active
    assert schedule.next_due_at is None


def test_the_programme_arm_keeps_its_reminders():
    trial = a_recruiting_trial()
    patient, _participant = _in_arm(trial, programme=True)
    schedule = cessation_services.schedule_for(patient)
    assert schedule.paused_for == ""
    assert schedule.is_active


def test_closing_the_trial_starts_the_reminders_of_usual_care():
    trial = a_recruiting_trial()
    patient, _participant = _in_arm(trial, programme=False)
    setup.trial_close(trial=trial, by=trial.manager)
    schedule = CheckInSchedule.objects.get(patient=patient)
    assert schedule.paused_for == ""
    assert schedule.is_active
    assert schedule.next_due_at is not None


def test_stopping_the_intervention_pauses_and_agreeing_again_gives_the_programme_back(client):
    trial = a_recruiting_trial()
    patient, participant = _in_arm(trial, programme=True)
    participation.participant_withdraw(
        participant=participant,
        by=trial.manager,
        level=Withdrawal.Level.INTERVENTION,
        source=Withdrawal.Source.STAFF,
    )
    assert CheckInSchedule.objects.get(patient=patient).paused_for == "trial"
    client.force_login(patient)
    assert client.get(reverse("cessation:checkin")).url == reverse("trials:study")

    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="too_much"
    )
    onboarding_services.consent_give(
        patient=patient,
        by=patient,
        kind=Consent.Kind.PROGRAMME,
        version=Consent.objects.filter(patient=patient, kind=Consent.Kind.PROGRAMME)
        .latest("given_at")
        .text.version,
    )
    assert client.get(reverse("cessation:checkin")).status_code == HTTPStatus.OK
    schedule = CheckInSchedule.objects.get(patient=patient)
    assert schedule.paused_for == ""
    assert schedule.is_active
