"""Writes of "Ask a peer specialist": 1:1 messages between a patient and their peer specialist.

A patient's message is written, screened like a post, and then the peer specialist is told. A
crisis raises a flag to the clinician in the same transaction and shows the patient the crisis
page; the peer specialist still reads the message, with the screening's reason beside it (they
are staff, and it is theirs to answer). While the patient waits, the conversation carries when
the promise runs out; the sweep (services/sweeps.py) tells the peer specialist's lead once it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from core.services import audit_record, notification_send
from peersupport import permissions, promise
from peersupport.models import Conversation, PeerMessage
from safety.models import Flag
from safety.screening import screen_text
from safety.services import flag_raise_from_screening

MAX_MESSAGE_CHARS = 3_000


def _holidays() -> frozenset[date]:
    return frozenset(date.fromisoformat(day) for day in settings.PEERSUPPORT_HOLIDAYS)


def reply_due_for(sent_at: datetime) -> datetime:
    """When a reply to a message sent at `sent_at` is due, by the deployment's promise."""
    return promise.reply_due(
        sent_at,
        zone=ZoneInfo(settings.TIME_ZONE),
        working_days=settings.PEERSUPPORT_REPLY_WORKING_DAYS,
        holidays=_holidays(),
    )


def peer_for_patient(patient: User) -> User | None:
    """The peer specialist a patient messages: their own (on their care team), or else a peer
    specialist who moderates a group they are in. None when there is nobody yet."""
    profile = PatientProfile.objects.select_related("peer_specialist").filter(user=patient).first()
    own = profile.peer_specialist if profile is not None else None
    if own is not None and own.is_active and own.role == Role.PEER:
        return own
    # One filter() call: both conditions are about the same membership.
    return (
        User.objects.filter(
            role=Role.PEER,
            is_active=True,
            moderated_groups__memberships__member=patient,
            moderated_groups__memberships__left_at__isnull=True,
        )
        .order_by("pk")
        .first()
    )


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write your message first."})
    if len(body) > MAX_MESSAGE_CHARS:
        raise ValidationError(
            {"body": f"Keep it under {MAX_MESSAGE_CHARS:,} characters ({len(body):,} now)."}
        )
    return body


def _conversation_locked(patient: User, peer: User) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update().filter(patient=patient, peer=peer).first()
    )
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(patient=patient, peer=peer)
    except IntegrityError:  # started at the same moment from another tab
        return Conversation.objects.select_for_update().get(patient=patient, peer=peer)


@dataclass(frozen=True)
class MessageResult:
    message: PeerMessage
    conversation: Conversation
    crisis: bool  # the patient is shown the crisis page


@transaction.atomic
def message_send(*, sender: User, body: str) -> MessageResult:
    """A patient writes to their peer specialist. Screened first; refused with a clear message
    and nothing written when it is empty, too long, or there is no peer specialist yet."""
    if not permissions.can_message_peer(sender):
        raise PermissionDenied("Only people in the programme send messages here.")
    body = _clean_body(body)
    peer = peer_for_patient(sender)
    if peer is None:
        raise ValidationError(
            {
                "body": "There is no peer support specialist for you yet. Your care team can "
                "set one up; in the meantime, they are the people to ask."
            }
        )
    verdict = screen_text(body)
    now = timezone.now()
    conversation = _conversation_locked(sender, peer)
    message = PeerMessage.objects.create(
        conversation=conversation,
        sender=sender,
        body=body,
        created_at=now,
        screening_action=verdict.action,
        screening_categories=list(verdict.categories),
        screening_reason=verdict.summary[:200] if verdict.hold else "",
    )
    flag = flag_raise_from_screening(
        patient=sender,
        verdict=verdict,
        source=Flag.Source.MESSAGE,
        source_ref=f"peersupport.message:{message.pk}",
    )
    if flag is not None:
        message.flag_ref = f"safety.flag:{flag.pk}"
        message.save(update_fields=["flag_ref"])
    conversation.last_message_at = now
    if conversation.waiting_since is None:
        conversation.waiting_since = now
        conversation.reply_due_at = reply_due_for(now)
        conversation.breach_notified_at = None
    conversation.save(
        update_fields=["last_message_at", "waiting_since", "reply_due_at", "breach_notified_at"]
    )
    crisis = flag is not None and flag.category == Flag.Category.CRISIS
    notification_send(
        recipient=peer,
        kind="peer_message",
        # No name and no text by email: the message is read in Exhale.
        title="A new message from someone you support"
        + (" (their clinician has been alerted)" if crisis else ""),
        body="Open your messages to read and answer it.",
        url=reverse("peersupport:inbox_conversation", args=[conversation.pk]),
        urgent=crisis,
    )
    return MessageResult(message=message, conversation=conversation, crisis=crisis)


@transaction.atomic
def message_reply(*, conversation: Conversation, by: User, body: str) -> PeerMessage:
    """The peer specialist answers. The patient is no longer waiting, and is told."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if not permissions.can_answer_conversation(by, conversation):
        raise PermissionDenied("That conversation is not with you.")
    body = _clean_body(body)
    now = timezone.now()
    message = PeerMessage.objects.create(
        conversation=conversation, sender=by, body=body, created_at=now
    )
    PeerMessage.objects.filter(
        conversation=conversation, sender_id=conversation.patient_id, read_at__isnull=True
    ).update(read_at=now)
    answered_after = (now - conversation.waiting_since) if conversation.waiting_since else None
    conversation.last_message_at = now
    conversation.waiting_since = conversation.reply_due_at = None
    conversation.breach_notified_at = None
    conversation.save(
        update_fields=["last_message_at", "waiting_since", "reply_due_at", "breach_notified_at"]
    )
    audit_record(
        actor=by,
        action="peer.message_answered",
        subject=conversation.patient,
        target=conversation,
        detail={"answered_after_minutes": int(answered_after.total_seconds() // 60)}
        if answered_after is not None
        else {},
    )
    notification_send(
        recipient=conversation.patient,
        kind="peer_message_reply",
        title="Your peer support specialist has replied",
        body="Open your messages to read it.",
        url=reverse("peersupport:messages"),
    )
    return message


def conversation_mark_read(*, conversation: Conversation, reader: User) -> int:
    """Mark the other side's messages read for the reader; returns how many changed."""
    return (
        PeerMessage.objects.filter(conversation=conversation, read_at__isnull=True)
        .exclude(sender=reader)
        .update(read_at=timezone.now())
    )
