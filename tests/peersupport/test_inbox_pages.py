"""The peer specialist's 1:1 inbox and the admins' list of messages waiting past the promise:
a peer sees only their own conversations, opening one is audited and marks it read, replying
clears the wait and tells the patient; admins see who is overdue without names or text."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent, Notification
from peersupport import services
from peersupport.models import Conversation, PeerMessage
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

REAL_NAME = "Morgan Thistlewood"
SECRET = "CANARY-7f1e I have been smoking again since Tuesday"


def _text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def peer():
    return PeerFactory(full_name="Pat Peerworker")


@pytest.fixture
def patient(peer):
    return PatientFactory(full_name=REAL_NAME, preferred_name="Mo", profile__peer_specialist=peer)


@pytest.fixture
def conversation(patient) -> Conversation:
    return services.message_send(sender=patient, body=SECRET).conversation


@pytest.fixture
def as_peer(client, peer):
    client.force_login(peer)
    return client


def url(name: str, *args) -> str:
    return reverse(f"peersupport:{name}", args=args)


def test_the_inbox_lists_the_peers_conversations_waiting_first(as_peer, peer, conversation):
    answered_patient = PatientFactory(preferred_name="Sky", profile__peer_specialist=peer)
    answered = services.message_send(sender=answered_patient, body="Thanks!").conversation
    services.message_reply(conversation=answered, by=peer, body="Any time.")

    response = as_peer.get(url("inbox"))

    assert response.status_code == HTTPStatus.OK
    assert [c.pk for c in response.context["page"].object_list] == [conversation.pk, answered.pk]
    content = _text(response)
    assert "Mo" in content
    assert "Reply due by" in content
    assert '1<span class="visually-hidden"> unread</span>' in content
    assert url("inbox_conversation", conversation.pk) in content
    assert SECRET not in content


def test_an_overdue_conversation_is_marked_in_words(as_peer, conversation):
    Conversation.objects.filter(pk=conversation.pk).update(
        reply_due_at=timezone.now() - timedelta(hours=2)
    )

    assert "Overdue: reply was due" in _text(as_peer.get(url("inbox")))


def test_an_empty_inbox_says_so(as_peer):
    assert "No messages yet" in _text(as_peer.get(url("inbox")))


def test_opening_a_conversation_shows_it_marks_it_read_and_is_audited(
    as_peer, peer, patient, conversation
):
    response = as_peer.get(url("inbox_conversation", conversation.pk))

    assert response.status_code == HTTPStatus.OK
    content = _text(response)
    assert SECRET in content
    assert "Messages with Mo" in content
    assert REAL_NAME not in content
    assert patient.email not in content
    assert not PeerMessage.objects.filter(conversation=conversation, read_at__isnull=True).exists()
    audit = AuditEvent.objects.get(action="peer.conversation_viewed")
    assert (audit.actor_id, audit.subject_id) == (peer.pk, patient.pk)
    assert (audit.target_type, audit.target_id) == (
        "peersupport.conversation",
        str(conversation.pk),
    )
    assert SECRET not in str(audit.detail)


def test_a_message_that_raised_a_flag_is_marked(as_peer, patient, peer):
    result = services.message_send(
        sender=patient, body="I can't do this anymore, I want to end it all tonight"
    )
    assert result.crisis

    content = _text(as_peer.get(url("inbox_conversation", result.conversation.pk)))

    assert "Safety flag raised — the clinician has been told." in content


def test_html_in_a_message_is_shown_as_text(as_peer, patient):
    result = services.message_send(sender=patient, body="<script>alert(1)</script>")

    content = as_peer.get(url("inbox_conversation", result.conversation.pk)).content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_replying_clears_the_wait_and_tells_the_patient(as_peer, peer, patient, conversation):
    response = as_peer.post(
        url("inbox_conversation", conversation.pk), {"body": "Thanks for telling me."}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == url("inbox_conversation", conversation.pk)
    conversation.refresh_from_db()
    assert (conversation.waiting_since, conversation.reply_due_at) == (None, None)
    reply = PeerMessage.objects.filter(conversation=conversation, sender=peer).get()
    assert reply.body == "Thanks for telling me."
    assert Notification.objects.filter(recipient=patient, kind="peer_message_reply").exists()
    assert AuditEvent.objects.filter(action="peer.message_answered", actor_id=peer.pk).exists()


@pytest.mark.parametrize("body", ["", "   ", "x" * 3_001])
def test_an_empty_or_overlong_reply_is_refused(as_peer, peer, conversation, body):
    response = as_peer.post(url("inbox_conversation", conversation.pk), {"body": body})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None
    assert not PeerMessage.objects.filter(sender=peer).exists()


def test_another_peers_conversation_is_a_404_and_nothing_changes(client, conversation):
    other = PeerFactory()
    client.force_login(other)

    assert client.get(url("inbox_conversation", conversation.pk)).status_code == 404
    response = client.post(url("inbox_conversation", conversation.pk), {"body": "Hello"})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert url("inbox_conversation", conversation.pk) not in _text(client.get(url("inbox")))
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None
    assert PeerMessage.objects.filter(conversation=conversation).count() == 1
    assert not PeerMessage.objects.filter(read_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="peer.conversation_viewed").exists()


@pytest.mark.parametrize("factory", [PatientFactory, ClinicianFactory, AdminFactory])
def test_only_peers_reach_the_inbox(client, conversation, factory):
    client.force_login(factory())

    assert client.get(url("inbox")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(url("inbox_conversation", conversation.pk)).status_code == 403


@pytest.mark.parametrize("factory", [PatientFactory, ClinicianFactory, PeerFactory])
def test_only_admins_reach_the_overdue_list(client, factory):
    client.force_login(factory())

    assert client.get(url("overdue_messages")).status_code == HTTPStatus.FORBIDDEN


def test_anonymous_visitors_are_sent_to_log_in(client, conversation):
    for page in (url("inbox"), url("inbox_conversation", conversation.pk), url("overdue_messages")):
        response = client.get(page)
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("account_login"))


def test_admins_see_overdue_conversations_without_names_or_text(
    client, peer, patient, conversation
):
    on_time = services.message_send(
        sender=PatientFactory(full_name="Casey Ontime", profile__peer_specialist=peer),
        body="Hello",
    ).conversation
    due = timezone.now() - timedelta(hours=3)
    Conversation.objects.filter(pk=conversation.pk).update(reply_due_at=due)
    services.overdue_messages_report()
    client.force_login(AdminFactory())

    response = client.get(url("overdue_messages"))

    assert response.status_code == HTTPStatus.OK
    assert [c.pk for c in response.context["page"].object_list] == [conversation.pk]
    content = _text(response)
    assert f"No. {conversation.pk}" in content
    assert "Pat Peerworker" in content
    conversation.refresh_from_db()
    assert conversation.breach_notified_at is not None
    assert "Not yet" not in content
    for secret in (REAL_NAME, "Mo ", patient.email, SECRET, "Casey"):
        assert secret not in content
    assert on_time.pk not in [c.pk for c in response.context["page"].object_list]


def test_nobody_overdue_says_so(client):
    client.force_login(AdminFactory())

    assert "Nobody is waiting past the promise" in _text(client.get(url("overdue_messages")))


INBOX_BUDGET = 11  # 8 measured: session, user, second factor, navigation, count and page


@pytest.mark.parametrize("size", [3, 30])
def test_the_inbox_runs_the_same_queries_for_30_conversations_as_for_3(
    client, django_assert_max_num_queries, peer, size
):
    for n in range(size):
        sender = PatientFactory(profile__peer_specialist=peer)
        services.message_send(sender=sender, body=f"Message {n}")
    client.force_login(peer)
    client.get(url("inbox"))

    with django_assert_max_num_queries(INBOX_BUDGET):
        response = client.get(url("inbox"))

    assert response.status_code == HTTPStatus.OK
    assert len(response.context["page"].object_list) == min(size, 25)
