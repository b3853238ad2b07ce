"""What the reviews of the peer groups asked for: a crisis is never pushed out of a long queue,
who a member is stays with their care team (the inbox, the reasons of look-ups), moderators'
reads of a member's posts are audited, long conversations are paged, and the patient is told
the truth about an overdue message."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from peersupport import selectors, services
from peersupport.models import CRISIS_REASON_FOR_AUTHOR, Post
from peersupport.views.member import REPLIES_PER_PAGE
from tests.factories import PatientFactory, PeerFactory
from tests.peersupport.helpers import a_group, a_patient, member_of
from tests.peersupport.test_moderation import held_post
from tests.peersupport.test_posts import post

pytestmark = pytest.mark.django_db

CRISIS_POST = "I can't do this anymore, I want to end it all tonight"


@pytest.fixture
def group():
    return a_group()


@pytest.fixture
def moderator(group):
    peer = PeerFactory()  # logs in: a password and a second factor
    group.moderators.add(peer)
    return peer


def test_a_newer_crisis_post_is_first_in_a_queue_longer_than_its_limit(group, moderator):
    older = [held_post(group) for _ in range(3)]
    crisis = post(member_of(group), group, CRISIS_POST).post
    assert crisis.flag_ref

    queue = selectors.moderation_queue_for(user=moderator, limit=2)

    assert queue.items[0].post == crisis
    assert queue.more_items
    assert older[0] in [item.post for item in queue.items]


def test_a_worried_report_is_first_among_many_reports(group, moderator):
    shared = [post(member_of(group), group).post for _ in range(3)]
    for target in shared[:2]:
        services.report_create(reporter=member_of(group), post=target, reason="unkind")
    services.report_create(reporter=member_of(group), post=shared[2], reason="worried")

    queue = selectors.moderation_queue_for(user=moderator, limit=1)

    assert [item.post for item in queue.items] == [shared[2]]


def test_the_author_reads_why_in_plain_words_never_a_rule_id(group):
    held = held_post(group)
    crisis = post(member_of(group), group, CRISIS_POST).post

    assert held.held_reason.endswith(")")  # moderators see the rule that matched
    assert "(" not in held.reason_for_author
    assert "phone number" in held.reason_for_author
    assert crisis.reason_for_author == CRISIS_REASON_FOR_AUTHOR
    assert post(member_of(group), group).post.reason_for_author == ""


def test_a_worry_cannot_be_raised_from_a_peer_specialists_own_post(group, moderator):
    announcement = services.staff_post_create(
        author=moderator, group=group, body="Group meet-up on Friday.", kind="announcement"
    )

    with pytest.raises(ValidationError, match="peer specialist's post"):
        services.member_worried(
            group=group, member=moderator, by=moderator, note="x", post=announcement
        )


def test_who_may_look_someone_up_is_decided_before_the_form(group, moderator):
    member = member_of(group)

    with pytest.raises(PermissionDenied):
        services.identity_reveal(group=group, member=member, by=moderator, reason="")


def test_a_peer_who_is_not_on_the_care_team_sees_the_group_name_in_the_inbox(
    client, group, moderator
):
    patient = member_of(group, patient=a_patient(full_name="Jordan Example"))
    conversation = services.message_send(
        sender=patient, body="Hello, is anyone there?"
    ).conversation
    assert conversation.peer == moderator  # a moderator of their group, not their own peer
    client.force_login(moderator)

    for url in (
        reverse("peersupport:inbox"),
        reverse("peersupport:inbox_conversation", args=[conversation.pk]),
        reverse("peersupport:moderation"),
    ):
        page = client.get(url).content.decode()
        assert patient.peer_member.pseudonym in page, url
        assert "Jordan" not in page, url


def test_their_own_peer_specialist_sees_their_first_name(client):
    peer = PeerFactory()
    patient = PatientFactory(full_name="Jordan Example", profile__peer_specialist=peer)
    conversation = services.message_send(sender=patient, body="Hello").conversation
    client.force_login(peer)

    page = client.get(reverse("peersupport:inbox_conversation", args=[conversation.pk]))

    assert "Messages with Jordan" in page.content.decode()
    assert conversation.patient_label == "Jordan"


def test_opening_a_members_post_or_their_page_is_audited(client, group, moderator):
    held = held_post(group)
    membership = held.author.group_memberships.get()
    client.force_login(moderator)

    assert client.get(reverse("peersupport:moderation_post", args=[held.pk])).status_code == 200
    assert client.get(reverse("peersupport:moderation_member", args=[membership.pk])).status_code
    assert client.get(reverse("api:moderation_post", args=[held.pk])).status_code == 200

    audited = AuditEvent.objects.filter(actor=moderator, subject=held.author)
    assert list(audited.order_by("pk").values_list("action", flat=True)) == [
        "moderation.post_viewed",
        "moderation.member_viewed",
        "moderation.post_viewed",
    ]


def test_co_moderators_do_not_read_why_someone_was_looked_up(client, group):
    own_peer, co_moderator = PeerFactory(), PeerFactory()
    group.moderators.add(own_peer, co_moderator)
    member = member_of(group, patient=a_patient(profile__peer_specialist=own_peer))
    services.identity_reveal(
        group=group, member=member, by=own_peer, reason="Worried after a phone call SECRETWHY"
    )

    client.force_login(co_moderator)
    assert "SECRETWHY" not in client.get(reverse("peersupport:moderation_log")).content.decode()
    client.force_login(own_peer)
    assert "SECRETWHY" in client.get(reverse("peersupport:moderation_log")).content.decode()


def test_a_long_conversation_is_paged_and_a_new_reply_lands_on_the_last_page(
    client, group, settings
):
    settings.PEERSUPPORT_PREMODERATED_POSTS = 0
    thread = post(member_of(group), group).post
    replier = member_of(group)
    per_page = REPLIES_PER_PAGE  # 20
    for n in range(2 * per_page + 5):
        Post.objects.create(
            group=group,
            author=replier,
            parent=thread,
            body=f"Reply number {n:02d}.",
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
            created_at=timezone.now() - timedelta(minutes=60 - n),
        )
    reader = member_of(group, patient=PatientFactory())
    client.force_login(reader)
    url = reverse("peersupport:thread", args=[group.slug, thread.pk])

    first = client.get(url).content.decode()
    assert "Reply number 00." in first
    assert f"Reply number {per_page - 1:02d}." in first
    assert f"Reply number {per_page:02d}." not in first
    assert "Page 1 of 3" in first

    response = client.post(
        reverse("peersupport:reply_create", args=[group.slug, thread.pk]),
        {"body": "Keep going, all of you."},
    )
    reply = Post.objects.filter(author=reader).latest("pk")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"{url}?page=last#post-{reply.pk}"
    last = client.get(f"{url}?page=last").content.decode()
    assert "Keep going, all of you." in last
    assert f"Reply number {2 * per_page + 4:02d}." in last
    assert f"Reply number {2 * per_page - 1:02d}." not in last


def test_my_posts_says_when_the_conversation_a_reply_was_in_has_gone(client, group, moderator):
    thread = post(member_of(group), group).post
    author = member_of(group, patient=PatientFactory())
    post(author, group, "Well done you.", parent=thread)
    services.post_remove(post=thread, by=moderator, message="Removed, sorry.")
    client.force_login(author)

    page = client.get(reverse("peersupport:my_posts")).content.decode()

    assert "The conversation it was in has been removed." in page
    assert reverse("peersupport:thread", args=[group.slug, thread.pk]) not in page


def test_an_overdue_message_says_the_team_is_told_only_once_it_is(client):
    peer = PeerFactory()
    patient = PatientFactory(profile__peer_specialist=peer)
    conversation = services.message_send(sender=patient, body="Hello?").conversation
    conversation.reply_due_at = timezone.now() - timedelta(minutes=1)
    conversation.save(update_fields=["reply_due_at"])
    client.force_login(patient)

    before = client.get(reverse("peersupport:messages")).content.decode()
    assert "still waiting" in before
    assert "We are letting the peer support team know" in before
    assert client.get(reverse("api:peer_messages")).json()["team_told"] is False

    services.overdue_messages_report()
    after = client.get(reverse("peersupport:messages")).content.decode()
    assert "We have let the peer support team know" in after
    assert client.get(reverse("api:peer_messages")).json()["team_told"] is True
