"""Reads of the peer groups, with what each page needs already joined."""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from accounts.models import User
from peersupport.models import Membership, PeerGroup, Post


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


def thread_posts_for(*, user: User, thread: Post) -> list[Post]:
    """A thread as one member sees it: the opening post and its replies, oldest first, those
    published plus the member's own held ones (shown as waiting for a moderator). Nobody else's
    held, rejected or removed posts."""
    visible = Q(status=Post.Status.PUBLISHED) | Q(status=Post.Status.HELD, author=user)
    return list(
        Post.objects.filter(Q(pk=thread.pk) | Q(parent=thread))
        .filter(visible)
        .select_related("author__peer_member")
        .order_by(F("parent_id").asc(nulls_first=True), "created_at", "pk")
    )
