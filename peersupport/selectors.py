"""Reads of the peer groups, with what each page needs already joined.

Every list here is read in a fixed number of queries whatever the number of posts, replies,
reactions or members (the page and API tests hold each page to a budget at two data sizes).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from core.services import audit_record
from peersupport import permissions
from peersupport.models import (
    Conversation,
    Membership,
    ModerationAction,
    ModeratorMessageTemplate,
    PeerGroup,
    PeerMember,
    PeerMessage,
    Post,
    Reaction,
    Report,
)

# --- Members' side -------------------------------------------------------------------------------


def peer_member_for(*, user: User) -> PeerMember | None:
    return PeerMember.objects.filter(user=user).first()


def groups_for_patient(*, user: User) -> QuerySet[PeerGroup]:
    """Groups a patient can see on the groups page: the open ones and those they are in, each
    with its number of current members and whether this patient is one."""
    mine = Membership.objects.filter(group=OuterRef("pk"), member=user, left_at__isnull=True)
    return (
        PeerGroup.objects.annotate(
            is_member=Exists(mine),
            member_count=Count("memberships", filter=Q(memberships__left_at__isnull=True)),
        )
        .filter(Q(is_open=True) | Q(is_member=True))
        .order_by("-is_member", "kind", "name")
    )


def group_get_by_slug(*, slug: str) -> PeerGroup:
    group = PeerGroup.objects.filter(slug=slug).first()
    if group is None:
        raise Http404("No such group.")
    return group


def membership_current(*, user: User, group: PeerGroup) -> Membership | None:
    return Membership.objects.filter(group=group, member=user, left_at__isnull=True).first()


def group_get_for_member(*, user: User, slug: str) -> tuple[PeerGroup, Membership]:
    """A group the patient is in now, with their membership; any other group is a 404."""
    membership = (
        Membership.objects.select_related("group")
        .filter(group__slug=slug, member=user, left_at__isnull=True)
        .first()
    )
    if membership is None or not permissions.can_take_part(user):
        raise Http404("You are not in that group.")
    return membership.group, membership


def _reported_by(user: User) -> Exists:
    """Whether the member reported the post: in the posts' own query, not one more."""
    return Exists(Report.objects.filter(post=OuterRef("pk"), reporter=user))


def _visible_to(user: User) -> Q:
    """Published posts, and the member's own held ones (shown as waiting for a moderator)."""
    return Q(status=Post.Status.PUBLISHED) | Q(status=Post.Status.HELD, author=user)


def group_threads_for(*, user: User, group: PeerGroup) -> QuerySet[Post]:
    """The conversations of a group as one member sees them: pinned first, then newest, each
    with its author's group name and its number of shared replies. The welcome post is apart
    (group_welcome_post)."""
    return (
        Post.objects.filter(group=group, parent__isnull=True)
        .exclude(kind=Post.Kind.WELCOME)
        .filter(_visible_to(user))
        .select_related("author__peer_member", "approved_by")
        # Counted for the threads of the page only (a subquery PostgreSQL runs after the LIMIT):
        # a join and GROUP BY counted every reply of the group's whole history first (279 ms in
        # a busy group of bench/generate.py's data, 5 ms this way).
        .annotate(
            reply_count=Coalesce(
                Subquery(
                    Post.objects.filter(parent=OuterRef("pk"), status=Post.Status.PUBLISHED)
                    .order_by()
                    .values("parent")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .order_by("-is_pinned", "-created_at", "-pk")
    )


def group_welcome_post(*, group: PeerGroup) -> Post | None:
    return (
        Post.objects.filter(group=group, kind=Post.Kind.WELCOME, status=Post.Status.PUBLISHED)
        .select_related("author")
        .first()
    )


# What a member's pages never show of a post: the screen's evidence and the moderator's message
# to its author (their own posts' page shows that). Two decryptions a post fewer on a thread.
_NOT_FOR_READERS = ("screening_evidence", "moderator_message")


def thread_get_for_member(*, user: User, group: PeerGroup, thread_id: int) -> Post:
    """A conversation's opening post, if the member may see it; anything else is a 404."""
    thread = (
        Post.objects.filter(group=group, pk=thread_id, parent__isnull=True)
        .filter(_visible_to(user))
        .select_related("author__peer_member", "approved_by", "group")
        .defer(*_NOT_FOR_READERS)
        .annotate(reported_by_reader=_reported_by(user))
        .first()
    )
    if thread is None:
        raise Http404("No such conversation.")
    return thread


def thread_posts_for(*, user: User, thread: Post) -> list[Post]:
    """A thread as one member sees it: the opening post and its replies, oldest first, those
    published plus the member's own held ones (shown as waiting for a moderator). Nobody else's
    held, rejected or removed posts."""
    return list(
        Post.objects.filter(Q(pk=thread.pk) | Q(parent=thread))
        .filter(_visible_to(user))
        .select_related("author__peer_member", "approved_by")
        .order_by(F("parent_id").asc(nulls_first=True), "created_at", "pk")
    )


def thread_replies_for(*, user: User, thread: Post) -> QuerySet[Post]:
    """A thread's replies as one member sees them, oldest first (to paginate): the published
    ones and the member's own held ones, each saying whether the member reported it."""
    return (
        Post.objects.filter(parent=thread)
        .filter(_visible_to(user))
        .select_related("author__peer_member", "approved_by")
        .defer(*_NOT_FOR_READERS)
        .annotate(reported_by_reader=_reported_by(user))
        .order_by("created_at", "pk")
    )


@dataclass
class ReactionSummary:
    """The reactions on one post: how many of each kind, and which the reader gave."""

    counts: dict[str, int] = field(default_factory=dict)
    mine: set[str] = field(default_factory=set)

    def choices(self) -> list[dict]:
        return [
            {
                "kind": kind,
                "label": label,
                "count": self.counts.get(kind, 0),
                "mine": kind in self.mine,
            }
            for kind, label in Reaction.Kind.choices
        ]


def reactions_for(*, user: User, posts: list[Post]) -> dict[int, ReactionSummary]:
    """Reaction counts and the reader's own, for a page of posts, in one query."""
    summaries: dict[int, ReactionSummary] = defaultdict(ReactionSummary)
    ids = [post.pk for post in posts if post.status == Post.Status.PUBLISHED]
    if not ids:
        return summaries
    rows = (
        Reaction.objects.filter(post_id__in=ids)
        .values("post_id", "kind")
        .annotate(count=Count("id"), mine=Count("id", filter=Q(member=user)))
    )
    for row in rows:
        summary = summaries[row["post_id"]]
        summary.counts[row["kind"]] = row["count"]
        if row["mine"]:
            summary.mine.add(row["kind"])
    return summaries


def reported_by(*, user: User, posts: list[Post]) -> set[int]:
    """Which of these posts the reader has already reported."""
    return set(
        Report.objects.filter(reporter=user, post_id__in=[p.pk for p in posts]).values_list(
            "post_id", flat=True
        )
    )


def post_get_for_member(*, user: User, group: PeerGroup, post_id: int) -> Post:
    """A shared post in a group the member is in (to react to or report); else a 404. A reply
    goes with its conversation: one whose opening post was removed is not there either."""
    post = (
        Post.objects.filter(group=group, pk=post_id, status=Post.Status.PUBLISHED)
        .filter(Q(parent__isnull=True) | Q(parent__status=Post.Status.PUBLISHED))
        .select_related("author__peer_member", "group")
        .first()
    )
    if post is None:
        raise Http404("No such post.")
    return post


def posts_by_author(*, user: User) -> QuerySet[Post]:
    """Everything a member has posted, newest first, with what happened to each and why (and
    whether the conversation a reply is in is still there)."""
    return (
        Post.objects.filter(author=user)
        .select_related("group", "parent")
        .defer("parent__body", "parent__screening_evidence", "parent__moderator_message")
        .order_by("-created_at", "-pk")
    )


# --- Moderation -----------------------------------------------------------------------------------


def groups_moderated_by(*, user: User) -> QuerySet[PeerGroup]:
    return PeerGroup.objects.filter(moderators=user).annotate(
        member_count=Count("memberships", filter=Q(memberships__left_at__isnull=True))
    )


def group_get_for_moderator(*, user: User, slug: str) -> PeerGroup:
    group = PeerGroup.objects.filter(slug=slug, moderators=user).first()
    if group is None or not permissions.is_moderator(user):
        raise Http404("No such group among those you moderate.")
    return group


# How urgent a held post is, most urgent first: a crisis (a flag was raised), abuse, harmful
# advice, personal information, anything else held by screening, a new member's first posts.
_URGENCY = {"crisis": 0, "abuse": 1, "harmful_advice": 2, "personal_info": 3, "system": 4}
NEW_MEMBER_URGENCY = 6
REPORT_URGENCY = {Report.Reason.WORRIED: 0, Report.Reason.PERSONAL_INFO: 3}
UNANSWERED_URGENCY = 7


def post_urgency(post: Post) -> int:
    if post.flag_ref:
        return 0
    ranks = [_URGENCY.get(category, 5) for category in post.screening_categories or ()]
    return min(ranks) if ranks else NEW_MEMBER_URGENCY


@dataclass
class QueueItem:
    """One thing in a moderator's queue: a held post, or a shared post with open reports."""

    kind: str  # "held" or "reported"
    post: Post
    urgency: int
    since: datetime
    reports: list[Report] = field(default_factory=list)

    @property
    def report_reasons(self) -> list[str]:
        return sorted({report.get_reason_display() for report in self.reports})


@dataclass
class ModerationQueue:
    items: list[QueueItem]
    unanswered: list[Post]
    waiting_conversations: list[Conversation]
    groups: list[PeerGroup]
    more_items: bool = False


QUEUE_LIMIT = 100


def moderation_queue_for(*, user: User, limit: int = QUEUE_LIMIT) -> ModerationQueue:
    """A peer specialist's queue across the groups they moderate, most urgent first: held posts
    (with the screening's reason) and reported posts (with the reasons), then the posts nobody
    has answered, and the people waiting for their 1:1 reply. A fixed number of queries."""
    groups = list(groups_moderated_by(user=user).order_by("name"))
    group_ids = [group.pk for group in groups]
    # The database puts what flagged a safety concern first (a crisis post, a worried report), so
    # that a long queue never pushes them past the limit; the rest is ordered below.
    held = list(
        Post.objects.filter(group_id__in=group_ids, status=Post.Status.HELD)
        .select_related("author__peer_member", "group", "parent")
        .order_by(Case(When(flag_ref="", then=Value(1)), default=Value(0)), "created_at", "pk")[
            : limit + 1
        ]
    )
    reports = list(
        Report.objects.filter(post__group_id__in=group_ids, handled_at__isnull=True)
        .select_related("post__author__peer_member", "post__group", "reporter__peer_member")
        .order_by(
            Case(When(reason=Report.Reason.WORRIED, then=Value(0)), default=Value(1)),
            "created_at",
            "pk",
        )[: limit * 3]
    )
    items = [
        QueueItem(kind="held", post=post, urgency=post_urgency(post), since=post.created_at)
        for post in held[:limit]
    ]
    by_post: dict[int, QueueItem] = {}
    for report in reports:
        item = by_post.get(report.post_id)
        if item is None:
            item = by_post[report.post_id] = QueueItem(
                kind="reported",
                post=report.post,
                urgency=REPORT_URGENCY.get(report.reason, 5),
                since=report.created_at,
            )
            items.append(item)
        item.reports.append(report)
        item.urgency = min(item.urgency, REPORT_URGENCY.get(report.reason, 5))
    items.sort(key=lambda item: (item.urgency, item.since))
    return ModerationQueue(
        items=items[:limit],
        more_items=len(held) > limit or len(items) > limit,
        unanswered=list(unanswered_posts_for(group_ids=group_ids)[:25]),
        waiting_conversations=list(conversations_waiting_for(peer=user)[:25]),
        groups=groups,
    )


def moderation_queue_count(*, user: User) -> int:
    """What the navigation badge shows: held posts and open reports in the peer's groups."""
    if not permissions.is_moderator(user):
        return 0
    groups = PeerGroup.objects.filter(moderators=user).values("pk")
    held = Post.objects.filter(group_id__in=groups, status=Post.Status.HELD).count()
    reported = (
        Report.objects.filter(post__group_id__in=groups, handled_at__isnull=True)
        .values("post_id")
        .distinct()
        .count()
    )
    return held + reported


def unanswered_posts_for(*, group_ids: list[int], now: datetime | None = None) -> QuerySet[Post]:
    """Members' conversations that nobody else has replied to yet, oldest first; those past the
    nudge time are marked `overdue`."""
    now = now or timezone.now()
    overdue_before = now - timedelta(hours=settings.PEERSUPPORT_UNANSWERED_HOURS)
    return (
        Post.objects.filter(
            group_id__in=group_ids,
            parent__isnull=True,
            status=Post.Status.PUBLISHED,
            first_reply_at__isnull=True,
            kind=Post.Kind.MEMBER,
        )
        .select_related("author__peer_member", "group")
        .annotate(
            overdue=ExpressionWrapper(
                Q(published_at__lte=overdue_before), output_field=BooleanField()
            )
        )
        .order_by("published_at", "pk")
    )


def post_get_for_moderator(*, user: User, post_id: int) -> Post:
    """A post in a group the peer specialist moderates (any status); anything else is a 404."""
    post = (
        Post.objects.filter(pk=post_id, group__moderators=user)
        .select_related("author__peer_member", "group", "parent__author__peer_member")
        .first()
    )
    if post is None or not permissions.is_moderator(user):
        raise Http404("No such post among the groups you moderate.")
    return post


def post_open_for_moderator(*, user: User, post_id: int, request=None) -> Post:
    """A post for its moderator to read (post_get_for_moderator), with the read audited when it
    is a member's: their post is part of their record."""
    post = post_get_for_moderator(user=user, post_id=post_id)
    if not post.is_from_staff:
        audit_record(
            actor=user,
            action="moderation.post_viewed",
            subject=post.author,
            target=post,
            detail={"group_id": post.group_id},
            request=request,
        )
    return post


def screening_evidence_of(post: Post) -> list[dict]:
    try:
        return json.loads(post.screening_evidence or "[]")
    except ValueError:
        return []


def moderation_post_context(*, post: Post) -> dict:
    """What a moderator sees about one post: the screening evidence, open and past reports, the
    thread it is in, the author's membership and what moderators did with this post and author."""
    membership = (
        Membership.objects.filter(group=post.group, member=post.author)
        .order_by("-joined_at")
        .first()
    )
    thread = post.parent or post
    return {
        "evidence": screening_evidence_of(post),
        "reports": list(
            post.reports.select_related("reporter__peer_member", "handled_by").order_by(
                "created_at"
            )
        ),
        "thread": thread,
        "replies": list(
            Post.objects.filter(parent=thread, status=Post.Status.PUBLISHED)
            .select_related("author__peer_member")
            .order_by("created_at", "pk")[:20]
        )
        if post.parent_id is None
        else [],
        "membership": membership,
        "author_posts": Post.objects.filter(author=post.author, group=post.group)
        .values("status")
        .annotate(count=Count("id"))
        .order_by("status"),
        "history": list(
            ModerationAction.objects.filter(Q(post=post) | Q(member=post.author, group=post.group))
            .select_related("actor")
            .order_by("-created_at", "-pk")[:20]
        ),
        "templates": list(ModeratorMessageTemplate.objects.filter(is_active=True)),
    }


def group_members_for_moderator(*, group: PeerGroup) -> QuerySet[Membership]:
    """The current members of a group under their group names, with how much each has posted."""
    return (
        Membership.objects.filter(group=group, left_at__isnull=True)
        .select_related("member__peer_member")
        .annotate(
            post_count=Count(
                "member__group_posts",
                filter=Q(member__group_posts__group=group),
            )
        )
        .order_by("member__peer_member__pseudonym", "pk")
    )


def membership_get_for_moderator(*, user: User, membership_id: int) -> Membership:
    membership = (
        Membership.objects.filter(pk=membership_id, group__moderators=user)
        .select_related("group", "member__peer_member")
        .first()
    )
    if membership is None or not permissions.is_moderator(user):
        raise Http404("No such member among the groups you moderate.")
    return membership


def report_get_for_moderator(*, user: User, report_id: int) -> Report:
    report = (
        Report.objects.filter(pk=report_id, post__group__moderators=user)
        .select_related("post__group")
        .first()
    )
    if report is None or not permissions.is_moderator(user):
        raise Http404("No such report among the groups you moderate.")
    return report


def moderation_log_for(
    *, user: User, group_id: int | None = None, actor_id: int | None = None
) -> QuerySet[ModerationAction]:
    """Moderation actions, newest first: all of them for admins, their own groups' for peer
    specialists; optionally one group's or one moderator's."""
    actions = ModerationAction.objects.select_related(
        "group", "actor", "member__peer_member", "post"
    ).order_by("-created_at", "-pk")
    if user.role != "admin":
        actions = actions.filter(group__moderators=user)
    if group_id is not None:
        actions = actions.filter(group_id=group_id)
    if actor_id is not None:
        actions = actions.filter(actor_id=actor_id)
    return actions


def message_templates() -> list[ModeratorMessageTemplate]:
    return list(ModeratorMessageTemplate.objects.filter(is_active=True))


# --- 1:1 messages ---------------------------------------------------------------------------------


def conversation_for_patient(*, patient: User, peer: User | None) -> Conversation | None:
    if peer is None:
        return None
    return Conversation.objects.filter(patient=patient, peer=peer).select_related("peer").first()


def conversation_messages(*, conversation: Conversation, limit: int = 200) -> list[PeerMessage]:
    """The latest messages of a conversation, oldest first."""
    latest = list(
        PeerMessage.objects.filter(conversation=conversation)
        .select_related("sender")
        .order_by("-created_at", "-pk")[:limit]
    )
    return latest[::-1]


def conversations_waiting_for(*, peer: User) -> QuerySet[Conversation]:
    """The people waiting for this peer specialist's reply, longest wait first."""
    return (
        Conversation.objects.filter(peer=peer, waiting_since__isnull=False)
        .select_related("patient__patient_profile", "patient__peer_member")
        .order_by("waiting_since", "pk")
    )


def inbox_for(*, peer: User) -> QuerySet[Conversation]:
    """A peer specialist's conversations: waiting ones first (longest wait first), then the
    most recent, each with how many of the patient's messages are unread."""
    return (
        Conversation.objects.filter(peer=peer)
        .select_related("patient__patient_profile", "patient__peer_member")
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__read_at__isnull=True, messages__sender=F("patient")),
            )
        )
        .order_by(F("waiting_since").asc(nulls_last=True), "-last_message_at", "-pk")
    )


def conversation_get_for_peer(*, peer: User, conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.filter(pk=conversation_id, peer=peer)
        .select_related("patient__patient_profile", "patient__peer_member")
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def conversations_overdue() -> QuerySet[Conversation]:
    """For admins: every patient still waiting past the promise, longest first. Ids and times
    only: no names, no text."""
    return (
        Conversation.objects.filter(reply_due_at__lte=timezone.now())
        .select_related("peer")
        .order_by("reply_due_at", "pk")
    )


def unread_messages_count(*, user: User) -> int:
    """Unread messages for the navigation badge (patients: replies; peers: messages to them)."""
    if not user.is_authenticated:
        return 0
    if user.is_patient:
        return (
            PeerMessage.objects.filter(conversation__patient=user, read_at__isnull=True)
            .exclude(sender=user)
            .count()
        )
    if user.is_peer:
        return PeerMessage.objects.filter(
            conversation__peer=user, read_at__isnull=True, sender=F("conversation__patient")
        ).count()
    return 0


def reply_promise_text() -> str:
    days = settings.PEERSUPPORT_REPLY_WORKING_DAYS
    return f"A peer specialist usually replies within {days} working day{'s' if days > 1 else ''}."


# --- Moderation pages: the identity look-up for admins, the log's filters and member links -------


def membership_get_for_staff(*, user: User, membership_id: int) -> Membership:
    """A membership for the identity look-up: any one for admins, one in a group they moderate
    for peer specialists (who may still be refused by the service); anything else is a 404."""
    if user.role != "admin":
        return membership_get_for_moderator(user=user, membership_id=membership_id)
    membership = (
        Membership.objects.filter(pk=membership_id)
        .select_related("group", "member__peer_member")
        .first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership


def moderation_log_filters(*, user: User) -> tuple[QuerySet[PeerGroup], QuerySet[User]]:
    """What the moderation log can be narrowed to: admins, any group and any peer specialist or
    admin; peer specialists, their own groups and those who moderate them."""
    if user.role == "admin":
        return (
            PeerGroup.objects.order_by("name", "pk"),
            User.objects.filter(role__in=["peer", "admin"]).order_by("full_name", "pk"),
        )
    groups = PeerGroup.objects.filter(moderators=user).order_by("name", "pk")
    moderators = (
        User.objects.filter(moderated_groups__in=groups.values("pk"))
        .distinct()
        .order_by("full_name", "pk")
    )
    return groups, moderators


def memberships_for_actions(*, actions: list[ModerationAction]) -> dict[tuple[int, int], int]:
    """For a page of the moderation log: the membership (latest) of each action's member in its
    group, by (group id, member id), in one query."""
    pairs = {(action.group_id, action.member_id) for action in actions if action.member_id}
    if not pairs:
        return {}
    rows = (
        Membership.objects.filter(
            group_id__in={group for group, _ in pairs}, member_id__in={m for _, m in pairs}
        )
        .order_by("joined_at", "pk")
        .values_list("group_id", "member_id", "pk")
    )
    return {(group, member): pk for group, member, pk in rows if (group, member) in pairs}
