"""peersupport's part of `seed_demo`: two moderated groups with weeks of kind conversation, one
post waiting for a moderator and a 1:1 conversation; made once however often the command runs."""

from __future__ import annotations

import importlib
from datetime import datetime, time, timedelta
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from core.models import Notification, NotificationDelivery
from peersupport import demo as demo_module
from peersupport import selectors, services
from peersupport.models import (
    Conversation,
    Membership,
    ModerationAction,
    PeerGroup,
    PeerLead,
    PeerMember,
    PeerMessage,
    Post,
    Reaction,
)
from safety.models import Flag, FlagSignal
from safety.screening import screen_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference_data(db):
    """What the data migrations seed (a transactional test elsewhere may have flushed it)."""
    importlib.import_module("cessation.migrations.0002_health_benefits").forwards(apps, None)


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            PeerGroup,
            PeerMember,
            Membership,
            Post,
            Reaction,
            ModerationAction,
            PeerLead,
            Conversation,
            PeerMessage,
            Notification,
            Flag,
        )
    }


def demo(name: str) -> User:
    return User.objects.get(email=f"{name}@exhale.demo")


def test_seed_demo_twice_adds_nothing_the_second_time():
    output = _seed()
    first = _counts()

    _seed()

    assert _counts() == first
    assert "peersupport: 2 groups" in output
    assert first["PeerGroup"] == 2
    assert first["Post"] >= 40
    assert first["Reaction"] >= 15


def test_two_groups_moderated_by_the_demo_peer_whose_lead_is_the_demo_admin():
    _seed()
    jo = demo("peer")

    groups = PeerGroup.objects.order_by("kind")
    assert [g.kind for g in groups] == ["cohort", "topic"]
    for group in groups:
        assert list(group.moderators.all()) == [jo]
        current = group.memberships.filter(left_at__isnull=True)
        members = set(current.values_list("member__email", flat=True))
        assert {"alex@exhale.demo", "bea@exhale.demo", "dani@exhale.demo"} <= members
        welcome = selectors.group_welcome_post(group=group)
        assert welcome.is_pinned
    assert PeerLead.objects.get(peer=jo).lead == demo("admin")
    assert set(PeerMember.objects.values_list("user__email", flat=True)) == {
        f"{name}@exhale.demo" for name in ("alex", "bea", "chris", "dani")
    }


def test_weeks_of_conversation_with_replies_from_members_and_the_peer_specialist():
    _seed()
    jo = demo("peer")
    shared = Post.objects.filter(status=Post.Status.PUBLISHED)

    times = list(shared.values_list("created_at", flat=True))
    assert max(times) - min(times) >= timedelta(days=14)
    assert max(times) <= timezone.now()
    assert shared.filter(kind=Post.Kind.MEMBER, parent__isnull=False).count() >= 10
    assert shared.filter(author=jo, kind=Post.Kind.STAFF, parent__isnull=False).count() >= 5
    assert len(set(shared.filter(kind="member").values_list("author", flat=True))) == 4
    # A member's post is published after it was written, never before, and its thread knows
    # when someone else first answered it.
    for post in shared:
        assert post.published_at >= post.created_at
    for thread in shared.filter(parent__isnull=True, kind="member", first_reply_at__isnull=False):
        replies = shared.filter(parent=thread).exclude(author=thread.author)
        assert thread.first_reply_at == min(r.published_at for r in replies)
    # The newest member thread is still waiting for a reply; none older than a day is.
    group_ids = list(PeerGroup.objects.values_list("pk", flat=True))
    newest = shared.filter(kind="member", parent__isnull=True).latest("created_at")
    assert list(selectors.unanswered_posts_for(group_ids=group_ids)) == [newest]
    assert services.unanswered_posts_nudge() == 0


@pytest.mark.parametrize("hour", range(24))
def test_the_newest_thread_is_the_unanswered_one_whatever_the_hour_the_demo_is_seeded(hour):
    """The script is placed relative to now: seeded just after midnight, "five hours ago" fell
    before last night's conversation and the waiting thread was no longer the newest."""
    clock = demo_module._Clock()
    clock.now = datetime.combine(clock.today, time(hour, 30), tzinfo=clock.zone)
    lines = demo_module._script(clock.day, clock.hours_ago)

    threads = [line for line in lines if line.parent is None and line.author != "jo"]
    newest = max(threads, key=lambda line: line.at)
    assert newest.key == "hands"
    assert all(line.at < clock.now for line in lines)


def test_an_announcement_and_programme_content_approved_by_the_demo_clinician():
    _seed()

    announcement = Post.objects.get(kind=Post.Kind.ANNOUNCEMENT)
    assert announcement.is_pinned
    programme = Post.objects.get(kind=Post.Kind.PROGRAMME)
    assert programme.is_pinned
    assert programme.approved_by == demo("clinician")
    assert programme.approved_on < timezone.localdate()


def test_exactly_one_post_is_held_for_its_phone_number_and_nothing_is_flagged():
    _seed()

    held = Post.objects.get(status=Post.Status.HELD)
    assert held.author == demo("dani")
    assert held.screening_categories == ["personal_info"]
    assert "phone number" in held.held_reason
    assert "07700" in held.screening_evidence
    assert not Post.objects.exclude(status__in=["published", "held"]).exists()
    from_groups = ["post", "reply", "message"]
    assert not Flag.objects.filter(source__in=from_groups).exists()
    assert not FlagSignal.objects.filter(source__in=from_groups).exists()
    assert not FlagSignal.objects.filter(source_ref__startswith="peersupport").exists()
    assert not Post.objects.exclude(flag_ref="").exists()
    assert not PeerMessage.objects.exclude(flag_ref="").exists()
    # Every shared post is one screening publishes as it stands.
    for post in Post.objects.filter(status="published", kind="member"):
        assert screen_text(post.body).action == "publish", post.body
    # It waits in the peer specialist's queue, and they were told.
    queue = selectors.moderation_queue_for(user=demo("peer"))
    assert [item.post for item in queue.items] == [held]
    notice = Notification.objects.get(kind="peer_post_held", read_at__isnull=True)
    assert notice.recipient == demo("peer")


def test_new_members_first_posts_were_read_by_the_peer_specialist_first():
    _seed()
    jo = demo("peer")

    approvals = ModerationAction.objects.filter(action="approve")
    assert approvals.count() == 3 * 3 + 2  # Alex, Bea and Chris's first three; Dani's two
    assert set(approvals.values_list("actor", flat=True)) == {jo.pk}
    for action in approvals.select_related("post"):
        assert action.created_at == action.post.published_at > action.post.created_at
    # What those approvals told the authors is history: read, and not emailed again now.
    old = Notification.objects.filter(kind__in=["peer_post_held", "peer_post_moderated"])
    assert old.filter(read_at__isnull=False).count() == old.count() - 1  # the held post's
    assert not NotificationDelivery.objects.filter(
        notification__in=old.filter(read_at__isnull=False), status="pending"
    ).exists()


def test_the_demo_patient_sees_the_threads_and_not_the_held_post():
    _seed()
    alex = demo("alex")
    held = Post.objects.get(status=Post.Status.HELD)

    for group in selectors.groups_for_patient(user=alex):
        assert group.is_member
        found, _membership = selectors.group_get_for_member(user=alex, slug=group.slug)
        threads = list(selectors.group_threads_for(user=alex, group=found))
        assert len(threads) >= 3
        assert held.pk not in [t.pk for t in threads]
        for thread in threads:
            posts = selectors.thread_posts_for(user=alex, thread=thread)
            assert held.pk not in [p.pk for p in posts]
            assert all(p.is_from_staff or p.author.peer_member.pseudonym for p in posts)
    assert (
        selectors.thread_get_for_member(user=demo("dani"), group=held.group, thread_id=held.pk)
        == held
    )


def test_the_demo_patient_waits_for_their_peer_specialists_reply_within_the_promise():
    _seed()
    alex, jo = demo("alex"), demo("peer")

    conversation = selectors.conversation_for_patient(patient=alex, peer=jo)
    messages = selectors.conversation_messages(conversation=conversation)
    assert len(messages) >= 5
    assert {m.sender for m in messages} == {alex, jo}
    assert messages[-1].sender == alex
    assert conversation.is_waiting
    assert not conversation.is_overdue
    assert conversation.waiting_since == messages[-1].created_at
    assert conversation.reply_due_at == services.reply_due_for(conversation.waiting_since)
    assert [c.pk for c in selectors.conversations_waiting_for(peer=jo)] == [conversation.pk]
    assert services.overdue_messages_report() == 0
    assert selectors.unread_messages_count(user=jo) == 1
    assert selectors.unread_messages_count(user=alex) == 0
    times = [m.created_at for m in messages]
    assert times == sorted(times)
    assert times[-1] - times[0] >= timedelta(days=14)
