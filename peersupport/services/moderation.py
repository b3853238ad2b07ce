"""Writes of moderation: what a group's peer specialists do with held posts, reports and members.

Every decision is a ModerationAction (who, what, when, why; the why encrypted) and an audit row,
written in the same transaction as the change it records. A moderator acts only in the groups
they are named on: anything else is PermissionDenied (a 404 in views). The author hears about
every decision on their post, in kind words, and sees the message beside the post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.exceptions import StateConflict
from core.services import audit_record, notification_send
from peersupport import permissions
from peersupport.models import Membership, ModerationAction, PeerGroup, Post, Report
from peersupport.services.groups import MAX_POST_CHARS, thread_reply_recorded
from safety.models import Flag, Severity
from safety.screening import screen_text
from safety.services import flag_raise

MAX_MODERATOR_MESSAGE_CHARS = 1_000  # a kind message to an author
MAX_REASON_CHARS = 1_000
MUTE_DAYS = (1, 3, 7, 14, 28)
EDITED_MESSAGE = (
    "A peer specialist took some personal details out of your post, so that it could be shared "
    "safely. The rest is as you wrote it."
)


def _clean(text: str, *, field: str, required: bool, limit: int, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ValidationError({field: f"Write {what}."})
    if len(text) > limit:
        raise ValidationError({field: f"Keep it under {limit:,} characters ({len(text):,} now)."})
    return text


def _post_for(by: User, post: Post) -> Post:
    """The post, locked, if `by` moderates its group; otherwise PermissionDenied."""
    locked = Post.objects.select_for_update().select_related("group").filter(pk=post.pk).first()
    if locked is None or not permissions.can_moderate(by, locked.group):
        raise PermissionDenied("That post is not in a group you moderate.")
    return locked


def _membership_for(by: User, membership: Membership) -> Membership:
    locked = (
        Membership.objects.select_for_update()
        .select_related("group")
        .filter(pk=membership.pk)
        .first()
    )
    if locked is None or not permissions.can_moderate(by, locked.group):
        raise PermissionDenied("That member is not in a group you moderate.")
    if not locked.is_current:
        raise StateConflict("They are no longer in this group.")
    return locked


def _record(
    *,
    group: PeerGroup,
    actor: User,
    action: str,
    post: Post | None = None,
    member: User | None = None,
    reason: str = "",
    detail: dict | None = None,
    request: HttpRequest | None = None,
) -> ModerationAction:
    """One moderation decision, in the moderation log and the audit log (without the reason)."""
    member = member or (post.author if post is not None and not post.is_from_staff else None)
    record = ModerationAction.objects.create(
        group=group,
        post=post,
        member=member,
        actor=actor,
        action=action,
        reason=reason,
        detail=detail or {},
    )
    audit_record(
        actor=actor,
        action=f"moderation.{action}",
        subject=member,
        target=post if post is not None else group,
        detail={"group_id": group.pk, "moderation_action_id": record.pk, **(detail or {})},
        request=request,
    )
    return record


def _tell_author(post: Post, *, title: str, body: str) -> None:
    notification_send(
        recipient=post.author,
        kind="peer_post_moderated",
        title=title,
        body=body,
        url=reverse("peersupport:my_posts"),
    )


def _close_reports(
    post: Post, by: User, outcome: str, *, reasons: tuple[str, ...] | None = None
) -> list[int]:
    """Close the post's open reports this decision answers: those of `reasons`, or else all but
    "worried about this person". A worry is about the person, not the post: editing or removing
    the post does not answer it; telling the clinician (member_worried) or closing it by hand
    does."""
    open_reports = Report.objects.filter(post=post, handled_at__isnull=True)
    if reasons is not None:
        open_reports = open_reports.filter(reason__in=reasons)
    else:
        open_reports = open_reports.exclude(reason=Report.Reason.WORRIED)
    ids = list(open_reports.values_list("pk", flat=True))
    # Exactly those recorded: a report made meanwhile waits for a moderator to see it.
    Report.objects.filter(pk__in=ids).update(
        handled_at=timezone.now(), handled_by=by, outcome=outcome
    )
    return ids


def _require_held(post: Post) -> None:
    if post.status != Post.Status.HELD:
        raise StateConflict(
            f"This post is not waiting for a moderator (it is {post.get_status_display().lower()})."
        )


def _published_by_moderator(post: Post, by: User, request: HttpRequest | None) -> None:
    """What follows a moderator sharing a held post: its thread may now be answered, and the
    approval is recorded."""
    thread_reply_recorded(reply=post)
    _record(
        group=post.group,
        actor=by,
        action=ModerationAction.Action.APPROVE,
        post=post,
        request=request,
    )


def _publish(post: Post, by: User, now) -> None:
    post.status = Post.Status.PUBLISHED
    post.published_at = now
    post.moderated_by, post.moderated_at = by, now


@transaction.atomic
def post_approve(*, post: Post, by: User, request: HttpRequest | None = None) -> Post:
    """Publish a held post. Its author is told it is now shared."""
    post = _post_for(by, post)
    _require_held(post)
    _publish(post, by, timezone.now())
    post.save(update_fields=["status", "published_at", "moderated_by", "moderated_at"])
    _published_by_moderator(post, by, request)
    _tell_author(
        post,
        title=f"Your post in {post.group.name} is now shared",
        body="A peer specialist read your post and shared it with the group.",
    )
    return post


@transaction.atomic
def post_reject(*, post: Post, by: User, message: str, request: HttpRequest | None = None) -> Post:
    """Do not publish a held post. The author gets the kind message (a template or written by
    the moderator) and sees it beside their post."""
    message = _clean(
        message,
        field="message",
        required=True,
        limit=MAX_MODERATOR_MESSAGE_CHARS,
        what="a kind message to the author, or choose one",
    )
    post = _post_for(by, post)
    _require_held(post)
    now = timezone.now()
    post.status = Post.Status.REJECTED
    post.moderator_message = message
    post.moderated_by, post.moderated_at = by, now
    post.save(update_fields=["status", "moderator_message", "moderated_by", "moderated_at"])
    _record(
        group=post.group,
        actor=by,
        action=ModerationAction.Action.REJECT,
        post=post,
        reason=message,
        request=request,
    )
    _tell_author(post, title=f"About your post in {post.group.name}", body=message)
    return post


@transaction.atomic
def post_edit_out(
    *,
    post: Post,
    by: User,
    body: str,
    reason: str = "",
    publish: bool = False,
    request: HttpRequest | None = None,
) -> Post:
    """Take personal details out of a post (held or published). The new text must still be the
    author's words without the details: it is screened again and refused while it still shares
    personal information. The screening excerpts (the details themselves) are dropped. With
    `publish`, a held post is approved in the same step. The author is told."""
    body = _clean(body, field="body", required=True, limit=MAX_POST_CHARS, what="the post")
    reason = _clean(reason, field="reason", required=False, limit=MAX_REASON_CHARS, what="why")
    post = _post_for(by, post)
    if post.status not in (Post.Status.HELD, Post.Status.PUBLISHED) or post.is_from_staff:
        raise StateConflict("Only a member's held or shared post can be edited.")
    if body == post.body:
        raise ValidationError({"body": "Nothing was changed. Take out the personal details."})
    verdict = screen_text(body)
    if "personal_info" in verdict.categories:
        raise ValidationError(
            {"body": f"This still seems to share personal details: {verdict.summary}"}
        )
    now = timezone.now()
    was_held = post.status == Post.Status.HELD
    post.body = body
    post.screening_evidence = ""
    post.edited_by_moderator_at = now
    post.moderator_message = EDITED_MESSAGE
    post.moderated_by, post.moderated_at = by, now
    fields = [
        "body",
        "screening_evidence",
        "edited_by_moderator_at",
        "moderator_message",
        "moderated_by",
        "moderated_at",
    ]
    if publish and was_held:
        _publish(post, by, now)
        fields += ["status", "published_at"]
    post.save(update_fields=fields)
    reports = _close_reports(post, by, Report.Outcome.POST_EDITED)
    _record(
        group=post.group,
        actor=by,
        action=ModerationAction.Action.EDIT,
        post=post,
        reason=reason,
        detail={"report_ids": reports} if reports else None,
        request=request,
    )
    if publish and was_held:
        _published_by_moderator(post, by, request)
    _tell_author(
        post,
        title=f"A peer specialist edited your post in {post.group.name}",
        body=EDITED_MESSAGE
        + (" It is now shared with the group." if post.status == Post.Status.PUBLISHED else ""),
    )
    return post


@transaction.atomic
def post_remove(*, post: Post, by: User, message: str, request: HttpRequest | None = None) -> Post:
    """Take a shared post down (after a report, say). The author gets the kind message. Removing
    a thread's opening post hides its replies with it."""
    message = _clean(
        message,
        field="message",
        required=True,
        limit=MAX_MODERATOR_MESSAGE_CHARS,
        what="a kind message to the author, or choose one",
    )
    post = _post_for(by, post)
    if post.status != Post.Status.PUBLISHED:
        raise StateConflict("Only a shared post can be removed.")
    now = timezone.now()
    post.status = Post.Status.REMOVED
    post.moderator_message = message
    post.moderated_by, post.moderated_at = by, now
    post.save(update_fields=["status", "moderator_message", "moderated_by", "moderated_at"])
    reports = _close_reports(post, by, Report.Outcome.POST_REMOVED)
    _record(
        group=post.group,
        actor=by,
        action=ModerationAction.Action.REMOVE_POST,
        post=post,
        reason=message,
        detail={"report_ids": reports} if reports else None,
        request=request,
    )
    if not post.is_from_staff:
        _tell_author(post, title=f"About your post in {post.group.name}", body=message)
    return post


@transaction.atomic
def thread_lock(
    *, post: Post, by: User, locked: bool, reason: str = "", request: HttpRequest | None = None
) -> Post:
    """Close a conversation to new replies, or open it again. Locking the same way twice is
    refused (nothing to change)."""
    reason = _clean(reason, field="reason", required=False, limit=MAX_REASON_CHARS, what="why")
    post = _post_for(by, post)
    if post.parent_id is not None:
        raise ValidationError({"post": "Only a whole conversation can be closed."})
    if post.is_locked == locked:
        raise StateConflict(
            "This conversation is already closed." if locked else "This conversation is open."
        )
    post.is_locked = locked
    post.save(update_fields=["is_locked"])
    action = ModerationAction.Action.LOCK if locked else ModerationAction.Action.UNLOCK
    _record(group=post.group, actor=by, action=action, post=post, reason=reason, request=request)
    return post


@transaction.atomic
def post_pin(*, post: Post, by: User, pinned: bool, request: HttpRequest | None = None) -> Post:
    """Pin a conversation to the top of the group, or unpin it."""
    post = _post_for(by, post)
    if post.parent_id is not None or post.status != Post.Status.PUBLISHED:
        raise ValidationError({"post": "Only a shared conversation can be pinned."})
    if post.is_pinned == pinned:
        raise StateConflict("It is already pinned." if pinned else "It is not pinned.")
    post.is_pinned = pinned
    post.save(update_fields=["is_pinned"])
    action = ModerationAction.Action.PIN if pinned else ModerationAction.Action.UNPIN
    _record(group=post.group, actor=by, action=action, post=post, request=request)
    return post


@transaction.atomic
def member_mute(
    *,
    membership: Membership,
    by: User,
    days: int,
    reason: str,
    request: HttpRequest | None = None,
) -> Membership:
    """Pause a member's posting in one group for a number of days (they still read it). The
    reason is for the record; the member is told until when, kindly."""
    if days not in MUTE_DAYS:
        raise ValidationError({"days": "Choose how long to pause their posting."})
    reason = _clean(reason, field="reason", required=True, limit=MAX_REASON_CHARS, what="why")
    membership = _membership_for(by, membership)
    until = timezone.now() + timedelta(days=days)
    membership.muted_until = until
    membership.save(update_fields=["muted_until"])
    _record(
        group=membership.group,
        actor=by,
        action=ModerationAction.Action.MUTE,
        member=membership.member,
        reason=reason,
        detail={"days": days, "until": until.isoformat()},
        request=request,
    )
    local = timezone.localtime(until)
    notification_send(
        recipient=membership.member,
        kind="peer_member_muted",
        title=f"Your posting in {membership.group.name} is paused for now",
        body=(
            f"A peer specialist has paused your posting in {membership.group.name} until "
            f"{local:%-d %B, %H:%M}. You can still read the group. If you would like to talk "
            "about it, send your peer support specialist a message."
        ),
        url=reverse("peersupport:group", args=[membership.group.slug]),
    )
    return membership


@transaction.atomic
def member_unmute(
    *, membership: Membership, by: User, request: HttpRequest | None = None
) -> Membership:
    membership = _membership_for(by, membership)
    if not membership.is_muted():
        raise StateConflict("Their posting is not paused.")
    membership.muted_until = None
    membership.save(update_fields=["muted_until"])
    _record(
        group=membership.group,
        actor=by,
        action=ModerationAction.Action.UNMUTE,
        member=membership.member,
        request=request,
    )
    return membership


@transaction.atomic
def member_remove(
    *,
    membership: Membership,
    by: User,
    reason: str,
    request: HttpRequest | None = None,
) -> Membership:
    """Remove a member from a group. They cannot rejoin it; their posts stay under their group
    name unless removed one by one. They are told, and pointed to their peer specialist."""
    reason = _clean(reason, field="reason", required=True, limit=MAX_REASON_CHARS, what="why")
    membership = _membership_for(by, membership)
    membership.left_at = timezone.now()
    membership.removed_by = by
    membership.save(update_fields=["left_at", "removed_by"])
    _record(
        group=membership.group,
        actor=by,
        action=ModerationAction.Action.REMOVE_MEMBER,
        member=membership.member,
        reason=reason,
        request=request,
    )
    notification_send(
        recipient=membership.member,
        kind="peer_member_removed",
        title=f"You are no longer in {membership.group.name}",
        body=(
            f"A peer specialist has removed you from {membership.group.name}. Your care team "
            "and your peer support specialist are still here for you: send them a message if "
            "you would like to talk about it."
        ),
        url=reverse("peersupport:groups"),
    )
    return membership


@transaction.atomic
def member_worried(
    *,
    group: PeerGroup,
    member: User,
    by: User,
    note: str,
    severity: str = Severity.HIGH,
    post: Post | None = None,
    request: HttpRequest | None = None,
) -> Flag:
    """ "I'm worried about this person": raise a flag to the member's clinician, with the
    moderator's note as its evidence. Open "worried" reports on the post are closed with it."""
    if not permissions.can_moderate(by, group):
        raise PermissionDenied("That member is not in a group you moderate.")
    if severity not in (Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL):
        raise ValidationError({"severity": "Choose how urgent this is."})
    note = _clean(
        note,
        field="note",
        required=True,
        limit=MAX_REASON_CHARS,
        what="what worries you, for the clinician",
    )
    if post is not None and post.is_from_staff:
        raise ValidationError(
            {"post": "This is a peer specialist's post. Raise a worry about a member instead."}
        )
    if post is not None and (post.group_id != group.pk or post.author_id != member.pk):
        raise PermissionDenied("That post is not theirs, or not in this group.")
    if not Membership.objects.filter(group=group, member=member).exists():
        raise PermissionDenied("They have never been in this group.")
    flag = flag_raise(
        patient=member,
        source=Flag.Source.CONCERN,
        category=Flag.Category.CONCERN,
        severity=severity,
        summary=f"A peer specialist moderating {group.name} is worried about them",
        evidence=[
            {"category": "concern", "rule_id": "", "excerpt": note, "reason": "Moderator's note"}
        ],
        source_ref=f"peersupport.post:{post.pk}" if post is not None else "",
        raised_by=by,
    )
    reports = (
        _close_reports(post, by, Report.Outcome.FLAG_RAISED, reasons=(Report.Reason.WORRIED,))
        if post is not None
        else []
    )
    _record(
        group=group,
        actor=by,
        action=ModerationAction.Action.WORRIED,
        post=post,
        member=member,
        reason=note,
        detail={"flag_id": flag.pk, "severity": severity, "report_ids": reports},
        request=request,
    )
    return flag


@dataclass(frozen=True)
class Identity:
    full_name: str
    preferred_name: str


def identity_reveal(
    *,
    group: PeerGroup,
    member: User,
    by: User,
    reason: str,
    request: HttpRequest | None = None,
) -> Identity:
    """Who a member really is, for those allowed to know (their care team, admins), with the
    reason recorded. Everyone else is refused: they hand a worry to the clinician instead."""
    # Who may ask comes before what they wrote: a refusal never depends on the form.
    if not Membership.objects.filter(group=group, member=member).exists():
        raise PermissionDenied("They have never been in this group.")
    if not permissions.can_reveal_identity(by, member, group):
        raise PermissionDenied(
            "Only their care team and admins can see who a member is. If you are worried about "
            "them, tell their clinician."
        )
    reason = _clean(
        reason,
        field="reason",
        required=True,
        limit=MAX_REASON_CHARS,
        what="why you need to know who they are",
    )
    with transaction.atomic():
        _record(
            group=group,
            actor=by,
            action=ModerationAction.Action.REVEAL,
            member=member,
            reason=reason,
            request=request,
        )
    return Identity(full_name=member.full_name, preferred_name=member.preferred_name)


@transaction.atomic
def report_close(
    *, report: Report, by: User, note: str = "", request: HttpRequest | None = None
) -> Report:
    """Close a report after looking at it, with nothing else to do."""
    note = _clean(note, field="note", required=False, limit=MAX_REASON_CHARS, what="a note")
    report = Report.objects.select_for_update().select_related("post__group").get(pk=report.pk)
    if not permissions.can_moderate(by, report.post.group):
        raise PermissionDenied("That report is not about a group you moderate.")
    if report.handled_at is not None:
        raise StateConflict("This report has already been dealt with.")
    report.handled_at, report.handled_by = timezone.now(), by
    report.outcome = Report.Outcome.NO_ACTION
    report.save(update_fields=["handled_at", "handled_by", "outcome"])
    _record(
        group=report.post.group,
        actor=by,
        action=ModerationAction.Action.REPORT_CLOSED,
        post=report.post,
        reason=note,
        detail={"report_ids": [report.pk]},
        request=request,
    )
    return report
