"""A patient never sees another group, a held post or another member's identity; a peer
specialist sees only the groups they moderate and the conversations sent to them. Checked at
the selectors, which every page and API endpoint reads through."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import PatientProfile
from peersupport import selectors, services
from peersupport.models import Membership, PeerGroup, Reaction, Report
from tests.factories import ClinicianFactory
from tests.peersupport.helpers import a_group, a_patient, a_peer, an_admin, member_of
from tests.peersupport.test_posts import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return a_group()


@pytest.fixture
def other():
    return PeerGroup.objects.create(
        name="Vaping as a route out", slug="vaping", kind="topic", description="Vapes."
    )


@pytest.fixture
def moderator(group):
    peer = a_peer()
    group.moderators.add(peer)
    return peer


@pytest.fixture
def outsider(other):
    """A peer specialist who moderates another group only."""
    peer = a_peer()
    other.moderators.add(peer)
    return peer


def ids(posts) -> list[int]:
    return [p.pk for p in posts]


# --- Groups ---------------------------------------------------------------------------------------


def test_a_patient_sees_open_groups_and_their_own_never_a_closed_group_they_are_not_in(group):
    closed = PeerGroup.objects.create(name="Closed", slug="closed", kind="topic", is_open=False)
    closed_mine = PeerGroup.objects.create(name="Mine", slug="mine", kind="topic")
    closed_left = PeerGroup.objects.create(name="Left", slug="left", kind="topic")
    patient = member_of(closed_mine)
    services.group_join(user=patient, group=closed_left)
    services.group_leave(user=patient, group=closed_left)
    PeerGroup.objects.filter(pk__in=[closed_mine.pk, closed_left.pk]).update(is_open=False)

    slugs = {g.slug for g in selectors.groups_for_patient(user=patient)}

    assert slugs == {"mine", "first-weeks"}
    assert closed.slug not in {g.slug for g in selectors.groups_for_patient(user=a_patient())}


def test_a_group_is_there_only_for_its_current_members(group, other):
    member = member_of(group)
    left = member_of(group)
    services.group_leave(user=left, group=group)
    removed = member_of(group)
    moderator = a_peer()
    group.moderators.add(moderator)
    services.member_remove(
        membership=Membership.objects.get(member=removed, group=group, left_at__isnull=True),
        by=moderator,
        reason="Repeated unkind posts",
    )

    found, membership = selectors.group_get_for_member(user=member, slug=group.slug)

    assert (found, membership.member) == (group, member)
    for user, slug in [
        (member, other.slug),
        (member, "no-such-group"),
        (left, group.slug),
        (removed, group.slug),
        (a_peer(), group.slug),
    ]:
        with pytest.raises(Http404):
            selectors.group_get_for_member(user=user, slug=slug)


def test_staff_who_somehow_hold_a_membership_still_do_not_see_the_group(group):
    clinician = ClinicianFactory(password=None, mfa=False)
    Membership.objects.create(group=group, member=clinician)

    with pytest.raises(Http404):
        selectors.group_get_for_member(user=clinician, slug=group.slug)


# --- Posts ----------------------------------------------------------------------------------------


@pytest.fixture
def thread_with_everything(group, moderator):
    """A shared thread with a shared reply, and a reply in each state nobody else may see."""
    thread = post(member_of(group), group).post
    shared = post(member_of(group), group, "Well done you", parent=thread).post
    held = post(member_of(group), group, "Text me on 07911 123456", parent=thread).post
    rejected = post(member_of(group), group, "Text me on 07911 654321", parent=thread).post
    services.post_reject(post=rejected, by=moderator, message="Sorry, no numbers here.")
    removed = post(member_of(group), group, "Just have one, it's fine", parent=thread).post
    services.post_remove(post=removed, by=moderator, message="That could hurt someone.")
    return {
        "thread": thread,
        "shared": shared,
        "held": held,
        "rejected": rejected,
        "removed": removed,
    }


def test_a_thread_never_shows_another_members_held_rejected_or_removed_posts(
    group, thread_with_everything
):
    posts = thread_with_everything
    reader = member_of(group)

    assert ids(selectors.thread_posts_for(user=reader, thread=posts["thread"])) == [
        posts["thread"].pk,
        posts["shared"].pk,
    ]
    # Its author sees their own held reply, waiting for a moderator; not what was turned down.
    for mine, seen in [("held", True), ("rejected", False), ("removed", False)]:
        author = posts[mine].author
        shown = ids(selectors.thread_posts_for(user=author, thread=posts["thread"]))
        assert (posts[mine].pk in shown) is seen, mine
    reply_count = selectors.group_threads_for(user=reader, group=group).get(pk=posts["thread"].pk)
    assert reply_count.reply_count == 1


def test_the_groups_conversations_never_include_another_members_hidden_threads(group, moderator):
    shared = post(member_of(group), group).post
    held = post(member_of(group), group, "Ring me on 07911 123456").post
    rejected = post(member_of(group), group, "Ring me on 07911 654321").post
    services.post_reject(post=rejected, by=moderator, message="Sorry, no numbers here.")
    removed = post(member_of(group), group).post
    services.post_remove(post=removed, by=moderator, message="Sorry.")
    reader = member_of(group)

    threads = ids(selectors.group_threads_for(user=reader, group=group))

    assert shared.pk in threads
    assert not {held.pk, rejected.pk, removed.pk} & set(threads)
    assert held.pk in ids(selectors.group_threads_for(user=held.author, group=group))
    for hidden in (held, rejected, removed):
        with pytest.raises(Http404):
            selectors.thread_get_for_member(user=reader, group=group, thread_id=hidden.pk)
    assert selectors.thread_get_for_member(user=held.author, group=group, thread_id=held.pk)


def test_a_thread_or_a_post_of_another_group_is_not_there(group, other):
    member = member_of(group)
    elsewhere = post(member_of(other), other).post
    reply = post(member_of(other), other, "Same here", parent=elsewhere).post

    with pytest.raises(Http404):
        selectors.thread_get_for_member(user=member, group=group, thread_id=elsewhere.pk)
    for post_id in (elsewhere.pk, reply.pk, 10**9):
        with pytest.raises(Http404):
            selectors.post_get_for_member(user=member, group=group, post_id=post_id)
    assert elsewhere.pk not in ids(selectors.group_threads_for(user=member, group=group))


def test_a_reply_is_not_a_thread(group):
    thread = post(member_of(group), group).post
    reply = post(member_of(group), group, "Same here", parent=thread).post

    with pytest.raises(Http404):
        selectors.thread_get_for_member(user=thread.author, group=group, thread_id=reply.pk)


def test_only_shared_posts_can_be_reacted_to_or_reported(group, thread_with_everything):
    posts = thread_with_everything
    reader = member_of(group)

    assert selectors.post_get_for_member(user=reader, group=group, post_id=posts["shared"].pk)
    for hidden in ("held", "rejected", "removed"):
        with pytest.raises(Http404):
            selectors.post_get_for_member(user=reader, group=group, post_id=posts[hidden].pk)


def test_the_replies_of_a_removed_conversation_go_with_it(group, moderator):
    thread = post(member_of(group), group).post
    reply = post(member_of(group), group, "Same here, day four", parent=thread).post
    reader = member_of(group)
    services.post_remove(post=thread, by=moderator, message="Sorry.")

    assert thread.pk not in ids(selectors.group_threads_for(user=reader, group=group))
    with pytest.raises(Http404):
        selectors.thread_get_for_member(user=reader, group=group, thread_id=thread.pk)
    # Not even by its own id, to react to or report (and so to read).
    with pytest.raises(Http404):
        selectors.post_get_for_member(user=reader, group=group, post_id=reply.pk)
    with pytest.raises(PermissionDenied):
        services.reaction_add(member=reader, post=reply, kind=Reaction.Kind.HEART)
    with pytest.raises(PermissionDenied):
        services.report_create(reporter=reader, post=reply, reason=Report.Reason.OTHER)
    assert not Reaction.objects.exists()
    assert not Report.objects.exists()


def test_members_appear_under_their_group_names_read_with_the_posts(
    group, django_assert_num_queries
):
    thread = post(member_of(group), group).post
    post(member_of(group), group, "Same here", parent=thread)
    reader = member_of(group)

    posts = selectors.thread_posts_for(user=reader, thread=thread)
    with django_assert_num_queries(0):
        names = [p.author.peer_member.pseudonym for p in posts]

    assert all(name.startswith(("Walker ", "Rambler ")) for name in names)
    assert len(names) == 2


def test_a_member_cannot_find_out_who_another_member_is(group):
    member = member_of(group)
    other = member_of(group)
    membership = Membership.objects.get(member=other, group=group)

    with pytest.raises(Http404):
        selectors.membership_get_for_staff(user=member, membership_id=membership.pk)
    with pytest.raises(PermissionDenied, match="care team and admins"):
        services.identity_reveal(group=group, member=other, by=member, reason="Curious")


def test_a_patient_sees_only_their_own_posts_and_conversation(group):
    mine = member_of(group)
    theirs = member_of(group)
    peer = a_peer()
    PatientProfile.objects.filter(user__in=[mine, theirs]).update(peer_specialist=peer)
    services.message_send(sender=theirs, body="Hello, it's been a hard week")

    assert {p.author_id for p in selectors.posts_by_author(user=mine)} == {mine.pk}
    assert selectors.conversation_for_patient(patient=mine, peer=peer) is None
    assert selectors.unread_messages_count(user=mine) == 0


# --- Moderation -----------------------------------------------------------------------------------


def test_a_peer_specialist_reaches_only_what_is_in_the_groups_they_moderate(
    group, moderator, outsider
):
    author = member_of(group)
    held = post(author, group, "Ring me on 07911 123456").post
    shared = post(author, group).post
    report = services.report_create(
        reporter=member_of(group), post=shared, reason=Report.Reason.UNKIND
    )
    membership = Membership.objects.get(member=author, group=group)

    assert selectors.post_get_for_moderator(user=moderator, post_id=held.pk) == held
    assert selectors.membership_get_for_moderator(user=moderator, membership_id=membership.pk) == (
        membership
    )
    assert selectors.report_get_for_moderator(user=moderator, report_id=report.pk) == report
    assert selectors.group_get_for_moderator(user=moderator, slug=group.slug) == group
    for someone in (outsider, author, ClinicianFactory(password=None, mfa=False)):
        for lookup, kwargs in (
            (selectors.post_get_for_moderator, {"post_id": held.pk}),
            (selectors.post_get_for_moderator, {"post_id": shared.pk}),
            (selectors.membership_get_for_moderator, {"membership_id": membership.pk}),
            (selectors.membership_get_for_staff, {"membership_id": membership.pk}),
            (selectors.report_get_for_moderator, {"report_id": report.pk}),
            (selectors.group_get_for_moderator, {"slug": group.slug}),
        ):
            with pytest.raises(Http404):
                lookup(user=someone, **kwargs)


def test_an_admin_reaches_any_membership_for_the_identity_look_up(group):
    membership = Membership.objects.get(member=member_of(group), group=group)

    found = selectors.membership_get_for_staff(user=an_admin(), membership_id=membership.pk)

    assert found == membership


def test_the_queue_and_its_count_hold_only_the_peers_own_groups(group, other, moderator, outsider):
    held_here = post(member_of(group), group, "Ring me on 07911 123456").post
    held_there = post(member_of(other), other, "Ring me on 07911 654321").post
    shared_there = post(member_of(other), other).post
    services.report_create(
        reporter=member_of(other), post=shared_there, reason=Report.Reason.UNKIND
    )

    queue = selectors.moderation_queue_for(user=moderator)

    assert [item.post.pk for item in queue.items] == [held_here.pk]
    assert selectors.moderation_queue_count(user=moderator) == 1
    assert {item.post.pk for item in selectors.moderation_queue_for(user=outsider).items} == {
        held_there.pk,
        shared_there.pk,
    }
    assert selectors.moderation_queue_count(user=outsider) == 2
    assert selectors.moderation_queue_count(user=held_here.author) == 0


def test_a_peer_specialist_opens_only_the_conversations_sent_to_them():
    peer, colleague = a_peer(), a_peer()
    patient = a_patient()
    PatientProfile.objects.filter(user=patient).update(peer_specialist=peer)
    conversation = services.message_send(sender=patient, body="Hello").conversation

    assert selectors.conversation_get_for_peer(peer=peer, conversation_id=conversation.pk)
    for someone in (colleague, patient, an_admin()):
        with pytest.raises(Http404):
            selectors.conversation_get_for_peer(peer=someone, conversation_id=conversation.pk)
    assert list(selectors.inbox_for(peer=colleague)) == []
    assert list(selectors.conversations_waiting_for(peer=colleague)) == []
    assert selectors.unread_messages_count(user=colleague) == 0
    assert selectors.unread_messages_count(user=peer) == 1
