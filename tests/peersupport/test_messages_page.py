""" "Ask a peer specialist": the promise before sending, sending, waiting and still waiting, the
crisis path, and a patient with nobody to write to yet. Real URLs, real services."""

from __future__ import annotations

import html
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport import selectors, services
from peersupport.models import Conversation, PeerGroup, PeerMessage
from safety.models import Flag
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

URL = "peersupport:messages"


@pytest.fixture
def peer():
    return PeerFactory(full_name="Sam Peerson")


@pytest.fixture
def patient(peer):
    return PatientFactory(profile__peer_specialist=peer)


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def content(response) -> str:
    """The page as read: entities decoded, white space as one space."""
    return " ".join(html.unescape(response.content.decode()).split())


def send(client, body):
    return client.post(reverse(URL), {"body": body})


def test_the_promise_is_shown_before_anything_is_sent(patient_client, settings):
    settings.PEERSUPPORT_REPLY_WORKING_DAYS = 1

    response = patient_client.get(reverse(URL))

    assert response.status_code == HTTPStatus.OK
    page = content(response)
    assert "A peer specialist usually replies within 1 working day." in page
    assert "This is not for emergencies" in page
    assert f'href="{reverse("safety:crisis")}"' in page
    assert page.index("usually replies within") < page.index('name="body"')
    assert not Conversation.objects.exists()


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
def test_staff_roles_get_403(client, factory):
    client.force_login(factory())
    assert client.get(reverse(URL)).status_code == HTTPStatus.FORBIDDEN
    assert send(client, "Hello").status_code == HTTPStatus.FORBIDDEN
    assert not PeerMessage.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse(URL))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


def test_a_patient_sends_a_message_and_sees_when_a_reply_is_due(patient_client, patient, peer):
    response = send(patient_client, "Can we talk about my quit date?")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse(URL)
    message = PeerMessage.objects.get()
    assert (message.sender, message.conversation.peer) == (patient, peer)
    conversation = message.conversation
    assert conversation.is_waiting

    followed = patient_client.get(response.url)
    page = content(followed)
    assert "Sent." in [str(m) for m in followed.context["messages"]]
    assert "Can we talk about my quit date?" in page
    assert "You" in page
    due = timezone.localtime(conversation.reply_due_at)
    assert (
        f"Your message is waiting for a reply. Sam usually replies by "
        f"{due:%A} {due.day} {due:%B}, {due:%H:%M}." in page
    )
    assert "still waiting" not in page


def test_past_the_promise_the_patient_sees_their_message_is_still_waiting(patient_client, patient):
    result = services.message_send(sender=patient, body="Are you there?")
    Conversation.objects.filter(pk=result.conversation.pk).update(
        reply_due_at=timezone.now() - timedelta(minutes=5)
    )
    services.overdue_messages_report()  # the sweep tells the peer specialist's lead

    page = content(patient_client.get(reverse(URL)))

    assert "Your message is still waiting." in page
    assert "We have let the peer support team know, so someone will get back to you." in page
    assert "usually replies by" not in page


def test_the_peer_specialists_reply_is_shown_marked_new_then_read(patient_client, patient, peer):
    result = services.message_send(sender=patient, body="Hello")
    reply = services.message_reply(conversation=result.conversation, by=peer, body="Hi, I'm here.")

    page = content(patient_client.get(reverse(URL)))

    assert "Hi, I'm here." in page
    assert "Sam</strong>, Peer support specialist" in page
    assert ">New<" in page
    assert "waiting for a reply" not in page
    reply.refresh_from_db()
    assert reply.read_at is not None
    assert ">New<" not in content(patient_client.get(reverse(URL)))
    assert selectors.unread_messages_count(user=patient) == 0


def test_a_crisis_message_takes_the_patient_to_crisis_support_and_raises_a_flag(
    patient_client, patient
):
    response = send(patient_client, "I want to end my life tonight")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("safety:crisis_support")
    assert Flag.objects.filter(patient=patient, category=Flag.Category.CRISIS).exists()
    assert PeerMessage.objects.get().flag_ref


def test_with_no_peer_specialist_the_page_says_so_and_sending_is_refused(client):
    patient = PatientFactory()
    client.force_login(patient)

    page = content(client.get(reverse(URL)))
    response = send(client, "Hello?")

    assert "There is no peer support specialist for you yet." in page
    assert 'name="body"' not in page
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "There is no peer support specialist for you yet." in content(response)
    assert "has not been sent" in content(response)
    assert not PeerMessage.objects.exists()
    assert not Conversation.objects.exists()


def test_a_group_moderator_is_the_peer_specialist_when_there_is_no_own_one(client):
    moderator = PeerFactory(full_name="Alex Moderator")
    group = PeerGroup.objects.create(name="G", slug="g", kind="topic", description="x")
    group.moderators.add(moderator)
    patient = PatientFactory(full_name="Robin Example")
    services.peer_member_set_pseudonym(user=patient, pseudonym="Quiet Fox")
    services.guidelines_accept(user=patient)
    services.group_join(user=patient, group=group)
    client.force_login(patient)

    send(client, "Hello")

    assert PeerMessage.objects.get().conversation.peer == moderator


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write your message first."),
        ("   ", "Write your message first."),
        ("x" * 3_001, "Keep it under 3,000 characters (3,001 now)."),
    ],
)
def test_an_empty_or_too_long_message_is_refused_and_nothing_is_written(
    patient_client, body, message
):
    response = send(patient_client, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in content(response)
    assert not PeerMessage.objects.exists()


def test_html_in_a_message_is_shown_as_text(patient_client, patient, peer):
    result = services.message_send(sender=patient, body="<script>alert(1)</script>")
    services.message_reply(conversation=result.conversation, by=peer, body="<b>hi</b>")

    raw = patient_client.get(reverse(URL)).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "<script>alert(1)</script>" not in raw
    assert "&lt;b&gt;hi&lt;/b&gt;" in raw


# Measured 7: the session, the user, the patient's peer specialist, the conversation, its
# messages, marking the replies read, the header's notice badge. One spare for the header.
MESSAGES_PAGE_BUDGET = 8


def test_the_page_query_count_does_not_grow_with_the_conversation(
    client, peer, django_assert_max_num_queries
):
    counts = []
    for size in (2, 20):
        patient = PatientFactory(profile__peer_specialist=peer)
        for n in range(size):
            result = services.message_send(sender=patient, body=f"Message {n}")
            services.message_reply(conversation=result.conversation, by=peer, body=f"Reply {n}")
        client.force_login(patient)
        client.get(reverse(URL))
        with django_assert_max_num_queries(MESSAGES_PAGE_BUDGET) as queries:
            client.get(reverse(URL))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
