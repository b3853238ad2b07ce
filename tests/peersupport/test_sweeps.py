"""Nobody left unanswered: a member's post with no reply is nudged to the group's peer
specialists, and a 1:1 message waiting past the promise is reported to the peer specialist's
lead; each once, however often the sweeps run, including as real Celery tasks sent twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import PatientProfile, User
from core.models import AuditEvent, Notification
from peersupport import services
from peersupport.models import Conversation, PeerGroup, PeerLead, Post
from peersupport.tasks import overdue_messages_report_task, unanswered_posts_nudge_task
from tests.peersupport.helpers import a_group, a_patient, a_peer, an_admin, member_of
from tests.peersupport.test_posts import post
from tests.worker import wait_for

pytestmark = pytest.mark.django_db

NUDGE = "peer_post_unanswered"
OVERDUE = "peer_message_overdue"


@pytest.fixture
def group():
    return a_group()


@pytest.fixture
def moderators(group):
    peers = [a_peer(), a_peer()]
    group.moderators.add(*peers)
    return peers


def aged(created: Post, hours: float) -> Post:
    """As if published `hours` ago."""
    Post.objects.filter(pk=created.pk).update(published_at=timezone.now() - timedelta(hours=hours))
    return Post.objects.get(pk=created.pk)


def nudged_to(post_: Post | None = None) -> list[int]:
    notices = Notification.objects.filter(kind=NUDGE)
    if post_ is not None:
        notices = [n for n in notices if n.url == post_.get_absolute_url()]
    return sorted(n.recipient_id for n in notices)


# --- Unanswered posts -----------------------------------------------------------------------------


def test_a_post_nobody_answered_is_nudged_once_to_each_active_moderator(group, moderators):
    thread = aged(post(member_of(group), group).post, hours=25)
    inactive = a_peer()
    group.moderators.add(inactive)
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    PeerGroup.objects.create(name="Other", slug="other", kind="topic").moderators.add(a_peer())

    assert services.unanswered_posts_nudge() == 1

    assert nudged_to(thread) == sorted(p.pk for p in moderators)
    notice = Notification.objects.filter(kind=NUDGE).first()
    assert notice.title == "A post in First weeks has had no reply yet"
    assert "24 hours" in notice.body
    assert Post.objects.get(pk=thread.pk).nudged_at is not None
    assert services.unanswered_posts_nudge() == 0
    assert len(nudged_to()) == 2


def test_a_recent_post_or_one_someone_else_answered_is_not_nudged(group, moderators):
    recent = aged(post(member_of(group), group).post, hours=23)
    answered = post(member_of(group), group).post
    post(member_of(group), group, "Same here. It gets easier.", parent=answered)
    aged(answered, hours=30)

    assert services.unanswered_posts_nudge() == 0

    assert not Notification.objects.filter(kind=NUDGE).exists()
    assert Post.objects.get(pk=recent.pk).nudged_at is None


def test_the_authors_own_reply_is_not_an_answer(group, moderators):
    author = member_of(group)
    thread = post(author, group).post
    post(author, group, "Anyone? Still struggling tonight.", parent=thread)
    aged(thread, hours=26)

    assert services.unanswered_posts_nudge() == 1

    assert nudged_to(thread) == sorted(p.pk for p in moderators)


def test_staff_posts_held_posts_removed_posts_and_replies_are_never_nudged(group, moderators):
    peer = moderators[0]
    for kind in ("staff", "announcement", "welcome"):
        aged(services.staff_post_create(author=peer, group=group, body="Hi", kind=kind), 48)
    aged(post(member_of(group), group, "Ring me on 07911 123456").post, 48)  # held
    removed = post(member_of(group), group).post
    services.post_remove(post=removed, by=peer, message="Sorry, not this one.")
    aged(removed, 48)
    thread = post(member_of(group), group).post
    aged(post(member_of(group), group, "Keep going", parent=thread).post, 48)  # a reply

    assert services.unanswered_posts_nudge() == 0

    assert not Notification.objects.filter(kind=NUDGE).exists()


def test_the_hours_before_a_nudge_are_configurable(group, moderators, settings):
    thread = aged(post(member_of(group), group).post, hours=3)
    settings.PEERSUPPORT_UNANSWERED_HOURS = 4
    assert services.unanswered_posts_nudge() == 0

    settings.PEERSUPPORT_UNANSWERED_HOURS = 2

    assert services.unanswered_posts_nudge() == 1
    assert nudged_to(thread) == sorted(p.pk for p in moderators)
    assert "2 hours" in Notification.objects.filter(kind=NUDGE).first().body


def test_a_post_answered_after_its_nudge_is_not_nudged_again(group, moderators):
    thread = aged(post(member_of(group), group).post, hours=25)
    services.unanswered_posts_nudge()
    post(member_of(group), group, "Welcome! Evenings got easier for me.", parent=thread)

    assert services.unanswered_posts_nudge() == 0
    assert len(nudged_to()) == 2


def test_every_post_is_nudged_whatever_the_batch_size_in_queries_that_do_not_grow(
    group, moderators
):
    def sweep_queries(count: int) -> int:
        for _ in range(count):
            aged(post(member_of(group), group).post, hours=25)
        with CaptureQueriesContext(connection) as queries:
            assert services.unanswered_posts_nudge(batch_size=50) == count
        return len(queries)

    assert sweep_queries(2) == sweep_queries(7)
    assert len(nudged_to()) == 2 * 9

    for _ in range(5):
        aged(post(member_of(group), group).post, hours=25)
    assert services.unanswered_posts_nudge(batch_size=2) == 5
    assert len(nudged_to()) == 2 * 14


# --- Messages waiting past the promise ------------------------------------------------------------


@pytest.fixture
def peer():
    return a_peer()


def waiting(peer: User) -> Conversation:
    """A patient of `peer`'s who has sent a message and waits for the reply."""
    patient = a_patient()
    PatientProfile.objects.filter(user=patient).update(peer_specialist=peer)
    return services.message_send(
        sender=patient, body="Is it normal to feel so irritable?"
    ).conversation


def past_due(conversation: Conversation):
    return Conversation.objects.get(pk=conversation.pk).reply_due_at + timedelta(minutes=1)


def told(kind=OVERDUE) -> list[int]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def test_a_message_past_the_promise_is_reported_to_the_peers_lead_and_the_peer(peer):
    lead = an_admin()
    an_admin()  # not this peer's lead
    PeerLead.objects.create(peer=peer, lead=lead)
    conversation = waiting(peer)

    assert services.overdue_messages_report(now=past_due(conversation)) == 1

    assert told() == sorted([lead.pk, peer.pk])
    to_lead = Notification.objects.get(kind=OVERDUE, recipient=lead)
    assert f"Conversation #{conversation.pk} has waited" in to_lead.body
    assert conversation.patient.full_name not in to_lead.title + to_lead.body
    assert Conversation.objects.get(pk=conversation.pk).breach_notified_at is not None
    event = AuditEvent.objects.get(action="peer.message_overdue")
    assert event.subject_id == conversation.patient_id
    assert event.detail["lead_ids"] == [lead.pk]


def test_without_a_lead_every_active_admin_is_told(peer):
    admins = [an_admin(), an_admin()]
    User.objects.filter(pk=an_admin().pk).update(is_active=False)
    conversation = waiting(peer)

    services.overdue_messages_report(now=past_due(conversation))

    assert told() == sorted([*(a.pk for a in admins), peer.pk])


def test_an_inactive_lead_is_passed_over_for_every_active_admin(peer):
    lead = an_admin()
    PeerLead.objects.create(peer=peer, lead=lead)
    User.objects.filter(pk=lead.pk).update(is_active=False)
    admin = an_admin()
    conversation = waiting(peer)

    services.overdue_messages_report(now=past_due(conversation))

    assert told() == sorted([admin.pk, peer.pk])


def test_a_breach_is_reported_once(peer):
    PeerLead.objects.create(peer=peer, lead=an_admin())
    conversation = waiting(peer)
    later = past_due(conversation)
    services.overdue_messages_report(now=later)

    assert services.overdue_messages_report(now=later + timedelta(hours=6)) == 0

    assert len(told()) == 2
    assert AuditEvent.objects.filter(action="peer.message_overdue").count() == 1


def test_a_message_not_yet_due_or_answered_is_not_reported(peer):
    an_admin()
    due_soon = waiting(peer)
    answered = waiting(peer)
    services.message_reply(conversation=answered, by=peer, body="Yes, quite normal at first.")

    assert services.overdue_messages_report(now=past_due(due_soon) - timedelta(minutes=2)) == 0

    assert told() == []
    assert services.overdue_messages_report(now=past_due(due_soon)) == 1
    assert Conversation.objects.get(pk=answered.pk).breach_notified_at is None


def test_a_new_message_after_a_reply_starts_a_new_wait_that_is_reported_again(peer):
    PeerLead.objects.create(peer=peer, lead=an_admin())
    conversation = waiting(peer)
    services.overdue_messages_report(now=past_due(conversation))
    services.message_reply(conversation=conversation, by=peer, body="Sorry for the wait!")
    assert Conversation.objects.get(pk=conversation.pk).reply_due_at is None

    services.message_send(sender=conversation.patient, body="Thanks. One more question.")

    again = Conversation.objects.get(pk=conversation.pk)
    assert again.breach_notified_at is None
    assert again.reply_due_at == services.reply_due_for(again.waiting_since)
    assert services.overdue_messages_report(now=past_due(again)) == 1
    assert len(told()) == 4


def test_the_report_reads_in_queries_that_do_not_grow_but_for_its_audit_rows(peer):
    PeerLead.objects.create(peer=peer, lead=an_admin())
    other = a_peer()  # no lead: every admin

    def report_queries(count: int) -> int:
        conversations = [waiting(peer if n % 2 else other) for n in range(count)]
        latest = max(past_due(c) for c in conversations)
        with CaptureQueriesContext(connection) as queries:
            assert services.overdue_messages_report(now=latest) == count
        return len(queries)

    # One audit row per conversation reported; nothing else grows.
    assert report_queries(6) - report_queries(2) == 6 - 2


# --- Through a real worker ------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_sweeps_sent_twice_to_a_real_worker_tell_everyone_once(worker):
    group = PeerGroup.objects.create(name="First weeks", slug="first-weeks", kind="topic")
    moderator = a_peer()
    group.moderators.add(moderator)
    thread = aged(post(member_of(group), group).post, hours=25)
    lead = an_admin()
    peer = a_peer()
    PeerLead.objects.create(peer=peer, lead=lead)
    conversation = waiting(peer)
    Conversation.objects.filter(pk=conversation.pk).update(
        reply_due_at=timezone.now() - timedelta(minutes=1)
    )

    results = [
        task.delay()
        for task in (
            unanswered_posts_nudge_task,
            overdue_messages_report_task,
            unanswered_posts_nudge_task,
            overdue_messages_report_task,
        )
    ]

    wait_for(
        lambda: (
            Notification.objects.filter(kind=NUDGE).exists()
            and Notification.objects.filter(kind=OVERDUE).count() >= 2
        ),
        30,
        [worker],
    )
    wait_for(lambda: all(result.ready() for result in results), 30, [worker])
    nudges_first, reports_first, nudges_again, reports_again = (r.get(timeout=5) for r in results)
    # Whichever of each pair ran first did the work; the other found nothing left to do.
    assert sorted([nudges_first, nudges_again]) == [0, 1]
    assert sorted([reports_first, reports_again]) == [0, 1]
    assert nudged_to(thread) == [moderator.pk]
    assert told() == sorted([lead.pk, peer.pk])
    assert Post.objects.get(pk=thread.pk).nudged_at is not None
    assert Conversation.objects.get(pk=conversation.pk).breach_notified_at is not None
