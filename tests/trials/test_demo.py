"""trials' part of `seed_demo`: the feasibility trial recruiting for four weeks, a screening log
without identifiers, Bea randomised to the programme arm; made once."""

from __future__ import annotations

import importlib
from http import HTTPStatus
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from trials import sequence
from trials.models import Allocation, Participant, ScreeningEntry, SequenceSlot, Trial

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference_data(db):
    """What the data migrations seed (a transactional test elsewhere may have flushed it)."""
    importlib.import_module("cessation.migrations.0002_health_benefits").forwards(apps, None)


@pytest.fixture
def seeded() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def demo(name: str) -> User:
    return User.objects.get(email=f"{name}@exhale.demo")


def test_the_demo_trial_recruits_with_bea_randomised(seeded):
    trial = Trial.objects.get(slug="exhale-ft")
    assert trial.status == Trial.Status.RECRUITING
    demo_seed = seeded.split("demo sequence seed ")[1].split()[0]
    assert trial.seed_digest == sequence.seed_digest(demo_seed)
    bea = Participant.objects.get(patient=demo("bea"))
    assert bea.status == Participant.Status.RANDOMISED
    assert bea.allocation.arm.gets_programme
    assert bea.followups.count() == trial.points.count()
    assert Participant.objects.filter(trial=trial).count() == 1
    log = ScreeningEntry.objects.filter(trial=trial)
    assert log.count() == 15
    assert log.filter(patient__isnull=False).count() == 1  # only those who went on
    assert SequenceSlot.objects.filter(trial=trial, used_at__isnull=False).count() == 1


def test_seeding_again_adds_nothing(seeded):
    counts = (Trial.objects.count(), ScreeningEntry.objects.count(), Allocation.objects.count())
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    assert "demo trial is already there" in out.getvalue()
    assert counts == (
        Trial.objects.count(),
        ScreeningEntry.objects.count(),
        Allocation.objects.count(),
    )
    assert User.objects.count() == 8


def test_the_demo_logins_see_the_trial(seeded, client):
    client.force_login(demo("admin"))
    trial = Trial.objects.get()
    for name in ("trial_detail", "dashboard", "consort_svg"):
        assert client.get(reverse(f"trials:{name}", args=[trial.slug])).status_code == 200
    client.force_login(demo("bea"))
    assert client.get(reverse("cessation:checkin")).status_code == HTTPStatus.OK
