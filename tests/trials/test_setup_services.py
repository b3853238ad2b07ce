"""Setting up a trial and opening recruitment: the sequence is sealed, the seed shown once."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from core.exceptions import StateConflict
from tests.factories import AdminFactory, ClinicianFactory
from tests.trials.helpers import SEED, a_recruiting_trial, a_trial
from trials import sequence, strata
from trials.models import SequenceSlot, Trial
from trials.services import setup

pytestmark = pytest.mark.django_db


def test_a_new_trial_has_the_protocols_arms_and_follow_ups():
    trial = a_trial()
    assert [arm.code for arm in trial.arms.all()] == ["programme", "usual_care"]
    assert [(p.code, p.window_start_day, p.window_end_day) for p in trial.points.all()] == [
        ("4w", 25, 42),
        ("12w", 77, 98),
        ("6m", 168, 210),
    ]
    assert trial.status == Trial.Status.SETUP
    assert len(trial.pseudonym_key) == 64


def test_only_admins_set_up_trials():
    with pytest.raises(PermissionDenied):
        setup.trial_create(
            by=ClinicianFactory(password=None), name="x", slug="x", recruitment_target=10
        )
    assert not Trial.objects.exists()


def test_opening_recruitment_seals_enough_of_the_sequence_for_every_stratum():
    trial = a_recruiting_trial(target=20)
    assert trial.status == Trial.Status.RECRUITING
    assert trial.seed_digest == sequence.seed_digest(SEED)
    every = strata.strata_of(trial.strata_factors)
    counts = Counter(SequenceSlot.objects.filter(trial=trial).values_list("stratum", flat=True))
    assert set(counts) == set(every)
    assert all(count >= 20 for count in counts.values())
    with connection.cursor() as cursor:
        cursor.execute("SELECT arm_sealed FROM trials_sequenceslot")
        raw = {row[0] for row in cursor.fetchall()}
    assert not raw & {"programme", "usual_care"}  # sealed at rest


def test_the_seed_reproduces_the_stored_sequence():
    trial = a_recruiting_trial(target=12)
    again = list(
        sequence.sequence_generate(
            seed=SEED,
            trial_slug=trial.slug,
            strata=strata.strata_of(trial.strata_factors),
            arms=[("programme", 1), ("usual_care", 1)],
            block_multiples=trial.block_multiples,
            length=12,
        )
    )
    stored = [
        (s.stratum, s.position, s.arm_sealed)
        for s in SequenceSlot.objects.filter(trial=trial).order_by("pk")
    ]
    assert stored == [(s.stratum, s.position, s.arm) for s in again]
    assert setup.seed_matches(trial=trial, seed=SEED)
    assert not setup.seed_matches(trial=trial, seed="ff" * 16)


def test_design_is_frozen_once_recruiting_and_only_one_trial_recruits():
    trial = a_recruiting_trial()
    with pytest.raises(StateConflict):
        setup.arm_save(
            trial=trial, by=trial.manager, code="x", label="X", ratio=1, gets_programme=True
        )
    other = a_trial(slug="second", manager=AdminFactory(password=None))
    with pytest.raises(StateConflict):
        setup.recruitment_open(trial=other, by=other.manager)
    other.refresh_from_db()
    assert other.status == Trial.Status.SETUP
    assert not SequenceSlot.objects.filter(trial=other).exists()


def test_a_bad_seed_is_refused_and_nothing_is_written():
    trial = a_trial()
    with pytest.raises(ValidationError):
        setup.recruitment_open(trial=trial, by=trial.manager, seed="not hex at all")
    assert not SequenceSlot.objects.exists()


def test_the_target_cannot_outgrow_the_sealed_sequence():
    trial = a_recruiting_trial(target=12)
    common = {
        "trial": trial,
        "by": trial.manager,
        "name": trial.name,
        "registration": "",
        "strata_factors": trial.strata_factors,
        "block_multiples": trial.block_multiples,
    }
    with pytest.raises(ValidationError, match="cannot go up"):
        setup.trial_update(recruitment_target=13, **common)
    assert Trial.objects.get(pk=trial.pk).recruitment_target == 12
    setup.trial_update(recruitment_target=10, **common)  # a lower target is fine
    assert Trial.objects.get(pk=trial.pk).recruitment_target == 10


def test_the_seed_is_hidden_from_error_reports(rf):
    from django.http import Http404
    from django.views.debug import SafeExceptionReporterFilter

    from trials.views.setup import recruitment_open_view

    request = rf.post("/trials/x/open/", {"seed": "ab" * 16, "confirm": "on"})
    request.user = AdminFactory(password=None)
    with pytest.raises(Http404):  # no such trial: what matters is what a report would show
        recruitment_open_view(request, slug="no-such-trial")
    shown = SafeExceptionReporterFilter().get_post_parameters(request)
    assert shown["seed"] != "ab" * 16
