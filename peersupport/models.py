"""Peer groups and who is in them, under what name.

A patient takes part under one pseudonym for the whole deployment (`PeerMember`), after
accepting the community guidelines; each group they join is a `Membership`. Certified peer
specialists moderate the groups they are named on. Real identities are never shown to other
members: only the care team and admins see who a pseudonym is.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.fields import EncryptedTextField


class PeerGroup(models.Model):
    """A moderated group: a cohort (people who joined in the same month) or a topic."""

    class Kind(models.TextChoices):
        COHORT = "cohort", "People who joined in the same month"
        TOPIC = "topic", "A topic"

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    description = models.TextField(
        help_text="Programme content: who the group is for, in plain words. Not encrypted."
    )
    cohort_month = models.DateField(
        null=True, blank=True, help_text="For a cohort group: the first day of its month."
    )
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="moderated_groups",
        blank=True,
        help_text="Certified peer specialists who moderate this group.",
    )
    is_open = models.BooleanField(
        default=True, help_text="Whether patients can join. Members stay when it closes."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="topic", cohort_month__isnull=True)
                | models.Q(kind="cohort", cohort_month__isnull=False),
                name="peergroup_cohort_has_month",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PeerMember(models.Model):
    """A patient's presence in the peer groups: their pseudonym and the guidelines they
    accepted. One per patient; the pseudonym is unique across the deployment, whatever its
    case or spacing (`canonical_pseudonym`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="peer_member",
    )
    pseudonym = models.CharField(max_length=24)
    canonical_pseudonym = models.CharField(max_length=24, editable=False)
    guidelines_version = models.CharField(max_length=16, blank=True)
    guidelines_accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["canonical_pseudonym"], name="peermember_pseudonym_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym


class Membership(models.Model):
    """One patient in one group. Leaving or removal ends it (kept for the record); muting
    stops posting until a time."""

    group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The moderator who removed the member (empty when they left themselves).",
    )
    muted_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one current membership of a group; past ones stay for the record.
            models.UniqueConstraint(
                fields=["group", "member"],
                condition=models.Q(left_at__isnull=True),
                name="membership_one_current",
            ),
        ]
        indexes = [
            models.Index(
                fields=["member", "group"],
                condition=models.Q(left_at__isnull=True),
                name="membership_current",
            ),
        ]

    def __str__(self) -> str:
        return f"Membership of user #{self.member_id} in {self.group_id}"

    @property
    def is_current(self) -> bool:
        return self.left_at is None

    def is_muted(self, at=None) -> bool:
        return self.muted_until is not None and self.muted_until > (at or timezone.now())


class Post(models.Model):
    """A post that starts a thread, or a reply to one (replies are one level deep).

    Every post is screened before anyone else sees it: `published` shows it; `held` keeps it
    visible to its author only ("waiting for a moderator") and puts it in the moderation queue,
    with the screening's reason and evidence. The body and the evidence (the author's words) are
    encrypted at rest."""

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HELD = "held", "Waiting for a moderator"
        REJECTED = "rejected", "Not published"
        REMOVED = "removed", "Removed by a moderator"

    group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_posts"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = EncryptedTextField()
    status = models.CharField(max_length=12, choices=Status.choices)
    # Why it is held, in plain words for moderators and the author ("shares a phone number",
    # "a new member's first posts are read by a moderator first"): rule reasons, never the text.
    held_reason = models.CharField(max_length=200, blank=True)
    screening_action = models.CharField(max_length=12, blank=True)
    screening_categories = models.JSONField(default=list, blank=True)
    screening_evidence = EncryptedTextField(blank=True, help_text="JSON: the matched excerpts.")
    flag_ref = models.CharField(
        max_length=80, blank=True, help_text="The safety flag raised from this post, if any."
    )
    is_pinned = models.BooleanField(default=False)
    is_announcement = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False, help_text="A locked thread takes no replies.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["group", "-is_pinned", "-created_at"],
                condition=models.Q(parent__isnull=True),
                name="post_group_threads",
            ),
            models.Index(fields=["parent", "created_at"], name="post_thread_replies"),
            models.Index(
                fields=["group", "created_at"],
                condition=models.Q(status="held"),
                name="post_held_queue",
            ),
            models.Index(fields=["author", "status"], name="post_author_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="published", published_at__isnull=False)
                | ~models.Q(status="published"),
                name="post_published_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Post #{self.pk} in {self.group_id}"

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None


class Reaction(models.Model):
    """Encouragement on a post: a small fixed set, and no way to dislike."""

    class Kind(models.TextChoices):
        HEART = "heart", "Sending support"
        STRONG = "strong", "You've got this"
        CLAP = "clap", "Well done"
        HUG = "hug", "Hug"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "member", "kind"], name="reaction_once_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on post #{self.post_id}"


class Report(models.Model):
    """A member's report of a post to the group's peer specialists."""

    class Reason(models.TextChoices):
        UNKIND = "unkind", "Unkind"
        PERSONAL_INFO = "personal_info", "Shares personal information"
        HARMFUL_ADVICE = "harmful_advice", "Harmful advice"
        WORRIED = "worried", "I'm worried about this person"
        OTHER = "other", "Something else"

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "reporter"], name="report_once_per_member"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(handled_at__isnull=True),
                name="report_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Report on post #{self.post_id}"
