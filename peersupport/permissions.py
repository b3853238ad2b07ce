"""What each role may do in the peer groups. Said once here; views, the API and services ask.

| role      | may                                                                                  |
| --------- | ------------------------------------------------------------------------------------ |
| patient   | choose a pseudonym, accept the guidelines, join and leave open groups, post, reply,  |
|           | react and report in their groups; message their peer specialist                      |
| peer      | moderate the groups they are named on; answer the 1:1 messages sent to them; see who |
|           | a member is only when they are that member's own peer specialist (audited)           |
| clinician | nothing in the groups themselves; sees the flags raised from them                    |
| admin     | set up groups, moderators and peer leads; read every moderation action; see who a    |
|           | member is (audited); told when a 1:1 message waits past the promise                  |
"""

from __future__ import annotations

from typing import Any

from accounts.models import PatientProfile, Role, User
from accounts.permissions import can_view_patient, is_authenticated
from peersupport.models import PeerGroup


def can_take_part(user: User) -> bool:
    """Patients take part in groups; staff moderate or stay out."""
    return user.is_authenticated and user.is_active and user.is_patient


def can_moderate(user: User, group: PeerGroup) -> bool:
    return (
        user.is_authenticated
        and user.is_active
        and user.is_peer
        and group.moderators.filter(pk=user.pk).exists()
    )


def is_moderator(user: Any) -> bool:
    """A peer specialist: the moderation pages are theirs (what is in them is per group)."""
    return is_authenticated(user) and user.role == Role.PEER


def can_read_moderation_log(user: Any) -> bool:
    """Admins read every moderation action; peers read those of their own groups."""
    return is_authenticated(user) and user.role in (Role.ADMIN, Role.PEER)


def can_reveal_identity(user: Any, member: User, group: PeerGroup) -> bool:
    """Who a member really is: admins, and a moderator of the group who is on the member's care
    team (their own peer specialist). Other moderators hand a worry to the clinician instead."""
    if not is_authenticated(user):
        return False
    if user.role == Role.ADMIN:
        return True
    if not can_moderate(user, group):
        return False
    profile = PatientProfile.objects.filter(user=member).first()
    return profile is not None and can_view_patient(user, profile)


def can_message_peer(user: Any) -> bool:
    """Patients message their peer specialist ("Ask a peer specialist")."""
    return is_authenticated(user) and user.role == Role.PATIENT


def can_answer_conversation(user: Any, conversation: Any) -> bool:
    """A conversation is answered by the peer specialist it is with, and nobody else."""
    return is_authenticated(user) and user.role == Role.PEER and conversation.peer_id == user.pk
