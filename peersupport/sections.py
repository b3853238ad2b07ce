"""peersupport's sections of pages that accounts owns (see accounts/sections.py): the patient's
groups and messages on their home page, the peer specialist's moderation work on theirs, the
admins' oversight, and a patient's group life on their care team's page."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from peersupport import selectors
from peersupport.models import Conversation, Membership, ModerationAction, Post
from peersupport.templatetags.peer_nav import peer_nav_counts

# Sections render without the request: none has a form, and with it every section would run the
# context processors again (the unread-notice count) on pages with query budgets.


def patient_home_section(request: HttpRequest, profile: PatientProfile | None) -> str:
    """Their groups (or how to join one) and whether a message is waiting for a reply."""
    patient = request.user
    groups = list(
        Membership.objects.filter(member=patient, left_at__isnull=True)
        .select_related("group", "member__peer_member")
        .order_by("group__name")
    )
    conversation = (
        Conversation.objects.filter(patient=patient)
        .select_related("peer")
        .order_by("-last_message_at")
        .first()
    )
    return render_to_string(
        "peersupport/sections/_patient_home.html",
        {
            "pseudonym": groups[0].member.peer_member.pseudonym if groups else "",
            "memberships": groups,
            "conversation": conversation,
        },
    )


def peer_home_section(request: HttpRequest, peer: User) -> str:
    """What is waiting for the peer specialist: the moderation queue and their 1:1 messages."""
    return render_to_string(
        "peersupport/sections/_peer_home.html",
        {
            "counts": peer_nav_counts(peer),
            "groups": list(selectors.groups_moderated_by(user=peer).order_by("name")),
        },
    )


def admin_home_section(request: HttpRequest, admin: User) -> str:
    """Oversight of the peer groups: moderation this week and messages past the promise."""
    week_ago = timezone.now() - timedelta(days=7)
    return render_to_string(
        "peersupport/sections/_admin_home.html",
        {
            "actions_this_week": ModerationAction.objects.filter(created_at__gte=week_ago).count(),
            "overdue": selectors.conversations_overdue().count(),
        },
    )


def staff_patient_section(request: HttpRequest, profile: PatientProfile) -> str:
    """For the care team: the name the patient goes by in groups, their groups, how their posts
    fared and what moderators did about them. (Their posts' text stays in the groups.)"""
    if request.user.role not in (Role.CLINICIAN, Role.PEER):
        return ""
    patient = profile.user
    member = selectors.peer_member_for(user=patient)
    if member is None:
        return render_to_string("peersupport/sections/_staff_patient.html", {"member": None})
    posts = Post.objects.filter(author=patient).aggregate(
        published=Count("pk", filter=Q(status=Post.Status.PUBLISHED)),
        held=Count("pk", filter=Q(status=Post.Status.HELD)),
        not_published=Count("pk", filter=Q(status__in=[Post.Status.REJECTED, Post.Status.REMOVED])),
    )
    return render_to_string(
        "peersupport/sections/_staff_patient.html",
        {
            "member": member,
            "memberships": list(
                Membership.objects.filter(member=patient)
                .select_related("group")
                .order_by("-joined_at")[:10]
            ),
            "posts": posts,
            "actions": list(
                ModerationAction.objects.filter(member=patient)
                .select_related("group", "actor")
                .order_by("-created_at")[:5]
            ),
            "now": timezone.now(),
        },
    )
