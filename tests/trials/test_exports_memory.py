"""Exports stream with flat memory: 50,000 check-ins exported while tracemalloc watches, the
peak far below what holding the rows would take (measured in the same test)."""

from __future__ import annotations

import tracemalloc
from datetime import timedelta

import pytest
from django.utils import timezone

from cessation.models import CheckIn
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory
from tests.trials.helpers import a_trial
from trials import pseudonyms
from trials.exports.datasets import DATASETS
from trials.exports.writers import RowCounter, csv_stream, json_stream
from trials.models import Participant

pytestmark = pytest.mark.django_db

PEOPLE = 50
DAYS = 1000  # 50,000 check-ins


def _peak(consume) -> int:
    tracemalloc.start()
    try:
        consume()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_fifty_thousand_check_ins_stream_with_flat_memory():
    trial = a_trial(manager=AdminFactory(password=None, mfa=False))
    clinician = ClinicianFactory(password=None, mfa=False)
    start = timezone.now() - timedelta(days=DAYS + 5)
    first = timezone.localdate(start)
    for _ in range(PEOPLE):
        patient = PatientFactory(password=None, profile=clinician)
        Participant.objects.create(
            trial=trial,
            patient=patient,
            study_id=pseudonyms.trial_id_for(key=trial.pseudonym_key, patient_id=patient.pk),
            diagnosis_group="psychosis",
            status="consented",
            consented_at=start,
            enrolled_by=clinician,
        )
        CheckIn.objects.bulk_create(
            CheckIn(
                patient=patient,
                day=first + timedelta(days=n),
                created_at=start + timedelta(days=n, hours=1),
                cigarettes=n % 20,
                craving=n % 11,
                mood=5,
                sleep="ok",
                harm_thoughts="no",
                supports_used=["patch"],
            )
            for n in range(DAYS)
        )
    dataset = DATASETS["checkins"]
    csv_rows, json_rows = RowCounter(), RowCounter()
    sizes = {"csv": 0, "json": 0}

    def export_csv():
        for chunk in csv_stream(dataset, trial, counter=csv_rows):
            sizes["csv"] += len(chunk)

    def export_json():
        for chunk in json_stream(dataset, trial, counter=json_rows):
            sizes["json"] += len(chunk)

    held = _peak(lambda: list(dataset.rows(trial)))
    csv_peak = _peak(export_csv)
    json_peak = _peak(export_json)

    assert csv_rows.rows == json_rows.rows == PEOPLE * DAYS
    # Holding the rows takes tens of MB; streaming them a few MB at most, whatever the count.
    assert held > 15_000_000
    assert csv_peak < 5_000_000, csv_peak
    assert json_peak < 5_000_000, json_peak
    assert held > 3 * max(csv_peak, json_peak)
    assert sizes["json"] > 3 * max(csv_peak, json_peak)
