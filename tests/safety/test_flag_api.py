"""The flag API: the same permissions as the pages, one error shape ({detail, code}), 409 when the
flag's state forbids the action, 400 with nothing changed for bad input; and two clinicians
acknowledging at once end with one acknowledgement."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http import HTTPStatus
from unittest import mock

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from core import tasks
from core.exceptions import StateConflict
from core.models import AuditEvent, Notification
from safety import services
from safety.models import Flag, FlagEvent, FlagRecipient, Severity
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.safety.factories import (
    PATIENT_NAME,
    make_team,
    postgres_only,
    raise_flag,
    raw_column,
    run_in_threads,
)

pytestmark = pytest.mark.django_db

NOTE_CANARY = "CANARY-77aa reached her at home, GP appointment tomorrow"
JSON = "application/json"


@pytest.fixture
def flag(team) -> Flag:
    return raise_flag(team.patient, severity=Severity.CRITICAL)


@pytest.fixture
def api(client, team):
    client.force_login(team.clinician)
    return client


def _url(name: str, flag: Flag | None = None) -> str:
    return reverse(f"api:{name}", args=[flag.pk] if flag is not None else [])


def _post(client, name: str, flag: Flag, data: dict | None = None):
    return client.post(_url(name, flag), data or {}, JSON)


def _state(flag: Flag) -> tuple:
    flag.refresh_from_db()
    return (
        flag.status,
        flag.handled_by_id,
        flag.outcome,
        flag.acknowledged_at,
        FlagEvent.objects.filter(flag=flag).count(),
        FlagRecipient.objects.filter(flag=flag).count(),
        Notification.objects.count(),
    )


def _assert_error(response, status: HTTPStatus, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    expected_keys = {"detail", "code", "errors"} if code == "invalid" else {"detail", "code"}
    assert set(body) == expected_keys
    return body


# --- list and detail ----------------------------------------------------------------------------


def test_the_list_has_the_clinicians_active_flags_most_urgent_first(api, team):
    low = raise_flag(team.patient, category=Flag.Category.ABUSE, severity=Severity.LOW)
    critical = raise_flag(team.patient, severity=Severity.CRITICAL)
    raise_flag(make_team(email="other@example.org").patient)  # not theirs

    response = api.get(_url("flag_list"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [critical.pk, low.pk]
    item = body["results"][0]
    assert item["patient_id"] == team.patient.pk
    assert item["patient_name"] == PATIENT_NAME
    assert item["severity"] == "critical"
    assert item["status"] == "open"
    assert item["handled_by_id"] == team.clinician.pk
    assert item["signal_count"] == 1
    assert item["ack_deadline"]


def test_the_detail_has_the_history_and_the_read_is_audited(api, team, flag):
    services.flag_note_add(flag=flag, by=team.clinician, note=NOTE_CANARY)

    response = api.get(_url("flag_detail", flag))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["id"] == flag.pk
    assert [event["kind"] for event in body["events"]] == ["raised", "notified", "note"]
    assert body["events"][-1]["note"] == NOTE_CANARY
    assert body["events"][-1]["actor_id"] == team.clinician.pk
    audit = AuditEvent.objects.get(action="flag.viewed")
    assert (audit.actor_id, audit.subject_id) == (team.clinician.pk, team.patient.pk)
    assert audit.target_id == str(flag.pk)


def test_an_escalated_flag_is_listed_and_readable_for_the_clinician_it_reached(client, team):
    team_without_backup = make_team(backup=False, email="nobackup@example.org")
    flag = raise_flag(team_without_backup.patient)
    on_call = ClinicianFactory()
    services.on_call_set(clinician=on_call, on_call=True, by=on_call)
    client.force_login(on_call)
    assert client.get(_url("flag_detail", flag)).status_code == HTTPStatus.NOT_FOUND

    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))

    assert [item["id"] for item in client.get(_url("flag_list")).json()["results"]] == [flag.pk]
    assert client.get(_url("flag_detail", flag)).status_code == HTTPStatus.OK


@pytest.mark.parametrize("factory", [PatientFactory, PeerFactory, AdminFactory])
def test_non_clinicians_get_403_in_the_error_shape(client, flag, factory):
    client.force_login(factory())

    _assert_error(client.get(_url("flag_list")), HTTPStatus.FORBIDDEN, "permission_denied")
    _assert_error(client.get(_url("flag_detail", flag)), HTTPStatus.FORBIDDEN, "permission_denied")
    response = _post(client, "flag_acknowledge", flag)
    _assert_error(response, HTTPStatus.FORBIDDEN, "permission_denied")
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN


def test_anonymous_requests_get_401(client, flag):
    _assert_error(client.get(_url("flag_list")), HTTPStatus.UNAUTHORIZED, "not_authenticated")
    response = _post(client, "flag_acknowledge", flag)
    _assert_error(response, HTTPStatus.UNAUTHORIZED, "not_authenticated")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("flag_detail", None),
        ("flag_acknowledge", {}),
        ("flag_note", {"note": "mine", "contact_made": True}),
        ("flag_resolve", {"outcome": "not_a_concern"}),
        ("flag_hand_over", {"to": "SELF"}),
    ],
)
def test_another_clinicians_flag_is_404_everywhere_and_nothing_changes(client, flag, name, data):
    intruder = ClinicianFactory()
    client.force_login(intruder)
    before = _state(flag)

    if data is None:
        response = client.get(_url(name, flag))
    else:
        if data.get("to") == "SELF":
            data = {"to": intruder.pk}
        response = _post(client, name, flag, data)

    _assert_error(response, HTTPStatus.NOT_FOUND, "not_found")
    assert _state(flag) == before
    assert not AuditEvent.objects.filter(actor_id=intruder.pk).exists()


# --- acknowledge --------------------------------------------------------------------------------


def test_acknowledge_then_again_is_409(api, team, flag):
    response = _post(api, "flag_acknowledge", flag)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "acknowledged"
    assert response.json()["acknowledged_at"]

    body = _assert_error(_post(api, "flag_acknowledge", flag), HTTPStatus.CONFLICT, "conflict")

    assert body["detail"] == "This flag has already been acknowledged."
    assert flag.events.filter(kind=FlagEvent.Kind.ACKNOWLEDGED).count() == 1


def test_acknowledging_a_resolved_flag_is_409(api, team, flag):
    services.flag_resolve(flag=flag, by=team.clinician, outcome=Flag.Outcome.CONTACTED_SAFE)

    body = _assert_error(_post(api, "flag_acknowledge", flag), HTTPStatus.CONFLICT, "conflict")

    assert body["detail"] == "This flag has already been resolved."


def test_acknowledge_only_by_post(api, flag):
    response = api.get(_url("flag_acknowledge", flag))

    _assert_error(response, HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed")


# --- notes --------------------------------------------------------------------------------------


def test_a_note_is_created_and_encrypted(api, team, flag):
    response = _post(api, "flag_note", flag, {"note": NOTE_CANARY})

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["kind"] == "note"
    assert response.json()["note"] == NOTE_CANARY
    event = flag.events.get(kind=FlagEvent.Kind.NOTE)
    assert "CANARY" not in raw_column("safety_flagevent", "note", "id", event.pk)
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN


def test_contact_made_without_a_note_acknowledges(api, team, flag):
    response = _post(api, "flag_note", flag, {"contact_made": True})

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["kind"] == "contact_made"
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.acknowledged_by == team.clinician


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"note": ""},
        {"note": "   "},
        {"note": "x" * 5001},
        {"note": "ok", "contact_made": "maybe"},
    ],
)
def test_a_bad_note_is_400_and_changes_nothing(api, flag, data):
    before = _state(flag)

    body = _assert_error(_post(api, "flag_note", flag, data), HTTPStatus.BAD_REQUEST, "invalid")

    assert body["errors"]
    assert _state(flag) == before


def test_contact_made_on_a_resolved_flag_is_409_but_a_plain_note_is_kept(api, team, flag):
    services.flag_resolve(flag=flag, by=team.clinician, outcome=Flag.Outcome.CONTACTED_SAFE)

    response = _post(api, "flag_note", flag, {"note": "late", "contact_made": True})
    _assert_error(response, HTTPStatus.CONFLICT, "conflict")
    assert not flag.events.filter(kind=FlagEvent.Kind.CONTACT_MADE).exists()

    response = _post(api, "flag_note", flag, {"note": "Follow-up call went well."})
    assert response.status_code == HTTPStatus.CREATED


# --- resolve ------------------------------------------------------------------------------------


def test_resolve_then_again_is_409(api, team, flag):
    response = _post(api, "flag_resolve", flag, {"outcome": "emergency", "note": NOTE_CANARY})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "resolved"
    assert response.json()["outcome"] == "emergency"

    response = _post(api, "flag_resolve", flag, {"outcome": "not_a_concern"})

    body = _assert_error(response, HTTPStatus.CONFLICT, "conflict")
    assert body["detail"] == "This flag has already been resolved."
    flag.refresh_from_db()
    assert flag.outcome == Flag.Outcome.EMERGENCY


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "outcome"),
        ({"outcome": "vanished"}, "outcome"),
        ({"outcome": "other"}, "note"),
        ({"outcome": "other", "note": "  "}, "note"),
        ({"outcome": "contacted_safe", "note": "x" * 5001}, "note"),
    ],
)
def test_a_bad_resolution_is_400_and_changes_nothing(api, flag, data, field):
    before = _state(flag)

    body = _assert_error(_post(api, "flag_resolve", flag, data), HTTPStatus.BAD_REQUEST, "invalid")

    assert field in body["errors"]
    assert _state(flag) == before


# --- hand over ----------------------------------------------------------------------------------


def test_hand_over(api, team, flag):
    colleague = ClinicianFactory()

    response = _post(api, "flag_hand_over", flag, {"to": colleague.pk, "note": "Over to you"})

    assert response.status_code == HTTPStatus.OK
    assert response.json()["handled_by_id"] == colleague.pk
    assert FlagRecipient.objects.filter(flag=flag, user=colleague).exists()
    assert Notification.objects.filter(recipient=colleague, kind="safety_flag").count() == 1
    api.force_login(colleague)
    assert [item["id"] for item in api.get(_url("flag_list")).json()["results"]] == [flag.pk]


def test_bad_hand_overs_are_400_and_change_nothing(api, team, flag):
    inactive = ClinicianFactory(is_active=False)
    before = _state(flag)

    for to in (inactive.pk, team.peer.pk, team.patient.pk, team.clinician.pk, 987654, None):
        body = _assert_error(
            _post(api, "flag_hand_over", flag, {"to": to}), HTTPStatus.BAD_REQUEST, "invalid"
        )
        assert "to" in body["errors"], to

    assert _state(flag) == before


def test_handing_over_a_resolved_flag_is_409(api, team, flag):
    services.flag_resolve(flag=flag, by=team.clinician, outcome=Flag.Outcome.CONTACTED_SAFE)

    response = _post(api, "flag_hand_over", flag, {"to": ClinicianFactory().pk})

    _assert_error(response, HTTPStatus.CONFLICT, "conflict")


# --- at the same moment (PostgreSQL) ------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_clinicians_acknowledging_at_once_one_succeeds_the_other_is_told():
    team = make_team()
    with mock.patch.object(tasks.notification_deliver_task, "apply_async"):
        flag = raise_flag(team.patient)
    first_acknowledged = threading.Event()

    def first():
        with transaction.atomic():
            services.flag_acknowledge(flag=flag, by=team.clinician)
            first_acknowledged.set()
            time.sleep(0.5)  # still uncommitted while the second one tries
        return "acknowledged"

    def second():
        assert first_acknowledged.wait(10)
        services.flag_acknowledge(flag=flag, by=team.backup)
        return "acknowledged"

    results = run_in_threads(first, second)

    assert results[0] == "acknowledged"
    assert isinstance(results[1], StateConflict), results[1]
    flag.refresh_from_db()
    assert flag.acknowledged_by == team.clinician
    assert flag.events.filter(kind=FlagEvent.Kind.ACKNOWLEDGED).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_acknowledge_requests_at_once_give_one_200_and_one_409():
    team = make_team()
    with mock.patch.object(tasks.notification_deliver_task, "apply_async"):
        flag = raise_flag(team.patient)
    clients = []
    for clinician in (team.clinician, team.backup):
        client = Client()
        client.force_login(clinician)
        clients.append(client)
    barrier = threading.Barrier(2)

    def acknowledge(client):
        def run():
            barrier.wait(10)
            return _post(client, "flag_acknowledge", flag).status_code

        return run

    statuses = run_in_threads(*(acknowledge(client) for client in clients))

    assert sorted(statuses) == [HTTPStatus.OK, HTTPStatus.CONFLICT]
    assert flag.events.filter(kind=FlagEvent.Kind.ACKNOWLEDGED).count() == 1
    assert AuditEvent.objects.filter(action="flag.acknowledged").count() == 1
