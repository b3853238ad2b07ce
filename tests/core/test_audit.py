"""The audit log: what audit_record writes, that the database refuses to change it (PostgreSQL),
and that the admin shows it read-only."""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import PatientProfile
from core.models import AuditEvent, AuditLogAppendOnly
from core.services import audit_record
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory

pytestmark = pytest.mark.django_db


def postgres_only(test):
    skip = pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the append-only trigger exists on PostgreSQL only (core/migrations/0002)",
    )
    return pytest.mark.postgres(skip(test))


def _event() -> AuditEvent:
    patient = PatientFactory()
    clinician = patient.patient_profile.clinician
    return audit_record(
        actor=clinician,
        action="patient.viewed",
        subject=patient,
        target=patient.patient_profile,
        detail={"purpose": "test"},
    )


def test_audit_record_writes_who_did_what_to_whose_record():
    patient = PatientFactory()
    clinician = patient.patient_profile.clinician
    request = RequestFactory().get("/patients/1/", REMOTE_ADDR="203.0.113.7")

    event = audit_record(
        actor=clinician,
        action="patient.viewed",
        subject=patient,
        target=patient.patient_profile,
        detail={"purpose": "caseload"},
        request=request,
    )

    event.refresh_from_db()
    assert event.actor_id == clinician.pk
    assert event.actor_role == "clinician"
    assert event.action == "patient.viewed"
    assert event.subject_id == patient.pk
    assert event.target_type == "accounts.patientprofile"
    assert event.target_id == str(patient.patient_profile.pk)
    assert event.detail == {"purpose": "caseload"}
    assert event.ip_address == "203.0.113.7"
    assert event.at is not None


def test_audit_record_by_the_system_has_no_actor():
    event = audit_record(actor=None, action="job.ran")

    event.refresh_from_db()
    assert event.actor_id is None
    assert event.actor_role == "system"
    assert event.subject_id is None
    assert event.target_type == ""
    assert event.target_id == ""
    assert event.detail == {}
    assert event.ip_address is None


def test_audit_rows_outlive_the_accounts_they_name():
    event = _event()
    subject_id = event.subject_id

    PatientProfile.objects.filter(user_id=subject_id).delete()
    event.subject.delete()

    event.refresh_from_db()
    assert event.subject_id == subject_id


def test_audit_events_are_listed_newest_first():
    first = audit_record(actor=None, action="first")
    second = audit_record(actor=None, action="second")

    assert list(AuditEvent.objects.filter(pk__in=[first.pk, second.pk])) == [second, first]


def test_orm_refuses_to_update_an_audit_row():
    """On every database: the model and its queryset refuse (and on PostgreSQL the trigger
    would refuse too, below)."""
    event = _event()

    with pytest.raises(AuditLogAppendOnly, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="patient.nothing_to_see")

    event.action = "patient.nothing_to_see"
    with pytest.raises(AuditLogAppendOnly, match="append-only"), transaction.atomic():
        event.save()
    with pytest.raises(AuditLogAppendOnly, match="append-only"), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])

    assert AuditEvent.objects.get(pk=event.pk).action == "patient.viewed"


def test_orm_refuses_to_delete_an_audit_row():
    event = _event()

    with pytest.raises(AuditLogAppendOnly, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AuditLogAppendOnly, match="append-only"), transaction.atomic():
        AuditEvent.objects.get(pk=event.pk).delete()
    with pytest.raises(AuditLogAppendOnly, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_refusal_is_a_database_error():
    """Callers catch one kind of error whichever layer refused (the model, or the trigger)."""
    assert issubclass(AuditLogAppendOnly, DatabaseError)


@postgres_only
def test_database_refuses_raw_sql_update_and_delete_of_an_audit_row():
    event = _event()

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE core_auditevent SET actor_id = NULL, action = %s WHERE id = %s",
            ["tampered", event.pk],
        )

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [event.pk])

    event.refresh_from_db()
    assert event.action == "patient.viewed"
    assert event.actor_id is not None


@postgres_only
def test_an_application_role_granted_insert_and_select_cannot_change_or_truncate_the_log():
    """The grant docs/security.md recommends for the application's role in production: it can
    write and read audit rows, and neither UPDATE, DELETE nor TRUNCATE them (TRUNCATE needs the
    table's owner or an explicit grant, so the trigger leaves it to the owner). The role is made
    inside the test's transaction and rolled back with it."""
    event = _event()
    role = f"exhale_audit_probe_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT SELECT, INSERT ON core_auditevent TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
        try:
            cursor.execute(
                "INSERT INTO core_auditevent (at, actor_role, action, target_type, target_id,"
                " detail) VALUES (now(), 'system', 'probe.inserted', '', '', '{}')"
            )
            for statement, params in (
                ("UPDATE core_auditevent SET action = 'tampered' WHERE id = %s", [event.pk]),
                ("DELETE FROM core_auditevent WHERE id = %s", [event.pk]),
                ("TRUNCATE core_auditevent", None),
            ):
                with (
                    pytest.raises(DatabaseError, match="permission denied"),
                    transaction.atomic(),
                ):
                    cursor.execute(statement, params)
        finally:
            cursor.execute("RESET ROLE")

    assert AuditEvent.objects.get(pk=event.pk).action == "patient.viewed"
    assert AuditEvent.objects.filter(action="probe.inserted").exists()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_still_empty_the_database_after_writing_audit_rows():
    """pytest-django empties the database after a transactional test (TRUNCATE on PostgreSQL,
    DELETE on SQLite, both below the ORM). The trigger refuses row UPDATE and DELETE only, so
    this works: if a TRUNCATE trigger were added, this test's teardown would fail."""
    _event()
    assert AuditEvent.objects.exists()


@postgres_only
def test_database_still_accepts_new_audit_rows():
    _event()
    audit_record(actor=None, action="second.row")

    assert AuditEvent.objects.filter(action__in=["patient.viewed", "second.row"]).count() == 2


# --- admin: read-only ------------------------------------------------------------------------


def test_admin_lists_audit_events(client):
    event = _event()
    client.force_login(AdminFactory())

    response = client.get(reverse("admin:core_auditevent_changelist"))

    assert response.status_code == HTTPStatus.OK
    assert b"patient.viewed" in response.content
    assert reverse("admin:core_auditevent_change", args=[event.pk]).encode() in response.content


def test_admin_cannot_add_an_audit_event(client):
    client.force_login(AdminFactory())
    count = AuditEvent.objects.count()

    assert client.get(reverse("admin:core_auditevent_add")).status_code == HTTPStatus.FORBIDDEN
    response = client.post(reverse("admin:core_auditevent_add"), {"action": "made.up"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert AuditEvent.objects.count() == count


def test_admin_can_view_but_not_change_an_audit_event(client):
    event = _event()
    client.force_login(AdminFactory())
    url = reverse("admin:core_auditevent_change", args=[event.pk])

    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert b'name="_save"' not in page.content

    response = client.post(
        url, {"action": "patient.nothing_to_see", "actor_role": "admin", "_save": "Save"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    event.refresh_from_db()
    assert event.action == "patient.viewed"
    assert event.actor_role == "clinician"


def test_admin_cannot_delete_an_audit_event(client):
    event = _event()
    client.force_login(AdminFactory())
    url = reverse("admin:core_auditevent_delete", args=[event.pk])

    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    assert client.post(url, {"post": "yes"}).status_code == HTTPStatus.FORBIDDEN
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_changelist_offers_no_bulk_delete(client):
    event = _event()
    client.force_login(AdminFactory())
    url = reverse("admin:core_auditevent_changelist")

    page = client.get(url)
    assert b"delete_selected" not in page.content

    client.post(url, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_clinician_cannot_open_the_audit_admin(client):
    _event()
    client.force_login(ClinicianFactory())

    response = client.get(reverse("admin:core_auditevent_changelist"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("admin:login"))


def test_admin_without_second_factor_cannot_open_the_audit_admin(client):
    _event()
    client.force_login(AdminFactory(mfa=False))

    response = client.get(reverse("admin:core_auditevent_changelist"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("mfa_activate_totp")
