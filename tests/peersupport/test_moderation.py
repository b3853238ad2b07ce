"""Moderation by the group's peer specialists, through the real services: every path, its
refusals, what the author and member are told, and the record each decision leaves (a
ModerationAction with the reason encrypted, and an audit row without free text). A moderator of
another group, or anyone else, is refused and nothing changes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from accounts.models import PatientProfile, User
from core.exceptions import StateConflict
from core.models import AuditEvent, Notification
from peersupport import selectors, services
from peersupport.models import (
    Membership,
    ModerationAction,
    ModeratorMessageTemplate,
    PeerGroup,
    Post,
    Report,
)
from peersupport.services.moderation import EDITED_MESSAGE
from safety.models import Flag, FlagSignal, Severity
from tests.peersupport.helpers import a_group, a_peer, an_admin, member_of
from tests.peersupport.test_posts import post

pytestmark = pytest.mark.django_db

REASON = "Kept to the guidelines about kindness"
PHONE_POST = "Text me any time, 07911 123456, happy to help with the cravings"
EDITED_BODY = "Text me any time, happy to help with the cravings"


@pytest.fixture
def group():
    return a_group()


@pytest.fixture
def moderator(group):
    peer = a_peer()
    group.moderators.add(peer)
    return peer


def other_groups_moderator() -> User:
    other = PeerGroup.objects.create(
        name="Vaping as a route out", slug="vaping", kind="topic", description="Vapes."
    )
    peer = a_peer()
    other.moderators.add(peer)
    return peer


def held_post(group, author=None, body=PHONE_POST, **kwargs) -> Post:
    held = post(author or member_of(group), group, body, **kwargs).post
    assert held.status == Post.Status.HELD
    return held


def notices(user, kind="peer_post_moderated"):
    return list(Notification.objects.filter(recipient=user, kind=kind))


def raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


# --- Approve --------------------------------------------------------------------------------------


def test_approving_a_held_post_publishes_it_and_tells_the_author(group, moderator):
    author = member_of(group, settled=False)
    held = held_post(group, author=author, body="Day 2. Patches on, evenings are hard.")
    assert held.held_reason == services.NEW_MEMBER_REASON
    before = timezone.now()

    approved = services.post_approve(post=held, by=moderator)

    approved.refresh_from_db()
    assert approved.status == Post.Status.PUBLISHED
    assert before <= approved.published_at <= timezone.now()
    assert (approved.moderated_by, approved.moderated_at) == (moderator, approved.published_at)
    [notice] = notices(held.author)
    assert notice.title == "Your post in First weeks is now shared"
    assert held.pk in [
        p.pk for p in selectors.group_threads_for(user=member_of(group), group=group)
    ]


def test_approving_a_held_reply_by_someone_else_answers_the_thread(group, moderator):
    thread = post(member_of(group), group).post
    reply = held_post(group, parent=thread, body="Hang on in there 07911 123456")
    assert Post.objects.get(pk=thread.pk).first_reply_at is None

    services.post_approve(post=reply, by=moderator)

    thread.refresh_from_db()
    reply.refresh_from_db()
    assert thread.first_reply_at == reply.published_at


def test_approving_the_authors_own_reply_leaves_the_thread_unanswered(group, moderator):
    author = member_of(group)
    thread = post(author, group).post
    reply = held_post(group, author=author, parent=thread)

    services.post_approve(post=reply, by=moderator)

    assert Post.objects.get(pk=thread.pk).first_reply_at is None


def test_approving_a_post_that_is_not_waiting_is_a_conflict(group, moderator):
    published = post(member_of(group), group).post

    with pytest.raises(StateConflict, match="not waiting for a moderator"):
        services.post_approve(post=published, by=moderator)

    assert not ModerationAction.objects.exists()


# --- Reject ---------------------------------------------------------------------------------------


def test_rejecting_keeps_the_post_from_the_group_and_the_author_reads_why(group, moderator):
    held = held_post(group)
    template = ModeratorMessageTemplate.objects.create(
        title="Personal details", text="We could not share this: it had a phone number in it."
    )

    services.post_reject(post=held, by=moderator, message=template.text)

    held.refresh_from_db()
    assert held.status == Post.Status.REJECTED
    assert held.published_at is None
    assert held.moderated_by == moderator
    mine = selectors.posts_by_author(user=held.author).get(pk=held.pk)
    assert mine.moderator_message == template.text
    [notice] = notices(held.author)
    assert notice.body == template.text
    assert "phone number" not in raw_column("peersupport_post", "moderator_message", held.pk)
    reader = member_of(group)
    assert held.pk not in [p.pk for p in selectors.group_threads_for(user=reader, group=group)]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("", "Write a kind message to the author, or choose one."),
        ("   ", "Write a kind message to the author, or choose one."),
        ("x" * 1_001, "Keep it under 1,000 characters (1,001 now)."),
    ],
)
def test_rejecting_needs_a_message_of_a_sensible_length(group, moderator, message, error):
    held = held_post(group)

    with pytest.raises(ValidationError) as refused:
        services.post_reject(post=held, by=moderator, message=message)

    assert refused.value.message_dict == {"message": [error]}
    assert Post.objects.get(pk=held.pk).status == Post.Status.HELD
    assert not ModerationAction.objects.exists()
    assert not notices(held.author)


# --- Edit out personal details --------------------------------------------------------------------


def test_editing_out_a_phone_number_keeps_the_post_waiting_and_drops_the_evidence(group, moderator):
    held = held_post(group)
    assert "07911" in Post.objects.get(pk=held.pk).screening_evidence

    services.post_edit_out(post=held, by=moderator, body=EDITED_BODY, reason="A phone number")

    held.refresh_from_db()
    assert held.body == EDITED_BODY
    assert held.screening_evidence == ""
    assert held.status == Post.Status.HELD
    assert held.edited_by_moderator_at is not None
    assert held.moderator_message == EDITED_MESSAGE
    assert [a.action for a in ModerationAction.objects.filter(post=held)] == ["edit"]
    [notice] = notices(held.author)
    assert notice.body == EDITED_MESSAGE
    for column in ("body", "screening_evidence"):
        assert "07911" not in raw_column("peersupport_post", column, held.pk)


def test_editing_out_and_publishing_approves_it_in_the_same_step(group, moderator):
    thread = post(member_of(group), group).post
    held = held_post(group, parent=thread)

    services.post_edit_out(post=held, by=moderator, body=EDITED_BODY, publish=True)

    held.refresh_from_db()
    assert held.status == Post.Status.PUBLISHED
    assert held.published_at == held.moderated_at
    assert Post.objects.get(pk=thread.pk).first_reply_at == held.published_at
    actions = ModerationAction.objects.filter(post=held).order_by("pk")
    assert [(a.action, a.actor, a.member) for a in actions] == [
        ("edit", moderator, held.author),
        ("approve", moderator, held.author),
    ]
    assert AuditEvent.objects.filter(action__startswith="moderation.").count() == 2
    [notice] = notices(held.author)
    assert notice.body == EDITED_MESSAGE + " It is now shared with the group."


def test_editing_a_shared_post_closes_its_reports_as_edited(group, moderator):
    thread = post(member_of(group), group).post
    report = services.report_create(
        reporter=member_of(group), post=thread, reason=Report.Reason.PERSONAL_INFO
    )

    services.post_edit_out(post=thread, by=moderator, body="Day 3 without one. Evenings: hard.")

    report.refresh_from_db()
    assert (report.outcome, report.handled_by) == (Report.Outcome.POST_EDITED, moderator)
    assert report.handled_at is not None
    assert Post.objects.get(pk=thread.pk).status == Post.Status.PUBLISHED
    action = ModerationAction.objects.get(post=thread)
    assert action.detail == {"report_ids": [report.pk]}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (PHONE_POST, "Nothing was changed. Take out the personal details."),
        ("Text me any time, 07911 123456", "This still seems to share personal details"),
        ("Or email me on robin@example.org", "This still seems to share personal details"),
        ("", "Write the post."),
    ],
)
def test_an_edit_that_still_shares_details_or_changes_nothing_is_refused(
    group, moderator, body, error
):
    held = held_post(group)

    with pytest.raises(ValidationError) as refused:
        services.post_edit_out(post=held, by=moderator, body=body, publish=True)

    assert refused.value.message_dict["body"][0].startswith(error)
    held.refresh_from_db()
    assert (held.body, held.status) == (PHONE_POST, Post.Status.HELD)
    assert "07911" in held.screening_evidence
    assert not ModerationAction.objects.exists()
    assert not notices(held.author)


def test_a_staff_post_or_a_rejected_post_cannot_be_edited(group, moderator):
    staff = services.staff_post_create(author=moderator, group=group, body="Welcome all")
    rejected = held_post(group)
    services.post_reject(post=rejected, by=moderator, message="Sorry, not this one.")

    for target in (staff, rejected):
        with pytest.raises(StateConflict, match="Only a member's held or shared post"):
            services.post_edit_out(post=target, by=moderator, body="Something else")

    assert not ModerationAction.objects.filter(action="edit").exists()


# --- Remove a post --------------------------------------------------------------------------------


def test_removing_a_post_hides_it_closes_its_reports_and_tells_the_author(group, moderator):
    thread = post(member_of(group), group).post
    reply = post(member_of(group), group, "Same here, keep going", parent=thread).post
    reports = [
        services.report_create(reporter=member_of(group), post=thread, reason=reason)
        for reason in (Report.Reason.UNKIND, Report.Reason.HARMFUL_ADVICE)
    ]

    services.post_remove(post=thread, by=moderator, message=REASON)

    thread.refresh_from_db()
    assert thread.status == Post.Status.REMOVED
    assert thread.moderator_message == REASON
    for report in reports:
        report.refresh_from_db()
        assert (report.outcome, report.handled_by) == (Report.Outcome.POST_REMOVED, moderator)
    assert sorted(ModerationAction.objects.get().detail["report_ids"]) == [r.pk for r in reports]
    [notice] = notices(thread.author)
    assert notice.body == REASON
    # Its replies go with it: the conversation is not there for the reply's author.
    assert thread.pk not in [
        p.pk for p in selectors.group_threads_for(user=reply.author, group=group)
    ]
    with pytest.raises(Http404):
        selectors.thread_get_for_member(user=reply.author, group=group, thread_id=thread.pk)


def test_only_a_shared_post_can_be_removed_and_a_message_is_needed(group, moderator):
    held = held_post(group)
    shared = post(member_of(group), group).post

    with pytest.raises(StateConflict, match="Only a shared post"):
        services.post_remove(post=held, by=moderator, message=REASON)
    with pytest.raises(ValidationError, match="kind message"):
        services.post_remove(post=shared, by=moderator, message=" ")

    assert Post.objects.get(pk=shared.pk).status == Post.Status.PUBLISHED
    assert not ModerationAction.objects.exists()


@pytest.mark.parametrize("action", ["edit", "remove"])
def test_editing_or_removing_a_post_leaves_a_worry_about_its_author_open(group, moderator, action):
    thread = post(member_of(group), group).post
    worried = services.report_create(
        reporter=member_of(group), post=thread, reason=Report.Reason.WORRIED
    )
    unkind = services.report_create(
        reporter=member_of(group), post=thread, reason=Report.Reason.UNKIND
    )

    if action == "edit":
        services.post_edit_out(post=thread, by=moderator, body="Day 3. Evenings are hard.")
    else:
        services.post_remove(post=thread, by=moderator, message=REASON)

    assert Report.objects.get(pk=unkind.pk).handled_at is not None
    # The worry is about the person: it stays in the queue until the clinician is told.
    assert Report.objects.get(pk=worried.pk).handled_at is None
    assert [item.post.pk for item in selectors.moderation_queue_for(user=moderator).items] == [
        thread.pk
    ]
    assert ModerationAction.objects.get().detail == {"report_ids": [unkind.pk]}


# --- Lock and pin ---------------------------------------------------------------------------------


def test_a_locked_conversation_takes_no_replies_until_it_is_opened_again(group, moderator):
    thread = post(member_of(group), group).post
    replier = member_of(group)

    services.thread_lock(post=thread, by=moderator, locked=True, reason="Going in circles")

    with pytest.raises(ValidationError, match="closed this conversation"):
        post(replier, group, "One more thing", parent=thread)
    with pytest.raises(StateConflict, match="already closed"):
        services.thread_lock(post=thread, by=moderator, locked=True)

    services.thread_lock(post=thread, by=moderator, locked=False)

    assert post(replier, group, "One more thing", parent=thread).post.parent == thread
    with pytest.raises(StateConflict, match="is open"):
        services.thread_lock(post=thread, by=moderator, locked=False)
    assert [a.action for a in ModerationAction.objects.order_by("pk")] == ["lock", "unlock"]


def test_a_reply_cannot_be_locked_on_its_own(group, moderator):
    thread = post(member_of(group), group).post
    reply = post(member_of(group), group, "Same here", parent=thread).post

    with pytest.raises(ValidationError, match="Only a whole conversation"):
        services.thread_lock(post=reply, by=moderator, locked=True)

    assert not Post.objects.get(pk=reply.pk).is_locked


def test_a_pinned_conversation_comes_first_and_pinning_twice_is_a_conflict(group, moderator):
    reader = member_of(group)
    older = post(member_of(group), group).post
    newer = post(member_of(group), group).post

    assert selectors.group_threads_for(user=reader, group=group).first() == newer

    services.post_pin(post=older, by=moderator, pinned=True)

    assert selectors.group_threads_for(user=reader, group=group).first() == older
    with pytest.raises(StateConflict, match="already pinned"):
        services.post_pin(post=older, by=moderator, pinned=True)
    services.post_pin(post=older, by=moderator, pinned=False)
    with pytest.raises(StateConflict, match="not pinned"):
        services.post_pin(post=older, by=moderator, pinned=False)
    assert not Post.objects.get(pk=older.pk).is_pinned
    assert [a.action for a in ModerationAction.objects.order_by("pk")] == ["pin", "unpin"]


def test_a_held_post_or_a_reply_cannot_be_pinned(group, moderator):
    thread = post(member_of(group), group).post
    reply = post(member_of(group), group, "Same here", parent=thread).post

    for target in (held_post(group), reply):
        with pytest.raises(ValidationError, match="Only a shared conversation"):
            services.post_pin(post=target, by=moderator, pinned=True)

    assert not Post.objects.filter(is_pinned=True).exists()


# --- Mute -----------------------------------------------------------------------------------------


def membership_of(user, group) -> Membership:
    return Membership.objects.get(member=user, group=group, left_at__isnull=True)


@pytest.mark.parametrize("days", services.MUTE_DAYS)
def test_a_muted_member_cannot_post_until_the_pause_ends(group, moderator, days):
    member = member_of(group)
    before = timezone.now()

    membership = services.member_mute(
        membership=membership_of(member, group), by=moderator, days=days, reason=REASON
    )

    assert before + timedelta(days=days) <= membership.muted_until
    assert membership.muted_until <= timezone.now() + timedelta(days=days)
    with pytest.raises(ValidationError, match="paused your posting until"):
        post(member, group)
    [notice] = notices(member, kind="peer_member_muted")
    assert "You can still read the group" in notice.body
    assert REASON not in notice.body
    # The pause runs out on its own.
    Membership.objects.filter(pk=membership.pk).update(
        muted_until=timezone.now() - timedelta(seconds=1)
    )
    assert post(member, group).post.status == Post.Status.PUBLISHED


@pytest.mark.parametrize("days", [0, 2, 365, -1])
def test_a_pause_of_a_length_not_offered_is_refused(group, moderator, days):
    membership = membership_of(member_of(group), group)

    with pytest.raises(ValidationError, match="Choose how long"):
        services.member_mute(membership=membership, by=moderator, days=days, reason=REASON)

    assert Membership.objects.get(pk=membership.pk).muted_until is None


def test_a_pause_needs_a_reason(group, moderator):
    membership = membership_of(member_of(group), group)

    with pytest.raises(ValidationError, match="Write why"):
        services.member_mute(membership=membership, by=moderator, days=3, reason="  ")

    assert Membership.objects.get(pk=membership.pk).muted_until is None
    assert not ModerationAction.objects.exists()


def test_unmuting_lets_the_member_post_again(group, moderator):
    member = member_of(group)
    membership = services.member_mute(
        membership=membership_of(member, group), by=moderator, days=7, reason=REASON
    )

    services.member_unmute(membership=membership, by=moderator)

    assert Membership.objects.get(pk=membership.pk).muted_until is None
    assert post(member, group).post.status == Post.Status.PUBLISHED
    with pytest.raises(StateConflict, match="not paused"):
        services.member_unmute(membership=membership, by=moderator)


def test_a_member_who_has_left_cannot_be_muted(group, moderator):
    member = member_of(group)
    membership = membership_of(member, group)
    services.group_leave(user=member, group=group)

    with pytest.raises(StateConflict, match="no longer in this group"):
        services.member_mute(membership=membership, by=moderator, days=3, reason=REASON)


# --- Remove a member ------------------------------------------------------------------------------


def test_a_removed_member_is_told_cannot_post_and_cannot_join_again(group, moderator):
    member = member_of(group)
    membership = membership_of(member, group)

    services.member_remove(membership=membership, by=moderator, reason=REASON)

    membership.refresh_from_db()
    assert membership.left_at is not None
    assert membership.removed_by == moderator
    [notice] = notices(member, kind="peer_member_removed")
    assert "still here for you" in notice.body
    assert REASON not in notice.body
    with pytest.raises(PermissionDenied):
        post(member, group)
    with pytest.raises(ValidationError) as refused:
        services.group_join(user=member, group=group)
    assert "removed you from this group, so you cannot join it again" in str(refused.value)
    assert not Membership.objects.filter(member=member, left_at__isnull=True).exists()
    with pytest.raises(StateConflict, match="no longer in this group"):
        services.member_remove(membership=membership, by=moderator, reason=REASON)


def test_removing_a_member_needs_a_reason(group, moderator):
    membership = membership_of(member_of(group), group)

    with pytest.raises(ValidationError, match="Write why"):
        services.member_remove(membership=membership, by=moderator, reason="")

    assert Membership.objects.get(pk=membership.pk).left_at is None


# --- Worried about this person --------------------------------------------------------------------


@pytest.mark.parametrize("severity", [Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL])
def test_worried_raises_a_concern_flag_to_the_clinician_with_the_note(group, moderator, severity):
    thread = post(member_of(group), group).post
    member = thread.author
    note = "Says they have not slept for three nights and sounds very flat."

    flag = services.member_worried(
        group=group, member=member, by=moderator, note=note, severity=severity, post=thread
    )

    flag.refresh_from_db()
    assert (flag.patient, flag.category, flag.severity, flag.source) == (
        member,
        Flag.Category.CONCERN,
        severity,
        Flag.Source.CONCERN,
    )
    assert flag.source_ref == f"peersupport.post:{thread.pk}"
    assert flag.handled_by == PatientProfile.objects.get(user=member).clinician
    signal = FlagSignal.objects.get(flag=flag)
    assert signal.raised_by == moderator
    assert [e["excerpt"] for e in json.loads(signal.evidence)] == [note]
    action = ModerationAction.objects.get(action="worried")
    assert action.detail == {"flag_id": flag.pk, "severity": severity, "report_ids": []}


def test_worried_closes_the_worried_reports_on_the_post_and_leaves_the_others_open(
    group, moderator
):
    thread = post(member_of(group), group).post
    worried = services.report_create(
        reporter=member_of(group), post=thread, reason=Report.Reason.WORRIED
    )
    personal = services.report_create(
        reporter=member_of(group), post=thread, reason=Report.Reason.PERSONAL_INFO
    )

    services.member_worried(
        group=group, member=thread.author, by=moderator, note="Sounds low.", post=thread
    )

    worried.refresh_from_db()
    personal.refresh_from_db()
    assert (worried.outcome, worried.handled_by) == (Report.Outcome.FLAG_RAISED, moderator)
    # The personal details are still up: that report stays in the queue.
    assert (personal.handled_at, personal.outcome) == (None, "")
    assert ModerationAction.objects.get().detail["report_ids"] == [worried.pk]


def test_worried_without_a_post_raises_the_flag_all_the_same(group, moderator):
    member = member_of(group)

    flag = services.member_worried(group=group, member=member, by=moderator, note="Quiet lately.")

    assert flag.patient == member
    assert flag.source_ref == ""
    assert ModerationAction.objects.get().post is None


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"note": ""}, ValidationError),
        ({"severity": "low"}, ValidationError),
        ({"severity": "nonsense"}, ValidationError),
        ({"post": "someone else's"}, PermissionDenied),
        ({"member": "never a member"}, PermissionDenied),
    ],
)
def test_worried_refuses_bad_input_and_raises_nothing(group, moderator, kwargs, error):
    member = member_of(group)
    call = {"group": group, "member": member, "by": moderator, "note": "Sounds low."}
    call.update(kwargs)
    if call.get("post") == "someone else's":
        call["post"] = post(member_of(group), group).post
    if call["member"] == "never a member":
        outsider = member_of(PeerGroup.objects.create(name="O", slug="o", kind="topic"))
        call["member"] = outsider

    with pytest.raises(error):
        services.member_worried(**call)

    assert not Flag.objects.exists()
    assert not ModerationAction.objects.exists()


# --- Who a member is ------------------------------------------------------------------------------


def test_an_admin_can_see_who_a_member_is_and_it_is_recorded(group):
    member = member_of(group)
    admin = an_admin()

    identity = services.identity_reveal(group=group, member=member, by=admin, reason=REASON)

    assert identity.full_name == member.full_name
    action = ModerationAction.objects.get()
    assert (action.action, action.actor, action.member) == ("reveal", admin, member)
    assert AuditEvent.objects.filter(action="moderation.reveal", actor_id=admin.pk).count() == 1


def test_the_members_own_peer_specialist_moderating_the_group_can_see_who_they_are(
    group, moderator
):
    member = member_of(group)
    PatientProfile.objects.filter(user=member).update(peer_specialist=moderator)

    identity = services.identity_reveal(group=group, member=member, by=moderator, reason=REASON)

    assert (identity.full_name, identity.preferred_name) == (
        member.full_name,
        member.preferred_name,
    )
    assert ModerationAction.objects.get().action == "reveal"


def test_another_moderator_of_the_group_is_refused_and_nothing_is_recorded(group, moderator):
    member = member_of(group)
    PatientProfile.objects.filter(user=member).update(peer_specialist=a_peer())
    audit_before = AuditEvent.objects.count()

    with pytest.raises(PermissionDenied, match="tell their clinician"):
        services.identity_reveal(group=group, member=member, by=moderator, reason=REASON)

    assert not ModerationAction.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_seeing_who_a_member_is_needs_a_reason(group):
    member = member_of(group)

    with pytest.raises(ValidationError, match="why you need to know"):
        services.identity_reveal(group=group, member=member, by=an_admin(), reason="")

    assert not ModerationAction.objects.exists()


# --- Reports --------------------------------------------------------------------------------------


def test_closing_a_report_records_nothing_needed_and_twice_is_a_conflict(group, moderator):
    thread = post(member_of(group), group).post
    report = services.report_create(
        reporter=member_of(group), post=thread, reason=Report.Reason.OTHER
    )

    services.report_close(report=report, by=moderator, note="Read it: it is fine.")

    report.refresh_from_db()
    assert (report.outcome, report.handled_by) == (Report.Outcome.NO_ACTION, moderator)
    with pytest.raises(StateConflict, match="already been dealt with"):
        services.report_close(report=report, by=moderator)
    assert ModerationAction.objects.get().detail == {"report_ids": [report.pk]}


# --- Every action: the record it leaves, and nobody else may take it ------------------------------


@dataclass
class Scene:
    """A group with something for every moderation action to act on."""

    group: PeerGroup
    moderator: User
    author: User
    held: Post
    thread: Post
    locked: Post
    pinned: Post
    report: Report
    muted: Membership

    @property
    def membership(self) -> Membership:
        return membership_of(self.author, self.group)


@pytest.fixture
def scene(group, moderator):
    author = member_of(group)
    # The moderator is the author's own peer specialist, so may see who they are.
    PatientProfile.objects.filter(user=author).update(peer_specialist=moderator)
    thread = post(author, group).post
    locked = post(author, group, "Another evening without one").post
    pinned = post(author, group, "Two weeks today").post
    Post.objects.filter(pk=locked.pk).update(is_locked=True)
    Post.objects.filter(pk=pinned.pk).update(is_pinned=True)
    muted_member = member_of(group)
    muted = membership_of(muted_member, group)
    Membership.objects.filter(pk=muted.pk).update(muted_until=timezone.now() + timedelta(days=3))
    report = services.report_create(
        reporter=member_of(group), post=thread, reason=Report.Reason.WORRIED
    )
    return Scene(
        group=group,
        moderator=moderator,
        author=author,
        held=held_post(group, author=author),
        thread=thread,
        locked=Post.objects.get(pk=locked.pk),
        pinned=Post.objects.get(pk=pinned.pk),
        report=report,
        muted=Membership.objects.get(pk=muted.pk),
    )


# name: (call, the member it is about ("author" or "muted"), the reason recorded)
ACTIONS = {
    "approve": (lambda s, by: services.post_approve(post=s.held, by=by), "author", ""),
    "reject": (
        lambda s, by: services.post_reject(post=s.held, by=by, message=REASON),
        "author",
        REASON,
    ),
    "edit": (
        lambda s, by: services.post_edit_out(post=s.held, by=by, body=EDITED_BODY, reason=REASON),
        "author",
        REASON,
    ),
    "remove_post": (
        lambda s, by: services.post_remove(post=s.thread, by=by, message=REASON),
        "author",
        REASON,
    ),
    "lock": (
        lambda s, by: services.thread_lock(post=s.thread, by=by, locked=True, reason=REASON),
        "author",
        REASON,
    ),
    "unlock": (
        lambda s, by: services.thread_lock(post=s.locked, by=by, locked=False, reason=REASON),
        "author",
        REASON,
    ),
    "pin": (lambda s, by: services.post_pin(post=s.thread, by=by, pinned=True), "author", ""),
    "unpin": (lambda s, by: services.post_pin(post=s.pinned, by=by, pinned=False), "author", ""),
    "mute": (
        lambda s, by: services.member_mute(membership=s.membership, by=by, days=3, reason=REASON),
        "author",
        REASON,
    ),
    "unmute": (lambda s, by: services.member_unmute(membership=s.muted, by=by), "muted", ""),
    "remove_member": (
        lambda s, by: services.member_remove(membership=s.membership, by=by, reason=REASON),
        "author",
        REASON,
    ),
    "worried": (
        lambda s, by: services.member_worried(
            group=s.group, member=s.author, by=by, note=REASON, post=s.thread
        ),
        "author",
        REASON,
    ),
    "reveal": (
        lambda s, by: services.identity_reveal(
            group=s.group, member=s.author, by=by, reason=REASON
        ),
        "author",
        REASON,
    ),
    "report_closed": (
        lambda s, by: services.report_close(report=s.report, by=by, note=REASON),
        "author",
        REASON,
    ),
}


def state() -> dict:
    """Everything a moderation action could change, to show that a refused one changed nothing."""
    return {
        "posts": list(
            Post.objects.order_by("pk").values(
                "pk",
                "status",
                "body",
                "screening_evidence",
                "moderator_message",
                "is_pinned",
                "is_locked",
                "published_at",
                "moderated_by",
                "moderated_at",
                "edited_by_moderator_at",
                "first_reply_at",
            )
        ),
        "memberships": list(
            Membership.objects.order_by("pk").values("pk", "left_at", "removed_by", "muted_until")
        ),
        "reports": list(
            Report.objects.order_by("pk").values("pk", "handled_at", "handled_by", "outcome")
        ),
        "actions": ModerationAction.objects.count(),
        "audit": AuditEvent.objects.count(),
        "notifications": Notification.objects.count(),
        "flags": Flag.objects.count(),
        "signals": FlagSignal.objects.count(),
    }


@pytest.mark.parametrize("name", ACTIONS)
def test_every_action_leaves_one_record_with_its_reason_encrypted_and_one_audit_row(scene, name):
    call, about, reason = ACTIONS[name]
    member = scene.author if about == "author" else scene.muted.member
    audit_before = set(AuditEvent.objects.values_list("pk", flat=True))

    call(scene, scene.moderator)

    [action] = ModerationAction.objects.all()
    assert (action.action, action.actor, action.member, action.group) == (
        name,
        scene.moderator,
        member,
        scene.group,
    )
    assert action.reason == reason
    if reason:
        assert reason not in raw_column("peersupport_moderationaction", "reason", action.pk)
    [event] = AuditEvent.objects.filter(action=f"moderation.{name}")
    assert (event.actor_id, event.subject_id) == (scene.moderator.pk, member.pk)
    assert event.detail["moderation_action_id"] == action.pk
    assert event.detail["group_id"] == scene.group.pk
    # Ids, numbers and codes only: no reason, no post text, no names.
    text = json.dumps(event.detail)
    for words in (REASON, PHONE_POST, "evening", member.full_name, "First weeks"):
        assert words not in text
    for value in event.detail.values():
        values = value if isinstance(value, list) else [value]
        assert all(isinstance(v, int) or " " not in v for v in values), event.detail
    assert (
        not set(AuditEvent.objects.values_list("pk", flat=True))
        - audit_before
        - {
            event.pk,
            *AuditEvent.objects.filter(action="flag.raised").values_list("pk", flat=True),
        }
    )


@pytest.mark.parametrize("name", ACTIONS)
@pytest.mark.parametrize("who", ["another group's moderator", "a clinician", "a patient"])
def test_nobody_but_the_groups_moderators_may_act_and_nothing_changes(scene, name, who):
    call = ACTIONS[name][0]
    if who == "another group's moderator":
        outsider = other_groups_moderator()
    elif who == "a clinician":
        outsider = PatientProfile.objects.get(user=scene.author).clinician
    else:
        outsider = scene.report.reporter
    before = state()

    with pytest.raises(PermissionDenied):
        call(scene, outsider)

    assert state() == before


def test_a_former_moderator_of_the_group_is_refused(scene):
    scene.group.moderators.remove(scene.moderator)
    before = state()

    with pytest.raises(PermissionDenied):
        services.post_approve(post=scene.held, by=scene.moderator)

    assert state() == before


def test_an_inactive_moderator_is_refused(scene):
    User.objects.filter(pk=scene.moderator.pk).update(is_active=False)
    scene.moderator.refresh_from_db()
    before = state()

    with pytest.raises(PermissionDenied):
        services.member_mute(membership=scene.membership, by=scene.moderator, days=3, reason="x")

    assert state() == before


def test_an_admin_reads_every_moderation_action_and_a_peer_only_their_groups(scene):
    elsewhere = other_groups_moderator()
    services.post_approve(post=scene.held, by=scene.moderator)

    assert selectors.moderation_log_for(user=an_admin()).count() == 1
    assert selectors.moderation_log_for(user=scene.moderator).count() == 1
    assert selectors.moderation_log_for(user=elsewhere).count() == 0
