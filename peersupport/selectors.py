"""Reads of the peer groups, with what each page needs already joined."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from accounts.models import User
from peersupport.models import Membership, PeerGroup


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
