"""A peer specialist (or clinician) hands a worry about a patient to the patient's clinician: it
becomes a flag like any other, with a deadline and escalation."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from core.models import Notification
from safety import services
from safety.models import Flag, FlagEvent, FlagSignal
from tests.factories import ClinicianFactory, PeerFactory
from tests.safety.factories import raw_column

pytestmark = pytest.mark.django_db

WORRY = "CANARY-0a4e said at group she has given away her dog and said goodbye"


def _concern_url(team) -> str:
    return reverse("safety:concern_create", args=[team.patient.pk])


def test_the_assigned_peer_sees_the_concern_form(client, team):
    client.force_login(team.peer)

    response = client.get(_concern_url(team))

    assert response.status_code == HTTPStatus.OK
    assert "If someone is in danger now, call 999 first." in response.content.decode()


def test_the_assigned_peer_raises_a_concern_and_the_clinician_is_told(client, team):
    client.force_login(team.peer)

    response = client.post(_concern_url(team), {"severity": "high", "note": WORRY})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("accounts:patient_detail", args=[team.patient.pk])
    flag = Flag.objects.get(patient=team.patient)
    assert flag.category == Flag.Category.CONCERN
    assert flag.source == Flag.Source.CONCERN
    assert flag.severity == "high"
    assert flag.handled_by == team.clinician
    assert flag.summary == "Concern raised by their peer support specialist"
    signal = flag.signals.get()
    assert signal.raised_by == team.peer
    assert json.loads(signal.evidence)[0]["excerpt"] == WORRY
    assert "CANARY" not in raw_column("safety_flagsignal", "evidence", "id", signal.pk)
    assert flag.events.get(kind=FlagEvent.Kind.RAISED).actor == team.peer
    [notice] = Notification.objects.filter(recipient=team.clinician, kind="safety_flag")
    assert notice.url == flag.get_absolute_url()
    assert WORRY not in notice.title
    # The clinician reads the peer's words on the flag page.
    client.force_login(team.clinician)
    assert WORRY in client.get(flag.get_absolute_url()).content.decode()


def test_a_second_concern_is_added_to_the_open_one(client, team):
    client.force_login(team.peer)
    client.post(_concern_url(team), {"severity": "medium", "note": "first worry"})

    client.post(_concern_url(team), {"severity": "critical", "note": "second worry"})

    flag = Flag.objects.get(patient=team.patient)
    assert flag.signal_count == 2
    assert flag.severity == "critical"


def test_the_named_clinician_can_raise_a_concern_too(client, team):
    client.force_login(team.clinician)

    response = client.post(_concern_url(team), {"severity": "low", "note": "Missed depot."})

    assert response.status_code == HTTPStatus.FOUND
    signal = FlagSignal.objects.get()
    assert signal.raised_by == team.clinician
    assert signal.flag.summary == "Concern raised by their clinician"


@pytest.mark.parametrize("factory", [PeerFactory, ClinicianFactory])
def test_staff_outside_the_care_team_get_404_and_no_flag(client, team, factory):
    client.force_login(factory())

    assert client.get(_concern_url(team)).status_code == HTTPStatus.NOT_FOUND
    response = client.post(_concern_url(team), {"severity": "critical", "note": WORRY})

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Flag.objects.exists()


def test_the_patient_themself_gets_403(client, team):
    client.force_login(team.patient)

    response = client.post(_concern_url(team), {"severity": "critical", "note": WORRY})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Flag.objects.exists()


def test_an_unknown_patient_is_404(client, team):
    client.force_login(team.peer)

    url = reverse("safety:concern_create", args=[987654])

    assert client.post(url, {"severity": "low", "note": "x"}).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(
    "data",
    [
        {"severity": "high"},
        {"severity": "high", "note": "   "},
        {"note": WORRY},
        {"severity": "urgent", "note": WORRY},
        {"severity": "high", "note": "x" * 5001},
    ],
)
def test_a_concern_without_a_note_or_severity_is_refused(client, team, data):
    client.force_login(team.peer)

    response = client.post(_concern_url(team), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors
    assert not Flag.objects.exists()
    assert not Notification.objects.exists()


def test_the_service_checks_the_same_rules(team):
    with pytest.raises(PermissionDenied):
        services.flag_raise_concern(
            patient=team.patient, by=PeerFactory(), severity="high", note=WORRY
        )
    with pytest.raises(PermissionDenied):
        services.flag_raise_concern(
            patient=team.patient, by=team.patient, severity="high", note=WORRY
        )
    with pytest.raises(ValidationError):
        services.flag_raise_concern(patient=team.patient, by=team.peer, severity="none", note=WORRY)
    with pytest.raises(ValidationError):
        services.flag_raise_concern(patient=team.patient, by=team.peer, severity="high", note=" ")

    assert not Flag.objects.exists()
