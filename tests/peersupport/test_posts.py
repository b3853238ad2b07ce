"""Posting to a group: screened before anyone else sees it, pre-moderation of new members, the
crisis path, and every kind of bad input refused with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from peersupport import selectors, services
from peersupport.models import Membership, PeerGroup, Post
from safety.models import Flag
from tests.peersupport.helpers import a_group, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return a_group()


def post(author, group, body="Day 3 without a cigarette. The evenings are hard.", **kwargs):
    return services.post_create(author=author, group=group, body=body, **kwargs)


def test_an_ordinary_post_by_a_settled_member_is_published(group):
    result = post(member_of(group), group)

    assert result.post.status == Post.Status.PUBLISHED
    assert result.post.published_at is not None
    assert not result.crisis
    assert not Flag.objects.exists()


def test_a_new_members_first_three_posts_wait_for_a_peer_specialist(group, settings):
    settings.PEERSUPPORT_PREMODERATED_POSTS = 3
    author = member_of(group, settled=False)

    first = post(author, group).post

    assert first.status == Post.Status.HELD
    assert first.held_reason == services.NEW_MEMBER_REASON
    # Once three are published, the next goes straight out.
    Post.objects.filter(author=author).update(
        status=Post.Status.PUBLISHED, published_at=timezone.now()
    )
    for n in range(2):
        Post.objects.create(
            group=group,
            author=author,
            body=f"x{n}",
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
        )
    assert post(author, group).post.status == Post.Status.PUBLISHED


def test_the_number_of_pre_moderated_posts_is_configurable(group, settings):
    settings.PEERSUPPORT_PREMODERATED_POSTS = 0

    assert post(member_of(group, settled=False), group).post.status == Post.Status.PUBLISHED


def test_a_phone_number_holds_the_post_with_the_reason_and_the_evidence_encrypted(group):
    result = post(member_of(group), group, "Text me any time, 07911 123456")

    held = result.post
    assert held.status == Post.Status.HELD
    assert held.published_at is None
    assert "phone number" in held.held_reason
    assert "07911" not in held.held_reason
    assert held.screening_categories == ["personal_info"]
    assert not result.crisis
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body, screening_evidence FROM peersupport_post WHERE id = %s", [held.pk]
        )
        body, evidence = cursor.fetchone()
    assert "07911" not in body
    assert "07911" not in evidence
    assert "07911 123456" in Post.objects.get(pk=held.pk).screening_evidence


def test_a_crisis_post_is_held_raises_a_flag_and_sends_the_author_to_crisis_support(group):
    author = member_of(group)

    result = post(author, group, "I can't do this anymore, I want to end it all tonight")

    assert result.crisis
    assert result.post.status == Post.Status.HELD
    flag = Flag.objects.get(patient=author)
    assert flag.category == Flag.Category.CRISIS
    assert flag.source == Flag.Source.POST
    assert flag.source_ref == f"peersupport.post:{result.post.pk}"
    assert result.post.flag_ref == f"safety.flag:{flag.pk}"


def test_a_crisis_reply_is_flagged_as_a_reply(group):
    thread = post(member_of(group), group).post
    author = member_of(group)

    result = post(author, group, "honestly I want to end it all", parent=thread)

    assert result.crisis
    assert Flag.objects.get(patient=author).source == Flag.Source.REPLY


def test_a_reply_joins_its_thread(group):
    thread = post(member_of(group), group).post

    reply = post(member_of(group), group, "Well done. Evenings got easier for me.", parent=thread)

    assert reply.post.parent == thread
    assert reply.post.status == Post.Status.PUBLISHED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something first."),
        ("   \n ", "Write something first."),
        ("x" * 20_000, "Keep it under 5,000 characters (20,000 now)."),
    ],
)
def test_an_empty_or_too_long_post_is_refused_and_nothing_is_written(group, body, message):
    author = member_of(group)
    before = Post.objects.count()

    with pytest.raises(ValidationError) as refused:
        post(author, group, body)

    assert refused.value.message_dict == {"body": [message]}
    assert Post.objects.count() == before


def test_posting_to_a_group_one_is_not_in_is_refused(group):
    outsider = member_of(
        PeerGroup.objects.create(name="Other", slug="other", kind="topic", description="x")
    )

    with pytest.raises(PermissionDenied):
        post(outsider, group)


def test_a_member_who_left_can_no_longer_post(group):
    author = member_of(group)
    services.group_leave(user=author, group=group)

    with pytest.raises(PermissionDenied):
        post(author, group)


def test_a_muted_member_is_told_until_when_and_nothing_is_written(group):
    author = member_of(group)
    Membership.objects.filter(member=author).update(muted_until=timezone.now() + timedelta(days=1))
    before = Post.objects.count()

    with pytest.raises(ValidationError, match="paused your posting until"):
        post(author, group)

    assert Post.objects.count() == before


def test_replying_to_a_locked_thread_is_refused(group):
    thread = post(member_of(group), group).post
    Post.objects.filter(pk=thread.pk).update(is_locked=True)

    with pytest.raises(ValidationError, match="closed this conversation"):
        post(member_of(group), group, "me too", parent=thread)


def test_replying_to_a_held_post_or_a_reply_or_another_groups_thread_is_refused(group):
    held = post(member_of(group), group, "ring me 07911 123456").post
    thread = post(member_of(group), group).post
    reply = post(member_of(group), group, "same here", parent=thread).post
    other = PeerGroup.objects.create(name="Other", slug="other", kind="topic", description="x")
    elsewhere = post(member_of(other), other).post
    author = member_of(group)

    for parent, message in [
        (held, "not open for replies"),
        (reply, "not in this group"),
        (elsewhere, "not in this group"),
    ]:
        with pytest.raises(ValidationError, match=message):
            post(author, group, "hello", parent=parent)


def test_html_is_kept_as_text(group):
    body = '<script>alert("hi")</script> <b>day 5</b>'

    saved = post(member_of(group), group, body).post

    assert Post.objects.get(pk=saved.pk).body == body  # escaped when shown, never run


def test_a_held_post_is_seen_by_its_author_only(group):
    thread = post(member_of(group), group).post
    author, reader = member_of(group), member_of(group)
    held = post(author, group, "my number is 07911 123456", parent=thread).post
    shown = post(reader, group, "Keep going!", parent=thread).post

    assert [p.pk for p in selectors.thread_posts_for(user=author, thread=thread)] == [
        thread.pk,
        held.pk,
        shown.pk,
    ]
    assert [p.pk for p in selectors.thread_posts_for(user=reader, thread=thread)] == [
        thread.pk,
        shown.pk,
    ]


def test_a_thread_is_read_in_one_query_whatever_its_length(group, django_assert_num_queries):
    thread = post(member_of(group), group).post
    for _ in range(6):
        post(member_of(group), group, "Keep going!", parent=thread)

    with django_assert_num_queries(1):
        posts = selectors.thread_posts_for(user=thread.author, thread=thread)
        names = [p.author.peer_member.pseudonym for p in posts]

    assert len(names) == 7
