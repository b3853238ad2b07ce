"""Peer groups and who is in them, under what name.

A patient takes part under one pseudonym for the whole deployment (`PeerMember`), after
accepting the community guidelines; each group they join is a `Membership`. Certified peer
specialists moderate the groups they are named on. Real identities are never shown to other
members: only the care team and admins see who a pseudonym is.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.urls import reverse
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


# The screening's reason ends with the rule's id ("… (personal_info.phone)"): useful to
# moderators tracing a rule, never shown to the author.
_RULE_ID = re.compile(r"\s*\([a-z_]+(?:\.[a-z0-9_]+)+\)\s*$")
CRISIS_REASON_FOR_AUTHOR = (
    "It sounds like things may be really hard for you, so a peer specialist will read it first."
)


class Post(models.Model):
    """A post that starts a thread, or a reply to one (replies are one level deep).

    Every member's post is screened before anyone else sees it: `published` shows it; `held`
    keeps it visible to its author only ("waiting for a moderator") and puts it in the moderation
    queue, with the screening's reason and evidence. The body, the evidence (the author's words)
    and a moderator's message to the author are encrypted at rest.

    Peer specialists post too: the group's welcome post, announcements, and programme content
    (which shows who approved it and when); theirs are published at once."""

    class Status(models.TextChoices):
        PUBLISHED = "published", "Published"
        HELD = "held", "Waiting for a moderator"
        REJECTED = "rejected", "Not published"
        REMOVED = "removed", "Removed by a moderator"

    class Kind(models.TextChoices):
        MEMBER = "member", "Member's post"
        STAFF = "staff", "From a peer support specialist"
        WELCOME = "welcome", "Welcome to the group"
        ANNOUNCEMENT = "announcement", "Announcement"
        PROGRAMME = "programme", "From the programme"

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
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MEMBER)
    is_pinned = models.BooleanField(default=False)
    is_locked = models.BooleanField(default=False, help_text="A locked thread takes no replies.")
    # Programme content: the clinician who approved the text, and when ("approved by" line).
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    # The last moderation decision on this post (every one is also a ModerationAction).
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    # What the author is told: why it was not published, or that personal details were taken out.
    moderator_message = EncryptedTextField(blank=True, default="")
    edited_by_moderator_at = models.DateTimeField(null=True, blank=True)
    # Nobody left unanswered: when someone other than the author first replied to this thread,
    # and when its peer specialists were nudged because nobody had.
    first_reply_at = models.DateTimeField(null=True, blank=True)
    nudged_at = models.DateTimeField(null=True, blank=True)

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
            # The unanswered-post sweep and the moderation page's "no reply yet" list.
            models.Index(
                fields=["published_at"],
                condition=models.Q(
                    parent__isnull=True, status="published", first_reply_at__isnull=True
                ),
                name="post_unanswered",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="published", published_at__isnull=False)
                | ~models.Q(status="published"),
                name="post_published_has_time",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="programme")
                | models.Q(approved_by__isnull=False, approved_on__isnull=False),
                name="post_programme_is_approved",
            ),
            # One welcome post per group.
            models.UniqueConstraint(
                fields=["group"], condition=models.Q(kind="welcome"), name="post_one_welcome"
            ),
        ]

    def __str__(self) -> str:
        return f"Post #{self.pk} in {self.group_id}"

    def get_absolute_url(self) -> str:
        return reverse("peersupport:thread", args=[self.group.slug, self.thread_id]) + (
            f"#post-{self.pk}" if self.parent_id else ""
        )

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None

    @property
    def reason_for_author(self) -> str:
        """Why a post waits, as its author reads it (pages and API alike): plain words without
        the rule's id; a crisis in kind words. Empty unless it is held."""
        if self.status != self.Status.HELD:
            return ""
        if "crisis" in (self.screening_categories or ()):
            return CRISIS_REASON_FOR_AUTHOR
        return _RULE_ID.sub("", self.held_reason)

    @property
    def thread_id(self) -> int:
        return self.parent_id or self.pk

    @property
    def is_from_staff(self) -> bool:
        return self.kind != self.Kind.MEMBER


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

    class Outcome(models.TextChoices):
        NO_ACTION = "no_action", "Looked at: nothing needed"
        POST_REMOVED = "post_removed", "Post removed"
        POST_EDITED = "post_edited", "Personal details taken out"
        FLAG_RAISED = "flag_raised", "Clinician told"
        MEMBER_MUTED = "member_muted", "Member paused"
        MEMBER_REMOVED = "member_removed", "Member removed"

    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)

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


class ModerationAction(models.Model):
    """One moderation decision: who did what, to which post or member, when and why. Written by
    the moderation services only, never changed; admins see them all (the moderation log), and
    each is in the audit log too. The reason and any message to the member are encrypted."""

    class Action(models.TextChoices):
        APPROVE = "approve", "Approved a post"
        REJECT = "reject", "Did not publish a post"
        EDIT = "edit", "Took personal details out of a post"
        REMOVE_POST = "remove_post", "Removed a post"
        LOCK = "lock", "Closed a conversation to replies"
        UNLOCK = "unlock", "Opened a conversation to replies"
        PIN = "pin", "Pinned a post"
        UNPIN = "unpin", "Unpinned a post"
        MUTE = "mute", "Paused a member's posting"
        UNMUTE = "unmute", "Let a member post again"
        REMOVE_MEMBER = "remove_member", "Removed a member from the group"
        WORRIED = "worried", "Told the clinician they are worried"
        REVEAL = "reveal", "Looked up who a member is"
        REPORT_CLOSED = "report_closed", "Closed a report"

    group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="actions")
    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The member the action was about (a post's author, a muted member).",
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    reason = EncryptedTextField(blank=True, default="", help_text="Why, in the moderator's words.")
    detail = models.JSONField(
        default=dict, blank=True, help_text="Non-identifying context: until when, report ids."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["group", "-created_at"], name="modaction_group_at"),
            models.Index(fields=["actor", "-created_at"], name="modaction_actor_at"),
            models.Index(fields=["member", "-created_at"], name="modaction_member_at"),
            models.Index(fields=["-created_at"], name="modaction_at"),
        ]

    def __str__(self) -> str:
        return f"{self.action} in group {self.group_id} by user #{self.actor_id}"

    def reason_for(self, user) -> str:
        """The reason as `user` may read it. Why someone looked a member up can say much about
        the member: only admins and the one who looked read it; co-moderators see that it was
        recorded."""
        if self.action == self.Action.REVEAL and not (
            getattr(user, "is_admin", False) or user.pk == self.actor_id
        ):
            return "Recorded for admins." if self.reason else ""
        return self.reason


class ModeratorMessageTemplate(models.Model):
    """A kind message a moderator can send an author whose post is not published, edited by
    admins. Moderators may also write their own."""

    title = models.CharField(max_length=80, help_text="What moderators see in the list.")
    text = models.TextField(help_text="What the author reads. Plain words, kind, no blame.")
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class PeerLead(models.Model):
    """The admin who leads a peer specialist: told when a 1:1 message waits past the promise.
    A peer specialist with no lead set has every active admin as lead."""

    peer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="peer_lead",
        limit_choices_to={"role": "peer"},
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="led_peers",
        limit_choices_to={"role": "admin"},
    )

    def __str__(self) -> str:
        return f"Lead of user #{self.peer_id}"


class Conversation(models.Model):
    """1:1 messages between a patient and a peer specialist ("Ask a peer specialist").

    While the patient waits for a reply, `waiting_since` is when their oldest unanswered message
    was sent and `reply_due_at` when the promise ("usually within 1 working day") runs out; a
    reply clears both. Past the promise, the peer specialist's lead is told once
    (`breach_notified_at`) and the patient sees that their message is still waiting."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="peer_conversations"
    )
    peer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="peer_inbox"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_message_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(null=True, blank=True)
    reply_due_at = models.DateTimeField(null=True, blank=True)
    breach_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "peer"], name="conversation_unique"),
            models.CheckConstraint(
                condition=models.Q(waiting_since__isnull=True, reply_due_at__isnull=True)
                | models.Q(waiting_since__isnull=False, reply_due_at__isnull=False),
                name="conversation_waiting_has_due",
            ),
        ]
        indexes = [
            models.Index(fields=["peer", "-last_message_at"], name="conversation_inbox"),
            # The promise sweep: waiting conversations past their due time, not yet reported.
            models.Index(
                fields=["reply_due_at"],
                condition=models.Q(reply_due_at__isnull=False, breach_notified_at__isnull=True),
                name="conversation_due",
            ),
        ]

    def __str__(self) -> str:
        return f"Conversation #{self.pk}"

    @property
    def is_waiting(self) -> bool:
        return self.waiting_since is not None

    @property
    def patient_label(self) -> str:
        """How the peer specialist sees the patient: by first name when they are the patient's
        own peer specialist (on their care team), otherwise by their group name, as in the
        groups (a patient may write to a moderator of their group who is not on their team)."""
        profile = getattr(self.patient, "patient_profile", None)
        if profile is not None and profile.peer_specialist_id == self.peer_id:
            return self.patient.display_name
        member = getattr(self.patient, "peer_member", None)
        return member.pseudonym if member is not None else "A member of your groups"

    @property
    def is_overdue(self) -> bool:
        return self.reply_due_at is not None and self.reply_due_at <= timezone.now()


class PeerMessage(models.Model):
    """One message in a conversation. A patient's message is screened like a post: a crisis
    raises a flag to their clinician and shows them the crisis page; the peer specialist reads
    every message, with the screening's reason beside it. The body is encrypted."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    screening_action = models.CharField(max_length=12, blank=True)
    screening_categories = models.JSONField(default=list, blank=True)
    screening_reason = models.CharField(max_length=200, blank=True)
    flag_ref = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "created_at"], name="peermessage_conversation"),
        ]

    def __str__(self) -> str:
        return f"Message #{self.pk} in conversation {self.conversation_id}"
