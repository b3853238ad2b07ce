"""The triage pages run a fixed number of queries, whatever the number of flags, signals, events
and earlier flags: a clinician with a long queue in a crisis must not wait for the page."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safety import services
from safety.models import Flag, Severity
from tests.factories import ClinicianFactory, PatientFactory
from tests.safety.factories import raise_flag

pytestmark = pytest.mark.django_db

SEVERITIES = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW]


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def _caseload(clinician, size: int) -> list[Flag]:
    """`size` patients, each with an active flag of two signals and a resolved earlier flag."""
    flags = []
    for index in range(size):
        patient = PatientFactory(profile=clinician)
        flag = raise_flag(patient, severity=SEVERITIES[index % 4])
        raise_flag(patient, severity=Severity.CRITICAL)
        earlier = raise_flag(patient, category=Flag.Category.LOW_MOOD)
        services.flag_resolve(flag=earlier, by=clinician, outcome=Flag.Outcome.CONTACTED_SAFE)
        flags.append(flag)
    return flags


def _busy_flag(clinician) -> Flag:
    """A flag with many signals, notes, a hand-over and back, and earlier flags."""
    patient = PatientFactory(profile=clinician)
    for category in (Flag.Category.ABUSE, Flag.Category.LOW_MOOD, Flag.Category.PERSONAL_INFO):
        earlier = raise_flag(patient, category=category)
        services.flag_resolve(flag=earlier, by=clinician, outcome=Flag.Outcome.NOT_A_CONCERN)
    flag = raise_flag(patient, severity=Severity.LOW, raised_by=ClinicianFactory())
    for severity in (Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL, Severity.HIGH):
        raise_flag(
            patient,
            severity=severity,
            evidence=[{"category": "crisis", "excerpt": f"words {severity}", "reason": "r"}],
            raised_by=ClinicianFactory(),
        )
    colleague = ClinicianFactory()
    services.flag_hand_over(flag=flag, by=clinician, to=colleague, note="please")
    services.flag_hand_over(flag=flag, by=colleague, to=clinician, note="back to you")
    for index in range(4):
        services.flag_note_add(flag=flag, by=clinician, note=f"note {index}")
    return flag


@pytest.mark.parametrize("url_name", ["safety:flag_queue", "api:flag_list"])
def test_the_queue_query_count_does_not_grow_with_the_number_of_flags(client, url_name):
    few, many = ClinicianFactory(), ClinicianFactory()
    _caseload(few, 1)
    _caseload(many, 6)
    url = reverse(url_name)

    client.force_login(few)
    with_few = _queries(client, url)
    client.force_login(many)
    with_many = _queries(client, url)

    assert with_many == with_few


@pytest.mark.parametrize("url_name", ["safety:flag_detail", "api:flag_detail"])
def test_the_flag_page_query_count_does_not_grow_with_its_history(client, url_name):
    clinician = ClinicianFactory()
    quiet = raise_flag(PatientFactory(profile=clinician))
    busy = _busy_flag(clinician)
    assert busy.signals.count() == 5
    assert busy.events.count() > 3 * quiet.events.count()
    client.force_login(clinician)

    for_quiet = _queries(client, reverse(url_name, args=[quiet.pk]))
    for_busy = _queries(client, reverse(url_name, args=[busy.pk]))

    assert for_busy == for_quiet
