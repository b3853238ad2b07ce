"""Peer specialists' own posts: the group's welcome post, announcements, programme content with
its "approved by" line, and replies, which answer a member's thread. Only the group's
moderators post as staff, and bad input is refused with nothing written."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.exceptions import StateConflict
from core.models import AuditEvent
from peersupport import selectors, services
from peersupport.models import PeerGroup, Post
from tests.factories import ClinicianFactory
from tests.peersupport.helpers import a_group, a_patient, a_peer, an_admin, member_of
from tests.peersupport.test_posts import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return a_group()


@pytest.fixture
def moderator(group):
    peer = a_peer()
    group.moderators.add(peer)
    return peer


@pytest.fixture
def approver():
    return ClinicianFactory(password=None, mfa=False)


def staff_post(author, group, body="Hello everyone, I'm Jo.", **kwargs) -> Post:
    return services.staff_post_create(author=author, group=group, body=body, **kwargs)


def test_a_peer_specialists_post_is_published_at_once_and_audited(group, moderator):
    created = staff_post(moderator, group, "Cravings pass. Ride them out for ten minutes.")

    assert created.status == Post.Status.PUBLISHED
    assert created.published_at is not None
    assert (created.kind, created.is_from_staff, created.is_pinned) == ("staff", True, False)
    event = AuditEvent.objects.get(action="peer.staff_posted")
    assert (event.actor_id, event.target_id, event.detail) == (
        moderator.pk,
        str(created.pk),
        {"kind": "staff"},
    )
    reader = member_of(group)
    assert created in selectors.group_threads_for(user=reader, group=group)


def test_the_welcome_post_is_pinned_and_one_per_group_a_second_replaces_its_text(group, moderator):
    first = staff_post(moderator, group, "Welcome! Say hello.", kind=Post.Kind.WELCOME)
    colleague = a_peer()
    group.moderators.add(colleague)

    second = staff_post(colleague, group, "Welcome, all. Read the guidelines.", kind="welcome")

    assert second.pk == first.pk
    welcome = Post.objects.get(group=group, kind=Post.Kind.WELCOME)
    assert (welcome.body, welcome.author, welcome.is_pinned) == (
        "Welcome, all. Read the guidelines.",
        colleague,
        True,
    )
    assert selectors.group_welcome_post(group=group) == welcome
    assert AuditEvent.objects.filter(action="peer.welcome_updated").count() == 1
    # Apart from the conversations, and another group has its own.
    assert welcome not in selectors.group_threads_for(user=member_of(group), group=group)
    other = PeerGroup.objects.create(name="Other", slug="other", kind="topic", description="x")
    other.moderators.add(moderator)
    assert staff_post(moderator, other, "Welcome here too.", kind="welcome").pk != welcome.pk


@pytest.mark.parametrize("pinned", [True, False])
def test_an_announcement_is_pinned_if_asked(group, moderator, pinned):
    reader = member_of(group)
    announcement = staff_post(
        moderator, group, "Group chat on Thursday at 7pm.", kind="announcement", pinned=pinned
    )

    assert announcement.is_pinned is pinned
    newer = post(member_of(group), group).post
    first = selectors.group_threads_for(user=reader, group=group).first()
    assert first == (announcement if pinned else newer)


def test_programme_content_carries_the_clinician_who_approved_it_and_when(
    group, moderator, approver
):
    content = staff_post(
        moderator,
        group,
        "Nicotine replacement doubles your chances of quitting.",
        kind=Post.Kind.PROGRAMME,
        approved_by=approver,
        approved_on=date(2026, 11, 2),
    )

    content.refresh_from_db()
    assert (content.approved_by, content.approved_on) == (approver, date(2026, 11, 2))
    shown = selectors.thread_get_for_member(
        user=member_of(group), group=group, thread_id=content.pk
    )
    assert shown.approved_by == approver


@pytest.mark.parametrize(
    "approval",
    [
        {},
        {"approved_on": date(2026, 11, 2)},
        {"approved_by": "clinician"},
        {"approved_by": "peer", "approved_on": date(2026, 11, 2)},
        {"approved_by": "patient", "approved_on": date(2026, 11, 2)},
    ],
)
def test_programme_content_without_a_clinicians_approval_is_refused(group, moderator, approval):
    who = approval.get("approved_by")
    if who is not None:
        approval["approved_by"] = {
            "clinician": ClinicianFactory(password=None, mfa=False),
            "peer": moderator,
            "patient": a_patient(),
        }[who]

    with pytest.raises(ValidationError) as refused:
        staff_post(moderator, group, "Patches work.", kind=Post.Kind.PROGRAMME, **approval)

    assert list(refused.value.message_dict) == ["approved_by"]
    assert not Post.objects.exists()


def test_an_approval_on_anything_but_programme_content_is_dropped(group, moderator, approver):
    announcement = staff_post(
        moderator, group, "Thursday at 7.", kind="announcement", approved_by=approver
    )

    assert (announcement.approved_by, announcement.approved_on) == (None, None)


def test_a_peer_specialists_reply_answers_a_members_thread(group, moderator):
    thread = post(member_of(group), group).post

    reply = staff_post(moderator, group, "Well done for getting through today.", parent=thread)

    thread.refresh_from_db()
    assert thread.first_reply_at == reply.published_at
    assert reply.is_pinned is False
    assert thread.pk not in [p.pk for p in selectors.unanswered_posts_for(group_ids=[group.pk])]


@pytest.mark.parametrize("kind", ["announcement", "welcome", "programme"])
def test_a_reply_is_an_ordinary_staff_post(group, moderator, approver, kind):
    thread = post(member_of(group), group).post

    with pytest.raises(ValidationError, match="Replies are ordinary posts"):
        staff_post(
            moderator,
            group,
            parent=thread,
            kind=kind,
            approved_by=approver,
            approved_on=date(2026, 11, 2),
        )

    assert not Post.objects.filter(parent=thread).exists()


def test_a_staff_reply_to_a_held_post_or_another_groups_thread_is_refused(group, moderator):
    held = post(member_of(group), group, "ring me on 07911 123456").post
    other = PeerGroup.objects.create(name="Other", slug="other", kind="topic", description="x")
    elsewhere = post(member_of(other), other).post

    with pytest.raises(StateConflict, match="not open for replies"):
        staff_post(moderator, group, parent=held)
    with pytest.raises(ValidationError, match="not in this group"):
        staff_post(moderator, group, parent=elsewhere)

    assert not Post.objects.filter(kind=Post.Kind.STAFF).exists()


@pytest.mark.parametrize(
    "who", ["a member", "another group's peer specialist", "a clinician", "an admin"]
)
def test_only_the_groups_peer_specialists_post_as_staff(group, moderator, who):
    if who == "a member":
        author = member_of(group)
    elif who == "another group's peer specialist":
        author = a_peer()
        PeerGroup.objects.create(name="O", slug="o", kind="topic").moderators.add(author)
    elif who == "a clinician":
        author = ClinicianFactory(password=None, mfa=False)
    else:
        author = an_admin()
    before = Post.objects.count()

    for kind in ("staff", "announcement", "welcome"):
        with pytest.raises(PermissionDenied):
            staff_post(author, group, kind=kind)

    assert Post.objects.count() == before
    assert not AuditEvent.objects.filter(action__startswith="peer.staff").exists()


@pytest.mark.parametrize(
    ("body", "kind", "error"),
    [
        ("", "staff", {"body": ["Write something first."]}),
        (" \n\t ", "announcement", {"body": ["Write something first."]}),
        ("x" * 20_000, "staff", {"body": ["Keep it under 5,000 characters (20,000 now)."]}),
        ("x" * 5_001, "welcome", {"body": ["Keep it under 5,000 characters (5,001 now)."]}),
        ("Hello", "member", {"kind": ["Choose what kind of post this is."]}),
        ("Hello", "shout", {"kind": ["Choose what kind of post this is."]}),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(group, moderator, body, kind, error):
    with pytest.raises(ValidationError) as refused:
        staff_post(moderator, group, body, kind=kind)

    assert refused.value.message_dict == error
    assert not Post.objects.exists()


def test_the_longest_allowed_post_is_kept_whole(group, moderator):
    body = "y" * services.MAX_POST_CHARS

    assert Post.objects.get(pk=staff_post(moderator, group, body).pk).body == body
