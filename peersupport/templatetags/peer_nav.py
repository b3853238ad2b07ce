"""The peer specialist's counts for the header of every page: the moderation queue and the
people waiting for their 1:1 reply, in one query."""

from __future__ import annotations

from django import template
from django.db.models import F, Func, IntegerField, QuerySet, Subquery

from accounts.models import Role, User
from peersupport.models import Conversation, PeerGroup, Post, Report

register = template.Library()


def _count(queryset: QuerySet, column: str = "pk", *, distinct: bool = False) -> Subquery:
    """SELECT COUNT(column) of `queryset`, as an expression to put in another query."""
    extra = {"template": "%(function)s(DISTINCT %(expressions)s)"} if distinct else {}
    # Func, not Count: an aggregate would add a GROUP BY and count per row.
    counted = queryset.order_by().annotate(
        _n=Func(F(column), function="COUNT", output_field=IntegerField(), **extra)
    )
    return Subquery(counted.values("_n")[:1], output_field=IntegerField())


@register.simple_tag
def peer_nav_counts(user) -> dict[str, int]:
    """{"queue": held posts and reported posts in their groups, "waiting": people waiting for
    their reply}; zeros for anyone but a peer specialist."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.PEER:
        return {"queue": 0, "waiting": 0}
    groups = PeerGroup.moderators.through.objects.filter(user_id=user.pk).values("peergroup_id")
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            held=_count(Post.objects.filter(group_id__in=groups, status=Post.Status.HELD)),
            reported=_count(
                Report.objects.filter(post__group_id__in=groups, handled_at__isnull=True),
                "post_id",
                distinct=True,
            ),
            waiting=_count(
                Conversation.objects.filter(peer_id=user.pk, waiting_since__isnull=False)
            ),
        )
        .values("held", "reported", "waiting")
        .get()
    )
    return {"queue": (row["held"] or 0) + (row["reported"] or 0), "waiting": row["waiting"] or 0}


@register.filter
def reason_for(action, user) -> str:
    """A moderation action's reason as this user may read it (ModerationAction.reason_for)."""
    return action.reason_for(user)
