"""Periodic writes of the peer groups: nobody left unanswered.

- A member's post that nobody else has replied to within PEERSUPPORT_UNANSWERED_HOURS is nudged
  to the group's peer specialists, once.
- A 1:1 message not answered within the promise is reported to the peer specialist's lead (an
  admin; every active admin when no lead is set) and to the peer specialist, once per wait.

Both claim rows with SELECT … FOR UPDATE SKIP LOCKED in batches and mark them in the same
transaction as the notices they write, so any number of workers (or a duplicated beat) share the
work and nothing is told twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, User
from core.services import NoticeDraft, audit_record, notifications_send_bulk
from peersupport.models import Conversation, PeerGroup, PeerLead, Post


def unanswered_posts_nudge(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Nudge the peer specialists of each member's post left without a reply. Returns how many
    posts were nudged."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.PEERSUPPORT_UNANSWERED_HOURS)
    done = 0
    while True:
        with transaction.atomic():
            posts = list(
                Post.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("group")  # each notice links to its thread by the group's slug
                .filter(
                    parent__isnull=True,
                    status=Post.Status.PUBLISHED,
                    first_reply_at__isnull=True,
                    published_at__lte=cutoff,
                    nudged_at__isnull=True,
                    kind=Post.Kind.MEMBER,
                )
                .order_by("published_at")[:batch_size]
            )
            if not posts:
                break
            moderators = _moderators_of({post.group_id for post in posts})
            names = dict(
                PeerGroup.objects.filter(pk__in={p.group_id for p in posts}).values_list(
                    "pk", "name"
                )
            )
            drafts = [
                NoticeDraft(
                    recipient_id=moderator_id,
                    kind="peer_post_unanswered",
                    title=f"A post in {names[post.group_id]} has had no reply yet",
                    body=(
                        f"Nobody has replied to this post for "
                        f"{settings.PEERSUPPORT_UNANSWERED_HOURS} hours. A few words from you "
                        "could mean a lot."
                    ),
                    url=post.get_absolute_url(),
                )
                for post in posts
                for moderator_id in moderators.get(post.group_id, ())
            ]
            notifications_send_bulk(drafts=drafts)
            Post.objects.filter(pk__in=[post.pk for post in posts]).update(nudged_at=now)
        done += len(posts)
        if len(posts) < batch_size:
            break
    return done


def _moderators_of(group_ids: set[int]) -> dict[int, list[int]]:
    through = PeerGroup.moderators.through
    out: dict[int, list[int]] = defaultdict(list)
    for group_id, user_id in through.objects.filter(
        peergroup_id__in=group_ids, user__is_active=True
    ).values_list("peergroup_id", "user_id"):
        out[group_id].append(user_id)
    return out


def overdue_messages_report(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Tell the lead (and the peer specialist) about every conversation whose patient has waited
    past the promise. Returns how many conversations were reported."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            overdue = list(
                Conversation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("patient")  # the audit row's subject
                .filter(reply_due_at__lte=now, breach_notified_at__isnull=True)
                .order_by("reply_due_at")[:batch_size]
            )
            if not overdue:
                break
            leads = dict(
                PeerLead.objects.filter(
                    peer_id__in={c.peer_id for c in overdue}, lead__is_active=True
                ).values_list("peer_id", "lead_id")
            )
            admins = None
            drafts = []
            for conversation in overdue:
                lead_ids = [leads[conversation.peer_id]] if conversation.peer_id in leads else None
                if lead_ids is None:
                    if admins is None:
                        admins = list(
                            User.objects.filter(role=Role.ADMIN, is_active=True).values_list(
                                "pk", flat=True
                            )
                        )
                    lead_ids = admins
                waited = now - conversation.waiting_since
                hours = int(waited.total_seconds() // 3600)
                drafts += [
                    NoticeDraft(
                        recipient_id=lead_id,
                        kind="peer_message_overdue",
                        title="A message to a peer specialist is waiting past the promise",
                        body=(
                            f"Conversation #{conversation.pk} has waited {hours} hours for a "
                            "reply from its peer specialist (the promise is "
                            f"{settings.PEERSUPPORT_REPLY_WORKING_DAYS} working "
                            f"day{pluralize(settings.PEERSUPPORT_REPLY_WORKING_DAYS)}). Please "
                            "make sure someone answers."
                        ),
                        url=reverse("peersupport:overdue_messages"),
                    )
                    for lead_id in lead_ids
                ]
                drafts.append(
                    NoticeDraft(
                        recipient_id=conversation.peer_id,
                        kind="peer_message_overdue",
                        title="A message to you is waiting past the promised reply time",
                        body="Someone you support is waiting for your reply.",
                        url=reverse("peersupport:inbox_conversation", args=[conversation.pk]),
                    )
                )
                audit_record(
                    actor=None,
                    action="peer.message_overdue",
                    subject=conversation.patient,
                    target=conversation,
                    detail={"lead_ids": lead_ids, "waited_hours": hours},
                )
            notifications_send_bulk(drafts=drafts)
            Conversation.objects.filter(pk__in=[c.pk for c in overdue]).update(
                breach_notified_at=now
            )
        done += len(overdue)
        if len(overdue) < batch_size:
            break
    return done
