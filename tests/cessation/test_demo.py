"""cessation's part of `seed_demo`: quit plans, weeks of check-ins with slips and gaps, cravings,
CO readings, a patient on clozapine with a medication-review flag, and the health timeline
approved by the demo clinician; made once however often the command runs, and quickly."""

from __future__ import annotations

import importlib
import time
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import User
from cessation import services
from cessation.models import (
    CheckIn,
    COReading,
    Craving,
    HealthBenefit,
    Medication,
    QuitDateChange,
    QuitPlan,
)
from cessation.selectors import dashboard_for
from safety.models import Flag

pytestmark = pytest.mark.django_db

health_benefits_migration = importlib.import_module("cessation.migrations.0002_health_benefits")


@pytest.fixture(autouse=True)
def _benefits(db):
    """The timeline the data migration seeds (a transactional test elsewhere may flush it)."""
    health_benefits_migration.forwards(apps, None)


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def _counts() -> dict:
    return {
        "plans": QuitPlan.objects.count(),
        "date_changes": QuitDateChange.objects.count(),
        "checkins": CheckIn.objects.count(),
        "cravings": Craving.objects.count(),
        "co_readings": COReading.objects.count(),
        "medications": Medication.objects.count(),
        "flags": Flag.objects.count(),
        "approved": sorted(HealthBenefit.objects.values_list("approved_at", flat=True)),
    }


def test_seed_demo_twice_changes_nothing_the_second_time():
    output = _seed()
    first = _counts()

    _seed()

    assert _counts() == first
    assert "cessation:" in output
    assert first["plans"] == 3
    assert first["checkins"] >= 40
    assert first["cravings"] >= 10
    assert first["co_readings"] >= 1


def test_the_demo_patients_have_weeks_of_plausible_history():
    _seed()
    alex, bea, chris, dani = (
        User.objects.get(email=f"{name}@exhale.demo") for name in ("alex", "bea", "chris", "dani")
    )

    assert not QuitPlan.objects.filter(patient=dani).exists()
    for patient in (alex, chris):
        days = list(CheckIn.objects.filter(patient=patient).values_list("day", flat=True))
        assert (max(days) - min(days)).days >= 14  # several weeks
        assert CheckIn.objects.filter(patient=patient, cigarettes__gt=0).exists()  # slips
        assert (
            len(set(CheckIn.objects.filter(patient=patient).values_list("craving", flat=True))) > 3
        )
        assert Craving.objects.filter(patient=patient).count() >= 5
    # The quit date of one patient is still to come.
    assert QuitPlan.objects.get(patient=bea).quit_date > services.patient_today(bea)

    progress = dashboard_for(patient=chris).progress
    assert progress.co_window.state == "open"
    assert progress.co_window.verified
    assert progress.russell.state == "on_track"
    assert progress.cigarettes_smoked > 0


def test_the_patient_on_clozapine_has_a_medication_review_flag():
    _seed()
    chris = User.objects.get(email="chris@exhale.demo")

    assert Medication.objects.filter(patient=chris, name__iexact="clozapine").exists()
    flag = Flag.objects.get(patient=chris, category=Flag.Category.MEDICATION_REVIEW)
    assert flag.handled_by.email == "clinician@exhale.demo"


def test_the_health_timeline_is_approved_by_the_demo_clinician():
    _seed()

    approvers = set(HealthBenefit.objects.values_list("approved_by__email", flat=True))
    assert approvers == {"clinician@exhale.demo"}


def test_seed_demo_stays_fast():
    started = time.monotonic()
    _seed()
    _seed()

    assert time.monotonic() - started < 10
