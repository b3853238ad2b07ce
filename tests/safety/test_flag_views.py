"""Clinician triage pages: the queue, a flag's page, acknowledge, note, contact made, resolve,
hand over; going on call; the admins' safety overview. Every flag view is audited, nobody sees a
flag that is not theirs, and bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Notification
from safety import services, timeline
from safety.models import Flag, FlagEvent, FlagRecipient, OnCall, Severity
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.safety.factories import PATIENT_NAME, make_team, put_on_call, raise_flag, raw_column

pytestmark = pytest.mark.django_db

NOTE_CANARY = "CANARY-5d2b phoned her sister, she is staying there tonight"


@pytest.fixture
def flag(team) -> Flag:
    return raise_flag(
        team.patient,
        evidence=[{"category": "crisis", "excerpt": "I want it all to stop", "reason": "Intent"}],
    )


@pytest.fixture
def as_clinician(client, team):
    client.force_login(team.clinician)
    return client


def _url(name: str, flag: Flag) -> str:
    return reverse(f"safety:{name}", args=[flag.pk])


def _queue_ids(client) -> list[int]:
    response = client.get(reverse("safety:flag_queue"))
    assert response.status_code == HTTPStatus.OK
    return [flag.pk for flag in response.context["page"].object_list]


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


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_shows_the_clinicians_flags_most_urgent_then_oldest(client):
    me = ClinicianFactory()
    now = timezone.now()

    def flag_for_my_patient(severity, hours_ago):
        return raise_flag(
            PatientFactory(profile=me), severity=severity, now=now - timedelta(hours=hours_ago)
        )

    low_old = flag_for_my_patient(Severity.LOW, 5)
    critical_new = flag_for_my_patient(Severity.CRITICAL, 1)
    high_older = flag_for_my_patient(Severity.HIGH, 3)
    high_newer = flag_for_my_patient(Severity.HIGH, 2)
    client.force_login(me)

    assert _queue_ids(client) == [critical_new.pk, high_older.pk, high_newer.pk, low_old.pk]


def test_the_queue_holds_caseload_handed_over_and_escalated_flags_and_nothing_else(client):
    me = ClinicianFactory()
    mine = raise_flag(PatientFactory(profile=me), severity=Severity.MEDIUM)
    others = make_team()
    handed = raise_flag(others.patient, category=Flag.Category.ABUSE, severity=Severity.LOW)
    services.flag_hand_over(flag=handed, by=others.clinician, to=me)
    escalated_team = make_team(backup=False, email="escalated@example.org")
    escalated = raise_flag(escalated_team.patient, severity=Severity.HIGH)
    put_on_call(me)
    services.flag_escalation_sweep(now=escalated.ack_deadline + timedelta(minutes=1))
    not_mine = raise_flag(make_team(email="not-mine@example.org").patient)
    resolved = raise_flag(PatientFactory(profile=me), category=Flag.Category.LOW_MOOD)
    services.flag_resolve(flag=resolved, by=me, outcome=Flag.Outcome.CONTACTED_SAFE)
    client.force_login(me)

    response = client.get(reverse("safety:flag_queue"))

    assert [f.pk for f in response.context["page"].object_list] == [
        escalated.pk,
        mine.pk,
        handed.pk,
    ]
    assert not_mine.pk not in [f.pk for f in response.context["resolved"]]
    assert [f.pk for f in response.context["resolved"]] == [resolved.pk]
    assert reverse("safety:flag_detail", args=[not_mine.pk]) not in response.content.decode()


def test_the_queue_shows_deadlines_and_repeat_signals(as_clinician, team):
    flag = raise_flag(team.patient, severity=Severity.CRITICAL)
    raise_flag(team.patient, severity=Severity.CRITICAL)
    overdue = raise_flag(
        team.patient,
        category=Flag.Category.ABUSE,
        severity=Severity.LOW,
        now=timezone.now() - timedelta(days=4),
    )

    content = as_clinician.get(reverse("safety:flag_queue")).content.decode()

    assert flag.get_absolute_url() in content
    assert overdue.get_absolute_url() in content
    assert "(2 signals)" in content
    assert "Acknowledge within" in content
    assert "Overdue by" in content
    assert PATIENT_NAME in content


@pytest.mark.parametrize("factory", [PatientFactory, PeerFactory, AdminFactory])
def test_only_clinicians_reach_the_flag_pages(client, flag, factory):
    client.force_login(factory())

    assert client.get(reverse("safety:flag_queue")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(flag.get_absolute_url()).status_code == HTTPStatus.FORBIDDEN
    response = client.post(_url("flag_acknowledge", flag))
    assert response.status_code == HTTPStatus.FORBIDDEN
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN


def test_anonymous_visitors_are_sent_to_log_in(client, flag):
    response = client.get(flag.get_absolute_url())

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert not AuditEvent.objects.filter(action="flag.viewed").exists()


# --- a flag's page ------------------------------------------------------------------------------


def test_the_flag_page_shows_the_evidence_history_and_earlier_flags(as_clinician, team, flag):
    earlier = raise_flag(
        team.patient, category=Flag.Category.LOW_MOOD, now=timezone.now() - timedelta(days=3)
    )
    services.flag_resolve(flag=earlier, by=team.clinician, outcome=Flag.Outcome.CONTACTED_SAFE)

    response = as_clinician.get(flag.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "I want it all to stop" in content
    assert flag.summary in content
    assert PATIENT_NAME in content
    assert "Acknowledge: I am dealing with this" in content
    assert [f.pk for f in response.context["history"]] == [earlier.pk]
    assert "contacted: safe for now, plan agreed" in content
    assert [e.kind for e in response.context["events"]] == ["raised", "notified"]


def test_every_view_of_a_flag_is_audited(as_clinician, team, flag):
    as_clinician.get(flag.get_absolute_url())
    as_clinician.get(flag.get_absolute_url())

    views = AuditEvent.objects.filter(action="flag.viewed")
    assert views.count() == 2
    view = views.first()
    assert view.actor_id == team.clinician.pk
    assert view.actor_role == "clinician"
    assert view.subject_id == team.patient.pk
    assert (view.target_type, view.target_id) == ("safety.flag", str(flag.pk))
    assert view.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("flag_detail", "get", None),
        ("flag_acknowledge", "post", {}),
        ("flag_note", "post", {"note": "mine now", "contact_made": "on"}),
        ("flag_resolve", "post", {"outcome": "not_a_concern"}),
        ("flag_hand_over", "post", {"to": "SELF"}),
    ],
)
def test_another_clinicians_flag_is_not_found_on_every_url_and_nothing_changes(
    client, flag, name, method, data
):
    intruder = ClinicianFactory()
    if data and data.get("to") == "SELF":
        data = {"to": intruder.pk}
    before = _state(flag)
    client.force_login(intruder)

    response = getattr(client, method)(_url(name, flag), data)

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert _state(flag) == before
    assert not AuditEvent.objects.filter(actor_id=intruder.pk, action="flag.viewed").exists()


# --- acknowledge --------------------------------------------------------------------------------


def test_acknowledge(as_clinician, team, flag):
    response = as_clinician.post(_url("flag_acknowledge", flag), follow=True)

    assert response.redirect_chain == [(flag.get_absolute_url(), HTTPStatus.FOUND)]
    assert any("Acknowledged" in message for message in _messages(response))
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.acknowledged_by == team.clinician
    assert flag.acknowledged_at is not None
    assert flag.events.filter(kind="acknowledged", actor=team.clinician).count() == 1
    assert AuditEvent.objects.filter(action="flag.acknowledged", target_id=str(flag.pk)).exists()
    assert "Acknowledge: I am dealing with this" not in response.content.decode()


def test_acknowledging_twice_is_refused_with_a_clear_message(as_clinician, team, flag):
    as_clinician.post(_url("flag_acknowledge", flag))
    flag.refresh_from_db()
    first = flag.acknowledged_at

    response = as_clinician.post(_url("flag_acknowledge", flag), follow=True)

    assert response.status_code == HTTPStatus.OK
    assert "This flag has already been acknowledged." in _messages(response)
    flag.refresh_from_db()
    assert flag.acknowledged_at == first
    assert flag.events.filter(kind="acknowledged").count() == 1
    assert AuditEvent.objects.filter(action="flag.acknowledged").count() == 1


def test_acknowledge_only_by_post(as_clinician, flag):
    response = as_clinician.get(_url("flag_acknowledge", flag))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN


# --- notes and contact made ---------------------------------------------------------------------


def test_a_note_is_added_and_stored_encrypted(as_clinician, team, flag):
    response = as_clinician.post(_url("flag_note", flag), {"note": NOTE_CANARY})

    assert response.status_code == HTTPStatus.FOUND
    event = flag.events.get(kind=FlagEvent.Kind.NOTE)
    assert event.note == NOTE_CANARY
    assert event.actor == team.clinician
    raw = raw_column("safety_flagevent", "note", "id", event.pk)
    assert raw
    assert "CANARY" not in raw
    assert "sister" not in raw
    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN  # a note alone acknowledges nothing
    assert NOTE_CANARY in as_clinician.get(flag.get_absolute_url()).content.decode()
    audit = AuditEvent.objects.get(action="flag.note_added")
    assert "CANARY" not in str(audit.detail)


@pytest.mark.parametrize("note", ["", "   "])
def test_a_note_needs_text_unless_contact_was_made(as_clinician, flag, note):
    before = _state(flag)

    response = as_clinician.post(_url("flag_note", flag), {"note": note})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _state(flag) == before
    assert response.context["note_form"].errors


def test_contact_made_acknowledges_an_open_flag_even_without_a_note(as_clinician, team, flag):
    response = as_clinician.post(_url("flag_note", flag), {"note": "", "contact_made": "on"})

    assert response.status_code == HTTPStatus.FOUND
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.acknowledged_by == team.clinician
    assert flag.events.filter(kind=FlagEvent.Kind.CONTACT_MADE).count() == 1
    assert AuditEvent.objects.filter(action="flag.contact_made").count() == 1


def test_contact_made_on_an_acknowledged_flag_keeps_the_first_acknowledgement(
    as_clinician, team, flag
):
    services.flag_acknowledge(flag=flag, by=team.clinician)
    flag.refresh_from_db()
    acknowledged_at = flag.acknowledged_at

    as_clinician.post(_url("flag_note", flag), {"note": NOTE_CANARY, "contact_made": "on"})

    flag.refresh_from_db()
    assert flag.acknowledged_at == acknowledged_at
    assert flag.events.get(kind=FlagEvent.Kind.CONTACT_MADE).note == NOTE_CANARY


def test_a_note_too_long_is_refused(as_clinician, flag):
    before = _state(flag)

    response = as_clinician.post(_url("flag_note", flag), {"note": "x" * 5001})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _state(flag) == before


# --- resolve ------------------------------------------------------------------------------------


def test_resolve_with_an_outcome(as_clinician, team, flag):
    response = as_clinician.post(
        _url("flag_resolve", flag), {"outcome": "crisis_team", "note": NOTE_CANARY}
    )

    assert response.status_code == HTTPStatus.FOUND
    flag.refresh_from_db()
    assert flag.status == Flag.Status.RESOLVED
    assert flag.outcome == Flag.Outcome.CRISIS_TEAM
    assert flag.resolved_by == team.clinician
    assert flag.resolved_at is not None
    assert flag.acknowledged_by == team.clinician  # resolving an open flag acknowledges it
    event = flag.events.get(kind=FlagEvent.Kind.RESOLVED)
    assert event.note == NOTE_CANARY
    assert event.detail == {"outcome": "crisis_team"}
    assert AuditEvent.objects.get(action="flag.resolved").detail == {"outcome": "crisis_team"}
    # Gone from the active queue, listed as resolved.
    queue = as_clinician.get(reverse("safety:flag_queue"))
    assert list(queue.context["page"].object_list) == []
    assert [f.pk for f in queue.context["resolved"]] == [flag.pk]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"outcome": ""},
        {"outcome": "went_away"},
        {"outcome": "other"},
        {"outcome": "other", "note": "   "},
        {"outcome": "contacted_safe", "note": "x" * 5001},
    ],
)
def test_resolve_needs_a_valid_outcome_and_a_note_for_other(as_clinician, flag, data):
    before = _state(flag)

    response = as_clinician.post(_url("flag_resolve", flag), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["resolve_form"].errors
    assert _state(flag) == before


def test_other_with_a_note_resolves(as_clinician, flag):
    as_clinician.post(_url("flag_resolve", flag), {"outcome": "other", "note": "Moved away."})

    flag.refresh_from_db()
    assert (flag.status, flag.outcome) == (Flag.Status.RESOLVED, Flag.Outcome.OTHER)


def test_resolving_twice_is_refused(as_clinician, flag):
    as_clinician.post(_url("flag_resolve", flag), {"outcome": "not_a_concern"})
    flag.refresh_from_db()
    resolved_at = flag.resolved_at

    response = as_clinician.post(_url("flag_resolve", flag), {"outcome": "emergency"}, follow=True)

    assert "This flag has already been resolved." in _messages(response)
    flag.refresh_from_db()
    assert flag.outcome == Flag.Outcome.NOT_A_CONCERN
    assert flag.resolved_at == resolved_at
    assert flag.events.filter(kind=FlagEvent.Kind.RESOLVED).count() == 1
    # Nor can it be acknowledged or contact recorded after resolution.
    response = as_clinician.post(_url("flag_acknowledge", flag), follow=True)
    assert "This flag has already been resolved." in _messages(response)
    response = as_clinician.post(
        _url("flag_note", flag), {"note": "late", "contact_made": "on"}, follow=True
    )
    assert "This flag has already been resolved." in _messages(response)
    assert not flag.events.filter(kind=FlagEvent.Kind.CONTACT_MADE).exists()


# --- hand over ----------------------------------------------------------------------------------


def test_hand_over_to_another_clinician(client, as_clinician, team, flag):
    colleague = ClinicianFactory()

    response = as_clinician.post(
        _url("flag_hand_over", flag), {"to": colleague.pk, "note": NOTE_CANARY}, follow=True
    )

    assert response.status_code == HTTPStatus.OK
    assert f"Handed over to {colleague.full_name}. They have been told." in _messages(response)
    flag.refresh_from_db()
    assert flag.handled_by == colleague
    assert FlagRecipient.objects.get(flag=flag, user=colleague).level == flag.escalation_level
    [notice] = Notification.objects.filter(recipient=colleague, kind="safety_flag")
    assert notice.url == flag.get_absolute_url()
    event = flag.events.get(kind=FlagEvent.Kind.HANDED_OVER)
    assert event.detail == {"from_id": team.clinician.pk, "to_id": colleague.pk}
    assert event.note == NOTE_CANARY
    assert "CANARY" not in raw_column("safety_flagevent", "note", "id", event.pk)
    assert AuditEvent.objects.get(action="flag.handed_over").detail == {"to_id": colleague.pk}
    client.force_login(colleague)
    assert _queue_ids(client) == [flag.pk]
    assert client.get(flag.get_absolute_url()).status_code == HTTPStatus.OK


def test_hand_over_refuses_inactive_users_non_clinicians_and_oneself(as_clinician, team, flag):
    inactive = ClinicianFactory(is_active=False)
    before = _state(flag)

    for to in (inactive.pk, team.peer.pk, team.patient.pk, team.clinician.pk, 987654, "x", ""):
        response = as_clinician.post(_url("flag_hand_over", flag), {"to": to})
        assert response.status_code == HTTPStatus.BAD_REQUEST, to
        assert response.context["hand_over_form"].errors

    assert _state(flag) == before


def test_the_service_refuses_handing_over_to_the_current_handler_or_an_inactive_user(team, flag):
    with pytest.raises(ValidationError, match="already has the flag"):
        services.flag_hand_over(flag=flag, by=team.backup, to=team.clinician)
    with pytest.raises(ValidationError, match="active clinician"):
        services.flag_hand_over(flag=flag, by=team.clinician, to=ClinicianFactory(is_active=False))
    with pytest.raises(ValidationError, match="active clinician"):
        services.flag_hand_over(flag=flag, by=team.clinician, to=team.peer)

    flag.refresh_from_db()
    assert flag.handled_by == team.clinician
    assert not flag.events.filter(kind=FlagEvent.Kind.HANDED_OVER).exists()


def test_a_resolved_flag_cannot_be_handed_over(as_clinician, team, flag):
    services.flag_resolve(flag=flag, by=team.clinician, outcome=Flag.Outcome.NOT_A_CONCERN)
    colleague = ClinicianFactory()

    response = as_clinician.post(_url("flag_hand_over", flag), {"to": colleague.pk}, follow=True)

    assert "This flag has already been resolved." in _messages(response)
    flag.refresh_from_db()
    assert flag.handled_by == team.clinician
    assert not Notification.objects.filter(recipient=colleague).exists()


# --- on call ------------------------------------------------------------------------------------


def test_going_on_call_and_off_call(client):
    me = ClinicianFactory()
    client.force_login(me)

    response = client.post(reverse("safety:on_call"), {"on_call": "on"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("safety:flag_queue")
    assert OnCall.objects.filter(user=me).exists()
    assert client.get(reverse("safety:flag_queue")).context["on_call"] is True
    assert AuditEvent.objects.filter(action="on_call.started", actor_id=me.pk).count() == 1

    client.post(reverse("safety:on_call"), {"on_call": "on"})  # again: no change, no audit
    assert AuditEvent.objects.filter(action="on_call.started").count() == 1

    client.post(reverse("safety:on_call"), {})

    assert not OnCall.objects.filter(user=me).exists()
    assert client.get(reverse("safety:flag_queue")).context["on_call"] is False
    assert AuditEvent.objects.filter(action="on_call.ended", actor_id=me.pk).count() == 1


def test_on_call_changes_only_by_post_and_only_for_clinicians(client):
    me = ClinicianFactory()
    client.force_login(me)
    assert client.get(reverse("safety:on_call")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not OnCall.objects.exists()

    for factory in (PatientFactory, PeerFactory, AdminFactory):
        client.force_login(factory())
        response = client.post(reverse("safety:on_call"), {"on_call": "on"})
        assert response.status_code == HTTPStatus.FORBIDDEN
    assert not OnCall.objects.exists()


def test_only_admins_or_the_clinician_themself_change_who_is_on_call():
    me, colleague, admin = ClinicianFactory(), ClinicianFactory(), AdminFactory()

    with pytest.raises(Exception, match="your own"):
        services.on_call_set(clinician=colleague, on_call=True, by=me)
    services.on_call_set(clinician=colleague, on_call=True, by=admin)
    with pytest.raises(ValidationError):
        services.on_call_set(clinician=PeerFactory(), on_call=True, by=admin)

    assert list(OnCall.objects.values_list("user", flat=True)) == [colleague.pk]


# --- the safety overview ------------------------------------------------------------------------


def test_admins_see_counts_and_times_without_patient_names(client):
    clinician = ClinicianFactory()
    names = ["Rosalind Overdue", "Barnaby Acked", "Cordelia Resolved", "Desmond Waiting"]
    patients = [PatientFactory(profile=clinician, full_name=name) for name in names]
    now = timezone.now()
    overdue = raise_flag(patients[0], severity=Severity.CRITICAL, now=now - timedelta(hours=3))
    services.flag_escalation_sweep(now=overdue.ack_deadline + timedelta(minutes=1))
    acked = raise_flag(patients[1], severity=Severity.HIGH, now=now - timedelta(minutes=30))
    services.flag_acknowledge(flag=acked, by=clinician)
    resolved = raise_flag(patients[2], severity=Severity.MEDIUM, now=now - timedelta(minutes=10))
    services.flag_resolve(flag=resolved, by=clinician, outcome=Flag.Outcome.NOT_A_CONCERN)
    raise_flag(patients[3], severity=Severity.LOW)
    on_call = ClinicianFactory(full_name="Oona Oncall")
    put_on_call(on_call)
    client.force_login(AdminFactory())

    response = client.get(reverse("safety:overview"))

    assert response.status_code == HTTPStatus.OK
    overview = response.context["overview"]
    assert overview["open_by_severity"] == [
        ("Critical", 1),
        ("High", 1),
        ("Medium", 0),
        ("Low", 1),
    ]
    assert overview["overdue_now"] == 1
    assert overview["breaches_30_days"] == 1
    assert overview["raised_30_days"] == 4
    assert overview["median_ack_minutes"] == pytest.approx(20, abs=1)
    assert overview["on_call"] == ["Oona Oncall"]
    content = response.content.decode()
    for name in names:
        assert name not in content
        assert name.split()[0] not in content
    assert "Oona Oncall" in content


def test_the_overview_with_no_flags_and_nobody_on_call(client):
    client.force_login(AdminFactory())

    response = client.get(reverse("safety:overview"))

    assert response.context["overview"]["median_ack_minutes"] is None
    assert "No acknowledged flags yet" in response.content.decode()
    assert "Nobody." in response.content.decode()


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, PatientFactory])
def test_only_admins_see_the_overview(client, factory):
    client.force_login(factory())

    assert client.get(reverse("safety:overview")).status_code == HTTPStatus.FORBIDDEN


# --- safety on the staff page about a patient, and the patient timeline -------------------------


def test_the_patient_page_lists_flags_for_clinicians_and_offers_peers_a_concern(client, team):
    flag = raise_flag(team.patient)
    detail = reverse("accounts:patient_detail", args=[team.patient.pk])
    concern = reverse("safety:concern_create", args=[team.patient.pk])
    plan = reverse("safety:patient_safety_plan", args=[team.patient.pk])

    client.force_login(team.clinician)
    content = client.get(detail).content.decode()
    assert flag.get_absolute_url() in content
    assert concern in content
    assert plan in content

    client.force_login(team.peer)
    content = client.get(detail).content.decode()
    assert flag.get_absolute_url() not in content  # peers see no flags
    assert concern in content
    assert plan in content


@pytest.fixture
def checkin_timeline():
    """A provider like the one the check-in app registers from its AppConfig.ready(): it returns
    its entries in its own order, and notes what it was asked for."""
    calls = []

    def provider(patient, since):
        calls.append((patient, since))
        now = timezone.now()
        return [
            timeline.TimelineEntry(at=now - timedelta(hours=30), kind="Check-in", text="Mood 6"),
            timeline.TimelineEntry(at=now - timedelta(hours=2), kind="Check-in", text="Mood 2"),
        ]

    timeline.register(provider)
    yield calls
    timeline._providers.remove(provider)


def test_the_flag_page_shows_the_patients_recent_timeline_newest_first(
    as_clinician, team, flag, checkin_timeline
):
    response = as_clinician.get(flag.get_absolute_url())

    assert [entry.text for entry in response.context["timeline"]] == ["Mood 2", "Mood 6"]
    assert "Check-in:" in response.content.decode()
    [(patient, since)] = checkin_timeline
    assert patient == team.patient
    assert abs(timezone.now() - timedelta(days=30) - since) < timedelta(minutes=1)


def test_the_overview_does_not_count_a_flag_that_starts_at_on_call_as_a_breach(client, team):
    """A patient without an active clinician: the flag goes straight to whoever is on call. No
    deadline was missed, so it is not a breach."""
    team.clinician.is_active = False
    team.clinician.save()
    put_on_call(ClinicianFactory())
    raise_flag(team.patient, severity=Severity.HIGH)
    client.force_login(AdminFactory())

    overview = client.get(reverse("safety:overview")).context["overview"]

    assert overview["breaches_30_days"] == 0
