"""Randomisation: balance within strata over 10,000 simulated participants, varying block sizes
(concealment), the service allocating by exactly the same rule, once and never changed, and
every refusal (twice, before consent, after withdrawal, not recruiting, sequence used up)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest

from core.exceptions import StateConflict
from core.models import AuditEvent, Notification
from onboarding import services as onboarding_services
from onboarding.models import Consent
from onboarding.steps import TRIAL_CONSENT
from tests.onboarding.helpers import consent_version
from tests.trials.helpers import SEED, a_recruiting_trial
from tests.trials.participation_helpers import (
    a_randomised_patient,
    about_you,
    agree,
    an_enrolled_patient,
)
from trials import allocation, strata
from trials.allocation import SequenceAllocator
from trials.models import Allocation, ImmutableError, Participant, SequenceSlot, Withdrawal
from trials.services import participation, setup

SIM_SEED = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def _simulate(arms, multiples, n=10_000, seed=SIM_SEED):
    factors = ["diagnosis_group", "per_day_band"]
    all_strata = strata.strata_of(factors)
    allocator = SequenceAllocator(
        seed=seed, trial_slug="sim", arms=arms, block_multiples=multiples, length=n
    )
    rng = random.Random(7)
    running: dict[str, Counter] = defaultdict(Counter)
    trace: dict[str, list] = defaultdict(list)
    for _ in range(n):
        stratum = rng.choice(all_strata)
        slot = allocator.allocate(stratum)
        running[stratum][slot.arm] += 1
        trace[stratum].append((slot, Counter(running[stratum])))
    return trace, running


def test_balance_within_every_stratum_at_every_point_over_10000_participants():
    multiples = (1, 2, 3)
    trace, running = _simulate([("programme", 1), ("usual_care", 1)], multiples)
    largest_half = max(multiples)  # a block of 2k holds k of each arm
    for stratum, steps in trace.items():
        for _slot, counts in steps:
            assert abs(counts["programme"] - counts["usual_care"]) <= largest_half, stratum
    total = sum(running.values(), Counter())
    assert total.total() == 10_000
    assert abs(total["programme"] - total["usual_care"]) <= largest_half * len(trace)
    assert 0.49 < total["programme"] / 10_000 < 0.51


def test_balance_with_a_two_to_one_ratio():
    multiples = (1, 2, 3)
    trace, running = _simulate([("programme", 2), ("usual_care", 1)], multiples)
    for _stratum, steps in trace.items():
        for index, (slot, counts) in enumerate(steps):
            # Within a block of 3k (2k and k), 'programme - 2 x usual care' strays at most 2k,
            # and comes back to 0 at the end of every block.
            assert abs(counts["programme"] - 2 * counts["usual_care"]) <= 2 * max(multiples)
            following = steps[index + 1][0] if index + 1 < len(steps) else None
            if following is not None and following.block != slot.block:
                assert counts["programme"] == 2 * counts["usual_care"]
    total = sum(running.values(), Counter())
    assert 0.655 < total["programme"] / total.total() < 0.68


def test_block_sizes_vary_so_the_last_of_a_block_cannot_be_known():
    trace, _running = _simulate([("programme", 1), ("usual_care", 1)], (1, 2, 3), n=2000)
    sizes = {slot.block_size for steps in trace.values() for slot, _c in steps}
    assert len(sizes) >= 2
    assert sizes <= {2, 4, 6}


def test_the_allocator_takes_the_lowest_unused_position():
    class S:
        def __init__(self, position):
            self.position = position

    assert allocation.slot_next([S(5), S(3), S(9)], stratum="x").position == 3
    with pytest.raises(allocation.SequenceExhausted):
        allocation.slot_next([], stratum="x")


# --- The service ---------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_about_you_done_by_a_consented_participant_randomises_them_by_the_sequence():
    trial = a_recruiting_trial()
    allocated = []
    for _ in range(6):
        _patient, participant = a_randomised_patient(trial, diagnosis="bipolar")
        assert participant.status == Participant.Status.RANDOMISED
        allocated.append(participant.allocation)
    stratum = "bipolar|21+"  # 25 a day in About you
    assert {a.stratum for a in allocated} == {stratum}
    expected = SequenceAllocator(
        seed=SEED,
        trial_slug=trial.slug,
        arms=[("programme", 1), ("usual_care", 1)],
        block_multiples=trial.block_multiples,
        length=trial.recruitment_target,
    )
    assert [a.arm.code for a in allocated] == [expected.allocate(stratum).arm for _ in range(6)]
    assert [a.slot.position for a in allocated] == [1, 2, 3, 4, 5, 6]
    event = AuditEvent.objects.filter(action="trial.randomised").last()
    assert set(event.detail) == {"trial", "arm", "stratum"}
    assert Notification.objects.filter(
        recipient=allocated[0].participant.patient, kind="trial.randomised"
    ).exists()


@pytestmark_db
def test_randomising_twice_never_makes_a_second_allocation():
    trial = a_recruiting_trial()
    patient, participant = a_randomised_patient(trial)
    with pytest.raises(StateConflict):
        participation.participant_randomise(participant=participant, by=patient)
    about_you(patient, per_day=5)  # About you changed: the hook fires again, and does nothing
    assert Allocation.objects.filter(participant=participant).count() == 1
    assert SequenceSlot.objects.filter(trial=trial, used_at__isnull=False).count() == 1


@pytestmark_db
def test_randomising_before_consent_is_refused_and_writes_nothing():
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    with pytest.raises(StateConflict, match="agreed"):
        participation.participant_randomise(participant=participant, by=patient)
    assert not Allocation.objects.exists()
    assert not SequenceSlot.objects.filter(used_at__isnull=False).exists()


@pytestmark_db
def test_randomising_after_withdrawal_is_refused():
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    agree(patient)
    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.TRIAL, reason="other"
    )
    participant.refresh_from_db()
    assert participant.status == Participant.Status.WITHDRAWN
    with pytest.raises(StateConflict, match="withdrawn"):
        participation.participant_randomise(participant=participant, by=patient)
    assert not Allocation.objects.exists()


@pytestmark_db
def test_randomising_when_the_trial_is_not_recruiting_is_refused():
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    agree(patient)
    setup.recruitment_close(trial=trial, by=trial.manager)
    about_you(patient)
    participant.refresh_from_db()
    assert participant.status == Participant.Status.CONSENTED
    with pytest.raises(StateConflict, match="not recruiting"):
        participation.participant_randomise(participant=participant, by=patient)


@pytestmark_db
def test_a_used_up_sequence_tells_the_manager_and_the_participant_waits():
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    agree(patient)
    SequenceSlot.objects.filter(trial=trial, stratum="psychosis|21+").update(
        used_at="2020-01-01T00:00Z"
    )
    about_you(patient)  # the patient's answers are kept; randomisation waits
    participant.refresh_from_db()
    assert participant.status == Participant.Status.CONSENTED
    assert not Allocation.objects.exists()
    notice = Notification.objects.get(recipient=trial.manager, kind="trial.sequence_used_up")
    assert "gone past the target" in notice.body
    with pytest.raises(StateConflict, match="used up"):
        participation.participant_randomise(participant=participant, by=patient)


@pytestmark_db
def test_consent_after_about_you_randomises_at_once():
    trial = a_recruiting_trial()
    patient, participant = an_enrolled_patient(trial)
    # Finished About you before being offered the study? Here: answered it, then agreed.
    onboarding_services.consent_give(
        patient=patient,
        by=patient,
        kind=Consent.Kind.TRIAL,
        version=consent_version("trial"),
    )
    participant.refresh_from_db()
    assert participant.status == Participant.Status.CONSENTED  # no baseline yet
    onboarding_services.step_complete(patient=patient, step=TRIAL_CONSENT, by=patient)
    about_you(patient)
    participant.refresh_from_db()
    assert participant.status == Participant.Status.RANDOMISED


@pytestmark_db
def test_an_allocation_is_never_changed_or_deleted_only_annotated():
    trial = a_recruiting_trial()
    _patient, participant = a_randomised_patient(trial)
    allocation_ = participant.allocation
    allocation_.stratum = "other"
    with pytest.raises(ImmutableError):
        allocation_.save()
    with pytest.raises(ImmutableError):
        allocation_.delete()
    note = participation.allocation_annotate(
        allocation=allocation_, by=trial.manager, text="Randomised after a phone call."
    )
    assert note.allocation == participant.allocation
    assert AuditEvent.objects.filter(action="trial.allocation_annotated").exists()
    with pytest.raises(participation.PermissionDenied):
        participation.allocation_annotate(
            allocation=allocation_, by=participant.enrolled_by, text="No"
        )


@pytestmark_db
def test_a_withdrawn_participant_counts_as_withdrawn_with_a_record():
    trial = a_recruiting_trial()
    patient, participant = a_randomised_patient(trial)
    onboarding_services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.TRIAL, reason="too_much"
    )
    participant.refresh_from_db()
    assert participant.status == Participant.Status.WITHDRAWN
    assert participant.withdrawn_at is not None
    withdrawal = participant.withdrawals.get()
    assert (withdrawal.level, withdrawal.source) == (
        Withdrawal.Level.ALL,
        Withdrawal.Source.PATIENT,
    )
    assert participant.allocation  # the allocation stays
    assert Notification.objects.filter(recipient=trial.manager, kind="trial.withdrawal").exists()
    assert patient.full_name not in Notification.objects.get(kind="trial.withdrawal").title
