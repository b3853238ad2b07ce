"""core/bulk.py: set-based inserts and id lists, on PostgreSQL (unnest, one array parameter)
and on SQLite (the ORM), with the same results."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import crypto
from core.bulk import ids_condition, insert_rows
from core.models import Notification, NotificationDelivery
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

FIELDS = ("recipient", "kind", "title", "body", "url", "urgent", "created_at")


def rows_for(patients, *, body="The same words for everyone."):
    now = timezone.now()
    return [
        (p.pk, "test", f"Notice {i}", body, f"/n/{i}/", False, now) for i, p in enumerate(patients)
    ]


def test_rows_are_inserted_and_their_ids_come_back_in_order():
    patients = PatientFactory.create_batch(3)

    ids = insert_rows(Notification, FIELDS, rows_for(patients))

    assert len(ids) == 3
    saved = Notification.objects.in_bulk(ids)
    assert [saved[pk].title for pk in ids] == ["Notice 0", "Notice 1", "Notice 2"]
    assert [saved[pk].recipient_id for pk in ids] == [p.pk for p in patients]


def test_an_encrypted_column_is_encrypted_at_rest_and_reads_back():
    patients = PatientFactory.create_batch(2)

    ids = insert_rows(Notification, FIELDS, rows_for(patients, body="canary-bulk-7731"))

    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM core_notification WHERE id = %s", [ids[0]])
        (raw,) = cursor.fetchone()
    assert "canary-bulk-7731" not in raw
    assert crypto.decrypt(raw) == "canary-bulk-7731"
    assert {n.body for n in Notification.objects.filter(pk__in=ids)} == {"canary-bulk-7731"}


def test_one_statement_whatever_the_number_of_rows():
    patients = PatientFactory.create_batch(40)

    with CaptureQueriesContext(connection) as queries:
        insert_rows(Notification, FIELDS, rows_for(patients))

    inserts = [q for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    if connection.vendor == "postgresql":
        # Columns with one value for every row are single parameters, not arrays of copies.
        assert "unnest(" in inserts[0]["sql"]
        assert "AS u(c0, c2, c4)" in inserts[0]["sql"]  # recipient, title, url


def test_conflicting_rows_are_skipped_with_ignore_conflicts():
    patient = PatientFactory()
    (notification,) = insert_rows(Notification, FIELDS, rows_for([patient]))
    delivery = ("notification", "channel", "status", "attempts", "next_attempt_at", "last_error")
    now = timezone.now()
    insert_rows(NotificationDelivery, delivery, [(notification, "email", "pending", 0, now, "")])

    again = insert_rows(
        NotificationDelivery,
        delivery,
        [(notification, "email", "pending", 0, now, "")],
        ignore_conflicts=True,
    )

    assert again == []
    assert NotificationDelivery.objects.filter(notification_id=notification).count() == 1


def test_nothing_to_insert_is_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert insert_rows(Notification, FIELDS, []) == []
    assert len(queries) == 0


def test_any_of_finds_exactly_the_ids_given():
    patients = PatientFactory.create_batch(4)
    ids = insert_rows(Notification, FIELDS, rows_for(patients))

    assert set(
        Notification.objects.filter(pk__any_of=ids[1:3]).values_list("pk", flat=True)
    ) == set(ids[1:3])
    # Also through a relation's id, and with nothing to find.
    mine = Notification.objects.filter(recipient_id__any_of=[patients[0].pk])
    assert list(mine.values_list("pk", flat=True)) == [ids[0]]
    assert not Notification.objects.filter(pk__any_of=[]).exists()


def test_ids_condition_is_one_array_parameter_on_postgresql():
    sql, params = ids_condition('"id"', [3, 1, 2])

    if connection.vendor == "postgresql":
        assert (sql, params) == ('"id" = ANY(%s::bigint[])', [[3, 1, 2]])
    else:
        assert (sql, params) == ('"id" IN (%s, %s, %s)', [3, 1, 2])
