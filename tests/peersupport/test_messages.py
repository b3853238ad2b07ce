"""Ask a peer specialist: who a patient's messages go to, the promise a message starts, screening
(a crisis is flagged to the clinician, personal details are shown to the peer with the reason),
the reply that ends the wait, and every refusal with nothing written."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import PatientProfile, User
from core.models import AuditEvent, Notification
from peersupport import selectors, services
from peersupport.models import Conversation, PeerGroup, PeerMessage
from safety.models import Flag
from tests.factories import ClinicianFactory
from tests.peersupport.helpers import a_patient, a_peer, member_of

pytestmark = pytest.mark.django_db

BODY = "Had a rough evening, the cravings were bad after tea. Any tips?"


@pytest.fixture
def peer():
    return a_peer()


@pytest.fixture
def patient(peer):
    """A patient whose own peer specialist is `peer`."""
    patient = a_patient()
    PatientProfile.objects.filter(user=patient).update(peer_specialist=peer)
    return patient


def send(sender, body=BODY):
    return services.message_send(sender=sender, body=body)


def written() -> dict:
    return {
        "conversations": Conversation.objects.count(),
        "messages": PeerMessage.objects.count(),
        "notifications": Notification.objects.count(),
        "flags": Flag.objects.count(),
    }


def raw_body(message: PeerMessage) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM peersupport_peermessage WHERE id = %s", [message.pk])
        return cursor.fetchone()[0]


# --- Who a patient's messages go to ---------------------------------------------------------------


def test_a_patients_own_peer_specialist_answers_their_messages(patient, peer):
    group = PeerGroup.objects.create(name="G", slug="g", kind="topic")
    group.moderators.add(a_peer())
    member_of(group, patient=patient)

    assert services.peer_for_patient(patient) == peer


def test_without_their_own_a_moderator_of_one_of_their_groups_answers():
    patient = a_patient()
    left = PeerGroup.objects.create(name="Left", slug="left", kind="topic")
    left.moderators.add(a_peer())
    current = PeerGroup.objects.create(name="Current", slug="current", kind="topic")
    moderator = a_peer()
    current.moderators.add(moderator)
    PeerGroup.objects.create(name="Not mine", slug="not-mine", kind="topic").moderators.add(
        a_peer()
    )
    member_of(left, patient=patient)
    services.group_leave(user=patient, group=left)
    services.group_join(user=patient, group=current)

    assert services.peer_for_patient(patient) == moderator


def test_an_inactive_own_peer_specialist_is_passed_over(patient, peer):
    User.objects.filter(pk=peer.pk).update(is_active=False)
    group = PeerGroup.objects.create(name="G", slug="g", kind="topic")
    moderator = a_peer()
    group.moderators.add(moderator)
    member_of(group, patient=patient)

    assert services.peer_for_patient(patient) == moderator


def test_with_nobody_to_ask_a_message_is_refused_clearly_and_nothing_is_written():
    patient = a_patient()
    assert services.peer_for_patient(patient) is None
    before = written()

    with pytest.raises(ValidationError) as refused:
        send(patient)

    assert refused.value.message_dict["body"][0].startswith(
        "There is no peer support specialist for you yet."
    )
    assert written() == before


# --- Sending --------------------------------------------------------------------------------------


def test_a_message_is_kept_encrypted_and_starts_the_promise(patient, peer):
    result = send(patient)

    message, conversation = result.message, Conversation.objects.get(pk=result.conversation.pk)
    assert (conversation.patient, conversation.peer) == (patient, peer)
    assert PeerMessage.objects.get(pk=message.pk).body == BODY
    assert "cravings" not in raw_body(message)
    assert (message.screening_action, message.screening_reason, message.flag_ref) == (
        "publish",
        "",
        "",
    )
    assert conversation.waiting_since == message.created_at
    assert conversation.reply_due_at == services.reply_due_for(message.created_at)
    assert conversation.reply_due_at > conversation.waiting_since
    assert conversation.is_waiting
    assert not result.crisis


def test_a_second_message_while_waiting_keeps_the_first_due_time(patient):
    first = send(patient).conversation
    due, since = first.reply_due_at, first.waiting_since

    second = send(patient, "Also, is it normal to feel this irritable?")

    conversation = Conversation.objects.get(pk=first.pk)
    assert second.conversation.pk == first.pk
    assert (conversation.waiting_since, conversation.reply_due_at) == (since, due)
    assert conversation.last_message_at == second.message.created_at
    assert PeerMessage.objects.filter(conversation=conversation).count() == 2


def test_the_peer_specialist_is_told_without_a_name_or_the_text(patient, peer):
    conversation = send(patient).conversation

    [notice] = Notification.objects.filter(recipient=peer)
    assert (notice.kind, notice.urgent) == ("peer_message", False)
    assert notice.title == "A new message from someone you support"
    assert str(conversation.pk) in notice.url
    for private in ("cravings", patient.full_name):
        assert private not in notice.title + notice.body


def test_a_crisis_message_raises_a_flag_and_sends_the_patient_to_help(patient, peer):
    result = send(patient, "I can't do this anymore, I want to end it all tonight")

    assert result.crisis
    flag = Flag.objects.get(patient=patient)
    assert (flag.category, flag.source) == (Flag.Category.CRISIS, Flag.Source.MESSAGE)
    assert flag.source_ref == f"peersupport.message:{result.message.pk}"
    message = PeerMessage.objects.get(pk=result.message.pk)
    assert message.flag_ref == f"safety.flag:{flag.pk}"
    assert message.screening_action == "escalate"
    # The peer specialist still gets it, urgently, and knows the clinician has been alerted.
    [notice] = Notification.objects.filter(recipient=peer)
    assert notice.urgent
    assert "clinician has been alerted" in notice.title


def test_personal_details_are_delivered_with_the_reason_beside_them(patient, peer):
    result = send(patient, "Could you ring me on 07911 123456 instead?")

    message = PeerMessage.objects.get(pk=result.message.pk)
    assert message.body == "Could you ring me on 07911 123456 instead?"
    assert message.screening_action == "hold"
    assert "phone number" in message.screening_reason
    assert "07911" not in message.screening_reason
    assert not result.crisis
    assert not Flag.objects.exists()
    assert not Notification.objects.get(recipient=peer).urgent


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Write your message first."),
        ("  \n ", "Write your message first."),
        ("x" * 20_000, "Keep it under 3,000 characters (20,000 now)."),
    ],
)
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_written(patient, body, error):
    before = written()

    with pytest.raises(ValidationError) as refused:
        send(patient, body)

    assert refused.value.message_dict == {"body": [error]}
    assert written() == before


@pytest.mark.parametrize("role", ["peer", "clinician"])
def test_only_patients_send_messages_here(role):
    sender = a_peer() if role == "peer" else ClinicianFactory(password=None, mfa=False)

    with pytest.raises(PermissionDenied):
        send(sender)

    assert not Conversation.objects.exists()


def test_the_promise_follows_the_deployments_working_days_and_holidays(settings):
    settings.PEERSUPPORT_HOLIDAYS = ["2026-11-09"]
    london = ZoneInfo("Europe/London")
    friday = datetime(2026, 11, 6, 15, tzinfo=london)

    assert services.reply_due_for(friday) == datetime(2026, 11, 10, 15, tzinfo=london)
    settings.PEERSUPPORT_REPLY_WORKING_DAYS = 2
    assert services.reply_due_for(friday) == datetime(2026, 11, 11, 15, tzinfo=london)


# --- Replying -------------------------------------------------------------------------------------


def test_a_reply_ends_the_wait_tells_the_patient_and_marks_their_messages_read(patient, peer):
    conversation = send(patient).conversation
    send(patient, "Sorry, one more thing")
    Conversation.objects.filter(pk=conversation.pk).update(breach_notified_at=timezone.now())

    reply = services.message_reply(
        conversation=conversation, by=peer, body="Evenings are the hardest. Try a walk after tea."
    )

    conversation.refresh_from_db()
    assert (conversation.waiting_since, conversation.reply_due_at) == (None, None)
    assert conversation.breach_notified_at is None
    assert conversation.last_message_at == reply.created_at
    assert not conversation.is_waiting
    assert not PeerMessage.objects.filter(sender=patient, read_at__isnull=True).exists()
    assert reply.read_at is None
    [notice] = Notification.objects.filter(recipient=patient)
    assert (notice.kind, notice.title) == (
        "peer_message_reply",
        "Your peer support specialist has replied",
    )
    event = AuditEvent.objects.get(action="peer.message_answered")
    assert (event.actor_id, event.subject_id) == (peer.pk, patient.pk)
    assert event.detail == {"answered_after_minutes": 0}
    assert selectors.unread_messages_count(user=patient) == 1
    assert selectors.unread_messages_count(user=peer) == 0


def test_a_reply_when_nobody_is_waiting_records_no_wait(patient, peer):
    conversation = send(patient).conversation
    services.message_reply(conversation=conversation, by=peer, body="Hello!")

    services.message_reply(conversation=conversation, by=peer, body="And how was today?")

    answered = AuditEvent.objects.filter(action="peer.message_answered").order_by("pk")
    assert [event.detail for event in answered] == [{"answered_after_minutes": 0}, {}]


@pytest.mark.parametrize("who", ["another peer", "a clinician", "the patient", "another patient"])
def test_only_the_conversations_peer_specialist_replies(patient, who):
    conversation = send(patient).conversation
    by = {
        "another peer": a_peer,
        "a clinician": lambda: PatientProfile.objects.get(user=patient).clinician,
        "the patient": lambda: patient,
        "another patient": a_patient,
    }[who]()
    before = written()
    waiting = Conversation.objects.filter(pk=conversation.pk).values().get()

    with pytest.raises(PermissionDenied):
        services.message_reply(conversation=conversation, by=by, body="Hello")

    assert written() == before
    assert Conversation.objects.filter(pk=conversation.pk).values().get() == waiting


@pytest.mark.parametrize("body", ["", "   ", "x" * 3_001])
def test_an_empty_or_too_long_reply_is_refused_and_the_patient_still_waits(patient, peer, body):
    conversation = send(patient).conversation
    before = written()

    with pytest.raises(ValidationError):
        services.message_reply(conversation=conversation, by=peer, body=body)

    assert written() == before
    assert Conversation.objects.get(pk=conversation.pk).is_waiting


def test_reading_marks_only_the_other_sides_messages(patient, peer):
    conversation = send(patient).conversation
    services.message_reply(conversation=conversation, by=peer, body="Hello!")
    send(patient, "Thanks, that helped")

    assert services.conversation_mark_read(conversation=conversation, reader=patient) == 1
    assert services.conversation_mark_read(conversation=conversation, reader=patient) == 0
    assert PeerMessage.objects.filter(sender=patient, read_at__isnull=True).count() == 1
    assert services.conversation_mark_read(conversation=conversation, reader=peer) == 1
    assert not PeerMessage.objects.filter(read_at__isnull=True).exists()
