"""Demo trial for `manage.py seed_demo`: the feasibility trial, recruiting for four weeks.

- Morgan Lee (the demo admin) set it up with the protocol's defaults (programme vs usual care 1:1,
  strata diagnosis group x cigarettes a day, follow-ups at 4 weeks with CO, 12 weeks, 6 months)
  and opened recruitment 28 days ago with a fixed demo seed (printed below: a real trial's seed
  is shown once and kept by the trial manager).
- The screening log holds fourteen people approached over those weeks who did not take part,
  with their reasons and nothing that identifies them.
- Bea was offered the study by Dr Okafor eight days ago, agreed, and was randomised (her About
  you answers were already in) to the programme arm; her follow-ups are scheduled from her quit
  date.
- Nobody else is in the trial, so the other demo journeys stay as onboarding's demo tells them.
  To see randomisation happen, log in as Dr Okafor and offer the study to Alex or Chris from
  their page, then log in as them and agree ("The study" joins their first steps).

Everything goes through the services (the same screening rows, consents, allocations, follow-ups
and audit rows a real trial writes), then is moved back to when it happened. Idempotent: nothing
is made again once the demo trial exists.

The demo seed is chosen so that Bea's place in her stratum's sequence is the programme arm, and
the demo keeps showing the whole programme. Log in as Morgan Lee to see the dashboard, the
CONSORT flow and the exports.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from onboarding import services as onboarding_services
from onboarding.models import Consent, StepRecord
from onboarding.selectors import content_current
from onboarding.steps import TRIAL_CONSENT
from trials.models import Allocation, Participant, ScreeningEntry, Trial
from trials.services import adverse_events, participation, setup

SLUG = "exhale-ft"
OPENED_DAYS_AGO = 28
SCREENING = (
    # (days ago, outcome, reason)
    (27, "ineligible", "not_smoker"),
    (26, "declined", "not_ready"),
    (24, "declined", "not_interested"),
    (23, "not_reached", ""),
    (21, "ineligible", "too_unwell"),
    (20, "declined", "data_worry"),
    (18, "ineligible", "no_phone"),
    (16, "declined", "too_busy"),
    (14, "not_reached", ""),
    (12, "ineligible", "capacity"),
    (10, "declined", "not_ready"),
    (7, "declined", "no_reason"),
    (5, "ineligible", "other_study"),
    (2, "not_reached", ""),
)


class _Retry(Exception):
    """This seed would put Bea in the other arm: roll back and try the next one."""


def _candidate_seeds():
    for n in range(200):
        yield hashlib.sha256(f"exhale-demo-seed-{n}".encode()).hexdigest()[:32]


def _agree(patient: User) -> None:
    text = content_current(key="consent_trial")
    onboarding_services.consent_give(
        patient=patient, by=patient, kind=Consent.Kind.TRIAL, version=text.version
    )
    onboarding_services.step_complete(
        patient=patient, step=TRIAL_CONSENT, by=patient, detail={"answer": "agreed"}
    )


def _open_with_bea_in_the_programme(admin: User, clinician: User, bea: User) -> tuple[Trial, str]:
    for seed in _candidate_seeds():
        try:
            with transaction.atomic():
                trial = setup.trial_create(
                    by=admin,
                    name="Exhale feasibility trial",
                    slug=SLUG,
                    registration="ISRCTN00000000",
                    recruitment_target=60,
                )
                trial = setup.recruitment_open(trial=trial, by=admin, seed=seed).trial
                participation.participant_enrol(
                    trial=trial,
                    profile=bea.patient_profile,
                    by=clinician,
                    diagnosis_group=Participant.DiagnosisGroup.DEPRESSION,
                )
                _agree(bea)
                allocation = Allocation.objects.select_related("arm").get(participant__patient=bea)
                if not allocation.arm.gets_programme:
                    raise _Retry
                return trial, seed
        except _Retry:
            continue
    raise RuntimeError("No demo seed puts Bea in the programme arm.")


def _date_back(trial: Trial, bea: User) -> None:
    now = timezone.now()
    opened = now - timedelta(days=OPENED_DAYS_AGO)
    Trial.objects.filter(pk=trial.pk).update(
        created_at=opened - timedelta(days=3),
        recruitment_opened_at=opened,
        sequence_generated_at=opened,
    )
    for patient, days in ((bea, 8),):
        when = now - timedelta(days=days)
        participant = Participant.objects.get(trial=trial, patient=patient)
        Participant.objects.filter(pk=participant.pk).update(enrolled_at=when)
        ScreeningEntry.objects.filter(trial=trial, patient=patient).update(
            screened_on=when.date(), recorded_at=when
        )
        if participant.consented_at:
            Participant.objects.filter(pk=participant.pk).update(consented_at=when)
            Consent.objects.filter(patient=patient, kind=Consent.Kind.TRIAL).update(given_at=when)
            # An allocation is never changed by the product; the demo only dates it back.
            Allocation.objects.filter(participant=participant).update(allocated_at=when)
            StepRecord.objects.filter(journey__patient=patient, step=TRIAL_CONSENT).update(
                first_seen_at=when, completed_at=when
            )


def seed(context: dict, stdout) -> None:
    if Trial.objects.filter(slug=SLUG).exists():
        stdout.write("trials: the demo trial is already there")
        return
    users = context["users"]
    admin, clinician = users["admin"], users["clinician"]
    people = {patient.email.split("@")[0]: patient for patient in context["patients"]}
    bea = people["bea"]
    with transaction.atomic():
        trial, demo_seed = _open_with_bea_in_the_programme(admin, clinician, bea)
        today = timezone.localdate()
        for days_ago, outcome, reason in SCREENING:
            participation.screening_record(
                trial=trial,
                by=clinician,
                outcome=outcome,
                reason=reason,
                screened_on=today - timedelta(days=days_ago),
            )
        _date_back(trial, bea)
    events = adverse_events.adverse_events_from_flags()
    stdout.write(
        f"trials: '{trial.name}' recruiting for {OPENED_DAYS_AGO} days, {len(SCREENING)} people "
        f"in the screening log, Bea randomised to the programme, {events} adverse "
        f"event(s) from flags; demo sequence seed {demo_seed}"
    )
