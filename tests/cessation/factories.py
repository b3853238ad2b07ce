"""factory_boy factories for quit tracking: quit plans, check-ins, cravings, CO readings and
medications.

They write rows directly, for building history (weeks of check-ins, a plan whose quit date is
long past). Behaviour under test goes through `cessation.services`, as the product does: a flag
or a medication review only ever comes from a service.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from cessation.models import CheckIn, COReading, Craving, Medication, Product, QuitPlan
from tests.factories import PatientFactory


class Clock:
    """The clock is outside the product: tests set it. Replaces django.utils.timezone.now (which
    the services, selectors and safety call as `timezone.now()`) with a settable instant.

        clock = Clock(monkeypatch, datetime(2025, 7, 15, 11, 0, tzinfo=UTC))
        clock.advance(days=1)
    """

    def __init__(self, monkeypatch, at: datetime) -> None:
        self.at = at
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.at)

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def _clinician_of(patient):
    return patient.patient_profile.clinician


class QuitPlanFactory(factory.django.DjangoModelFactory):
    """20 cigarettes a day at £15 for 20 (75p a cigarette), quitting today."""

    class Meta:
        model = QuitPlan

    patient = factory.SubFactory(PatientFactory)
    quit_date = factory.LazyFunction(timezone.localdate)
    product = Product.CIGARETTES
    per_day = Decimal("20")
    pack_price = Decimal("15.00")
    pack_size = 20


class CheckInFactory(factory.django.DjangoModelFactory):
    """A smoke-free, uneventful day."""

    class Meta:
        model = CheckIn

    patient = factory.SubFactory(PatientFactory)
    day = factory.LazyFunction(timezone.localdate)
    cigarettes = 0
    craving = 3
    mood = 6
    sleep = CheckIn.Sleep.OK
    harm_thoughts = CheckIn.SafetyAnswer.NO


class CravingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Craving

    patient = factory.SubFactory(PatientFactory)
    at = factory.LazyFunction(timezone.now)
    intensity = 6


class COReadingFactory(factory.django.DjangoModelFactory):
    """A reading taken by the patient's clinician a week ago."""

    class Meta:
        model = COReading

    patient = factory.SubFactory(PatientFactory)
    taken_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=7))
    ppm = 4
    self_reported = False
    recorded_by = factory.LazyAttribute(lambda o: _clinician_of(o.patient))


class MedicationFactory(factory.django.DjangoModelFactory):
    """A current medication, recorded by the patient's clinician. Writing the row raises no
    medication review: use `cessation.services.medication_add` for that."""

    class Meta:
        model = Medication

    patient = factory.SubFactory(PatientFactory)
    name = "Sertraline"
    dose = "50 mg"
    recorded_by = factory.LazyAttribute(lambda o: _clinician_of(o.patient))
