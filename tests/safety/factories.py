"""Factories and helpers for the safety tests.

Flags are raised through `flag_raise`, as every caller of the product does, so that each carries
its signal, events, recipients and notices. `FlagFactory` writes a bare row, for the few tests
about the table itself (its constraints).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta

import factory
import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import User
from safety import services
from safety.models import SEVERITY_RANK, Flag, OnCall, Severity
from tests.factories import ClinicianFactory, PatientFactory, PeerFactory

# A name and an address that must never travel by email or show on an admin's page.
PATIENT_FIRST_NAME = "Philippa"
PATIENT_LAST_NAME = "Quarrington"
PATIENT_NAME = f"{PATIENT_FIRST_NAME} {PATIENT_LAST_NAME}"
PATIENT_EMAIL = "pquarrington.canary@example.org"


@dataclass
class Team:
    patient: User
    clinician: User
    backup: User
    peer: User


def make_team(*, backup: bool = True, **patient_fields) -> Team:
    """A patient with a named clinician, a backup clinician (unless backup=False) and a peer."""
    clinician = ClinicianFactory()
    backup_clinician = ClinicianFactory() if backup else None
    peer = PeerFactory()
    patient_fields.setdefault("full_name", PATIENT_NAME)
    patient_fields.setdefault("email", PATIENT_EMAIL)
    patient = PatientFactory(
        profile=clinician,
        profile__backup_clinician=backup_clinician,
        profile__peer_specialist=peer,
        **patient_fields,
    )
    return Team(patient=patient, clinician=clinician, backup=backup_clinician, peer=peer)


def raise_flag(
    patient: User | None = None,
    *,
    category: str = Flag.Category.CRISIS,
    severity: str = Severity.HIGH,
    source: str = Flag.Source.POST,
    summary: str = "Possible crisis language in a group post",
    **kwargs,
) -> Flag:
    """Raise a flag the way callers do (in the current transaction, notices queued on commit)."""
    return services.flag_raise(
        patient=patient or PatientFactory(),
        category=category,
        severity=severity,
        source=source,
        summary=summary,
        **kwargs,
    )


def put_on_call(*clinicians: User) -> None:
    for clinician in clinicians:
        OnCall.objects.get_or_create(user=clinician)


def raw_column(table: str, column: str, pk_column: str, pk) -> str:
    """What the database really holds in a column, bypassing the ORM's decryption."""
    quote = connection.ops.quote_name
    sql = f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(pk_column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        return cursor.fetchone()[0]


class FlagFactory(factory.django.DjangoModelFactory):
    """A bare flag row, without signals, events or notices."""

    class Meta:
        model = Flag

    patient = factory.SubFactory(PatientFactory)
    source = Flag.Source.POST
    category = Flag.Category.CRISIS
    severity = Severity.HIGH
    severity_rank = factory.LazyAttribute(lambda o: SEVERITY_RANK[o.severity])
    summary = "Possible crisis language in a group post"
    ack_deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=4))
    handled_by = factory.LazyAttribute(lambda o: o.patient.patient_profile.clinician)


def postgres_only(test):
    """Row locks and concurrent transactions are only real on PostgreSQL: SQLite serialises
    every writer, so a race cannot even start there."""
    skip = pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks and runs one writer at a time",
    )
    return pytest.mark.postgres(skip(test))


def run_in_threads(*functions, timeout: float = 30) -> list:
    """Run each function in its own thread, so each has its own database connection, as two
    web requests would. Returns what each returned, or the exception it raised."""
    results: list = [None] * len(functions)

    def run(index, function):
        try:
            results[index] = function()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()  # this thread's connection

    threads = [
        threading.Thread(target=run, args=(index, function))
        for index, function in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results
