"""Writes of the peer groups: pseudonyms, the community guidelines, joining and leaving,
posts and replies (screened before anyone else sees them), peer specialists' own posts,
reactions and reports."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.exceptions import StateConflict
from core.services import audit_record, notification_send
from peersupport import permissions, pseudonyms
from peersupport.models import Membership, PeerGroup, PeerMember, Post, Reaction, Report
from safety.models import Flag
from safety.screening import screen_text
from safety.services import flag_raise_from_screening

# The version of the community guidelines in force. A new version asks members to accept it
# again before they join another group.
GUIDELINES_VERSION = "2026-11"

MAX_POST_CHARS = 5_000
NEW_MEMBER_REASON = "A new member's first posts are read by a peer specialist first."


def _own_names(user: User) -> list[str]:
    return [user.full_name, user.preferred_name, user.email.split("@")[0]]


@transaction.atomic
def peer_member_set_pseudonym(*, user: User, pseudonym: str) -> PeerMember:
    """Choose (or change) the name a patient goes by in every group. Refused, with the reason
    in plain words and nothing changed, when it could identify them or is taken."""
    if not permissions.can_take_part(user):
        raise PermissionDenied("Only people in the programme choose a group name.")
    try:
        name = pseudonyms.check(pseudonym, own_names=_own_names(user))
    except pseudonyms.PseudonymError as exc:
        raise ValidationError({"pseudonym": str(exc)}) from exc
    member = PeerMember.objects.select_for_update().filter(user=user).first()
    changed = member is not None
    member = member or PeerMember(user=user)
    member.pseudonym = name
    member.canonical_pseudonym = pseudonyms.canonical(name)
    member.updated_at = timezone.now()
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"pseudonym": "Somebody already goes by that name. Choose another."}
        ) from exc
    audit_record(
        actor=user,
        action="peer.pseudonym_changed" if changed else "peer.pseudonym_chosen",
        subject=user,
        target=member,
    )
    return member


@transaction.atomic
def guidelines_accept(*, user: User, version: str = GUIDELINES_VERSION) -> PeerMember:
    """Record that the patient accepted the community guidelines (after choosing a name)."""
    if not permissions.can_take_part(user):
        raise PermissionDenied("Only people in the programme accept the group guidelines.")
    if version != GUIDELINES_VERSION:
        raise ValidationError({"version": "These guidelines have changed: read them again."})
    member = PeerMember.objects.select_for_update().filter(user=user).first()
    if member is None:
        raise ValidationError({"pseudonym": "Choose the name you will go by in groups first."})
    member.guidelines_version = version
    member.guidelines_accepted_at = timezone.now()
    member.save(update_fields=["guidelines_version", "guidelines_accepted_at"])
    audit_record(
        actor=user, action="peer.guidelines_accepted", subject=user, detail={"version": version}
    )
    return member


@transaction.atomic
def group_join(*, user: User, group: PeerGroup) -> Membership:
    """Join an open group. Needs a pseudonym and the current guidelines accepted. Joining a
    group one is already in changes nothing and returns that membership."""
    if not permissions.can_take_part(user):
        raise PermissionDenied("Only people in the programme join groups.")
    member = PeerMember.objects.filter(user=user).first()
    if member is None:
        raise ValidationError({"pseudonym": "Choose the name you will go by in groups first."})
    if member.guidelines_version != GUIDELINES_VERSION:
        raise ValidationError({"guidelines": "Read and accept the group guidelines first."})
    current = Membership.objects.filter(group=group, member=user, left_at__isnull=True).first()
    if current is not None:
        return current
    group = PeerGroup.objects.select_for_update().get(pk=group.pk)
    if Membership.objects.filter(group=group, member=user, removed_by__isnull=False).exists():
        raise ValidationError(
            {
                "group": "A peer specialist removed you from this group, so you cannot join it "
                "again. You can message your peer support specialist about it."
            }
        )
    if not group.is_open:
        raise ValidationError({"group": "This group is not taking new members."})
    try:
        with transaction.atomic():
            membership = Membership.objects.create(group=group, member=user)
    except IntegrityError:  # joined at the same moment from another tab
        return Membership.objects.get(group=group, member=user, left_at__isnull=True)
    audit_record(actor=user, action="peer.group_joined", subject=user, target=group)
    return membership


@transaction.atomic
def group_leave(*, user: User, group: PeerGroup) -> Membership:
    """Leave a group. Posts stay, under the pseudonym. Refused when not a member."""
    membership = (
        Membership.objects.select_for_update()
        .filter(group=group, member=user, left_at__isnull=True)
        .first()
    )
    if membership is None:
        raise ValidationError({"group": "You are not in this group."})
    membership.left_at = timezone.now()
    membership.save(update_fields=["left_at"])
    audit_record(actor=user, action="peer.group_left", subject=user, target=group)
    return membership


@dataclass(frozen=True)
class PostResult:
    post: Post
    crisis: bool  # the author is shown the crisis page


def _current_membership(user: User, group: PeerGroup) -> Membership:
    membership = Membership.objects.filter(group=group, member=user, left_at__isnull=True).first()
    if membership is None or not permissions.can_take_part(user):
        # Views turn this into a 404: a group one is not in is not there.
        raise PermissionDenied("You are not in this group.")
    return membership


@transaction.atomic
def post_create(
    *, author: User, group: PeerGroup, body: str, parent: Post | None = None
) -> PostResult:
    """Post to a group, or reply to a thread in it. Screened first: published, held for a
    moderator (personal details, harmful advice, a new member's first posts), or held with a
    flag raised to the clinician (crisis), in which case the author is shown the crisis page.
    Bad input is refused with a clear message and nothing is written."""
    membership = _current_membership(author, group)
    if membership.is_muted():
        local = timezone.localtime(membership.muted_until)
        raise ValidationError(
            {"body": f"A peer specialist has paused your posting until {local:%-d %B, %H:%M}."}
        )
    if parent is not None:
        parent = Post.objects.select_for_update().filter(pk=parent.pk).first()
        if parent is None or parent.group_id != group.pk or parent.parent_id is not None:
            raise ValidationError({"parent": "That conversation is not in this group."})
        if parent.status != Post.Status.PUBLISHED:
            raise ValidationError({"parent": "That conversation is not open for replies."})
        if parent.is_locked:
            raise ValidationError(
                {"parent": "A peer specialist has closed this conversation to new replies."}
            )
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > MAX_POST_CHARS:
        raise ValidationError(
            {"body": f"Keep it under {MAX_POST_CHARS:,} characters ({len(body):,} now)."}
        )
    verdict = screen_text(body)
    new_member = (
        Post.objects.filter(author=author, status=Post.Status.PUBLISHED).count()
        < settings.PEERSUPPORT_PREMODERATED_POSTS
    )
    held = verdict.hold or new_member
    now = timezone.now()
    post = Post.objects.create(
        group=group,
        author=author,
        parent=parent,
        body=body,
        status=Post.Status.HELD if held else Post.Status.PUBLISHED,
        published_at=None if held else now,
        held_reason=(verdict.summary if verdict.hold else NEW_MEMBER_REASON)[:200] if held else "",
        screening_action=verdict.action,
        screening_categories=list(verdict.categories),
        screening_evidence=json.dumps([e.as_dict() for e in verdict.evidence])
        if verdict.evidence
        else "",
        created_at=now,
    )
    flag = flag_raise_from_screening(
        patient=author,
        verdict=verdict,
        source=Flag.Source.REPLY if parent else Flag.Source.POST,
        source_ref=f"peersupport.post:{post.pk}",
    )
    if flag is not None:
        post.flag_ref = f"safety.flag:{flag.pk}"
        post.save(update_fields=["flag_ref"])
    if held:
        _tell_moderators_post_held(post)
    else:
        thread_reply_recorded(reply=post)
    return PostResult(post=post, crisis=flag is not None and flag.category == Flag.Category.CRISIS)


def thread_reply_recorded(*, reply: Post) -> None:
    """A reply was published: the thread is answered once someone other than its author replies
    (nobody-left-unanswered counts from the opening post until then)."""
    if reply.parent_id is None:
        return
    Post.objects.filter(pk=reply.parent_id, first_reply_at__isnull=True).exclude(
        author_id=reply.author_id
    ).update(first_reply_at=reply.published_at or timezone.now())


def _tell_moderators_post_held(post: Post) -> None:
    """Each of the group's peer specialists gets a notice (no names, no text: the queue has it)."""
    for moderator in post.group.moderators.filter(is_active=True):
        notification_send(
            recipient=moderator,
            kind="peer_post_held",
            title=f"A post in {post.group.name} is waiting for you",
            body=f"Why it is waiting: {post.held_reason}",
            url=reverse("peersupport:moderation_post", args=[post.pk]),
        )


STAFF_KINDS = (Post.Kind.STAFF, Post.Kind.ANNOUNCEMENT, Post.Kind.WELCOME, Post.Kind.PROGRAMME)


@transaction.atomic
def staff_post_create(
    *,
    author: User,
    group: PeerGroup,
    body: str,
    kind: str = Post.Kind.STAFF,
    parent: Post | None = None,
    pinned: bool = False,
    approved_by: User | None = None,
    approved_on=None,
) -> Post:
    """A peer specialist posts in a group they moderate: a reply, an announcement (pinned if
    asked), the group's welcome post (one per group: a new one replaces its text), or programme
    content, which must name the clinician who approved it and when. Published at once."""
    if not permissions.can_moderate(author, group):
        raise PermissionDenied("Only the group's peer specialists post here as staff.")
    if kind not in STAFF_KINDS:
        raise ValidationError({"kind": "Choose what kind of post this is."})
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > MAX_POST_CHARS:
        raise ValidationError(
            {"body": f"Keep it under {MAX_POST_CHARS:,} characters ({len(body):,} now)."}
        )
    if parent is not None:
        if kind != Post.Kind.STAFF:
            raise ValidationError({"kind": "Replies are ordinary posts."})
        parent = Post.objects.select_for_update().filter(pk=parent.pk).first()
        if parent is None or parent.group_id != group.pk or parent.parent_id is not None:
            raise ValidationError({"parent": "That conversation is not in this group."})
        if parent.status != Post.Status.PUBLISHED:
            raise StateConflict("That conversation is not open for replies.")
    if kind == Post.Kind.PROGRAMME:
        if approved_by is None or not approved_by.is_clinician or approved_on is None:
            raise ValidationError(
                {"approved_by": "Programme content needs the clinician who approved it, and when."}
            )
    else:
        approved_by, approved_on = None, None
    now = timezone.now()
    if kind == Post.Kind.WELCOME:
        welcome = Post.objects.select_for_update().filter(group=group, kind=kind).first()
        if welcome is not None:
            welcome.body, welcome.author = body, author
            welcome.save(update_fields=["body", "author"])
            audit_record(actor=author, action="peer.welcome_updated", target=welcome)
            return welcome
        pinned = True
    post = Post.objects.create(
        group=group,
        author=author,
        parent=parent,
        body=body,
        kind=kind,
        status=Post.Status.PUBLISHED,
        published_at=now,
        created_at=now,
        is_pinned=pinned and parent is None,
        approved_by=approved_by,
        approved_on=approved_on,
    )
    if parent is not None:
        thread_reply_recorded(reply=post)
    audit_record(actor=author, action="peer.staff_posted", target=post, detail={"kind": kind})
    return post


MAX_REPORT_NOTE_CHARS = 1_000


def _visible_post(user: User, post: Post) -> Post:
    """A published post in a group the user is in, or PermissionDenied (a 404 in views)."""
    _current_membership(user, post.group)
    if post.status != Post.Status.PUBLISHED or (
        # A reply goes with its conversation when that is removed.
        post.parent_id is not None
        and not Post.objects.filter(pk=post.parent_id, status=Post.Status.PUBLISHED).exists()
    ):
        raise PermissionDenied("That post is not there.")
    return post


@transaction.atomic
def reaction_add(*, member: User, post: Post, kind: str) -> Reaction:
    """Encourage a post. The same reaction twice is refused with a clear message."""
    _visible_post(member, post)
    if kind not in Reaction.Kind.values:
        raise ValidationError({"kind": "Choose one of the reactions shown."})
    try:
        with transaction.atomic():
            return Reaction.objects.create(post=post, member=member, kind=kind)
    except IntegrityError as exc:
        raise ValidationError({"kind": "You have already reacted like this."}) from exc


@transaction.atomic
def reaction_remove(*, member: User, post: Post, kind: str) -> None:
    """Take back one's own reaction. Taking back one never given is refused."""
    _visible_post(member, post)
    deleted, _ = Reaction.objects.filter(post=post, member=member, kind=kind).delete()
    if not deleted:
        raise ValidationError({"kind": "You have not reacted like this."})


@transaction.atomic
def report_create(*, reporter: User, post: Post, reason: str, note: str = "") -> Report:
    """Report a post to the group's peer specialists. Once per post per member; not one's own."""
    _visible_post(reporter, post)
    if post.author_id == reporter.pk:
        raise ValidationError({"post": "This is your own post."})
    if reason not in Report.Reason.values:
        raise ValidationError({"reason": "Choose why you are reporting this post."})
    note = note.strip()
    if len(note) > MAX_REPORT_NOTE_CHARS:
        raise ValidationError(
            {"note": f"Keep the note under {MAX_REPORT_NOTE_CHARS:,} characters."}
        )
    try:
        with transaction.atomic():
            report = Report.objects.create(post=post, reporter=reporter, reason=reason, note=note)
    except IntegrityError as exc:
        raise ValidationError(
            {"post": "You have already reported this post. A peer specialist will look at it."}
        ) from exc
    worried = reason == Report.Reason.WORRIED
    for moderator in post.group.moderators.filter(is_active=True):
        notification_send(
            recipient=moderator,
            kind="peer_post_reported",
            title=(
                f"A member in {post.group.name} is worried about someone"
                if worried
                else f"A post in {post.group.name} was reported"
            ),
            body=f"Reason: {report.get_reason_display()}.",
            url=reverse("peersupport:moderation_post", args=[post.pk]),
            urgent=worried,
        )
    audit_record(
        actor=reporter, action="peer.post_reported", target=post, detail={"reason": reason}
    )
    return report
