"""Flags: raise (with dedupe), notify, re-escalate by deadline, and clinician triage.

A flag is a row written in the caller's transaction. Telling a clinician is a core
notification, whose email delivery is a row sent after commit and retried by the delivery sweep:
a broker outage delays a notice, never loses it. Emails carry no patient name (core/channels.py
sends only the title, and titles here never name the patient).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from core.exceptions import StateConflict
from core.services import audit_record, notification_send
from safety import permissions
from safety.models import (
    SEVERITY_RANK,
    Flag,
    FlagEvent,
    FlagRecipient,
    FlagSignal,
    OnCall,
    Severity,
)

logger = logging.getLogger(__name__)

LEVEL_NAMED, LEVEL_BACKUP, LEVEL_ON_CALL = 0, 1, 2
MAX_NOTE_LENGTH = 5000


def ack_window(severity: str) -> timedelta:
    """How long a clinician has to acknowledge a flag of this severity."""
    return timedelta(minutes=settings.SAFETY_ACK_DEADLINE_MINUTES[severity])


def _evidence_json(evidence: Sequence[Any]) -> str:
    items = []
    for item in evidence:
        if hasattr(item, "category"):  # a screening Evidence
            item = {
                "category": item.category,
                "rule_id": item.rule_id,
                "excerpt": item.excerpt,
                "reason": item.reason,
            }
        items.append(
            {key: str(item.get(key, "")) for key in ("category", "rule_id", "excerpt", "reason")}
        )
    return json.dumps(items)


def _care_team(patient: User) -> PatientProfile | None:
    return (
        PatientProfile.objects.select_related("clinician", "backup_clinician")
        .filter(user=patient)
        .first()
    )


def _active_clinician(user: User | None) -> User | None:
    return user if user is not None and user.is_active and user.role == Role.CLINICIAN else None


def _on_call_clinicians() -> list[User]:
    return [
        on_call.user
        for on_call in OnCall.objects.select_related("user").filter(
            user__is_active=True, user__role=Role.CLINICIAN
        )
    ]


def _notify_clinician(flag: Flag, recipient: User, *, level: int, reason: str) -> None:
    FlagRecipient.objects.get_or_create(flag=flag, user=recipient, defaults={"level": level})
    deadline = timezone.localtime(flag.ack_deadline)
    urgent = flag.severity_rank >= SEVERITY_RANK[Severity.HIGH]
    notification = notification_send(
        recipient=recipient,
        kind="safety_flag",
        # The title goes by email: no patient name, no health detail beyond the severity.
        title=(
            f"Safety flag ({flag.get_severity_display().lower()}): please respond by "
            f"{deadline:%H:%M on %d %b}"
        ),
        body=f"{flag.summary}. Patient: {flag.patient.full_name}. {reason}",
        url=flag.get_absolute_url(),
        urgent=urgent,
    )
    FlagEvent.objects.create(
        flag=flag,
        kind=FlagEvent.Kind.NOTIFIED,
        detail={"recipient_id": recipient.pk, "level": level, "notification_id": notification.pk},
    )


def _notify_admins_nobody_on_call(flag: Flag) -> None:
    admins = User.objects.filter(role=Role.ADMIN, is_active=True)
    for admin in admins:
        notification_send(
            recipient=admin,
            kind="safety_no_one_on_call",
            title="A safety flag needs a clinician and nobody is on call",
            body=(
                f"Flag #{flag.pk} ({flag.get_severity_display().lower()}) has not been "
                "acknowledged in time and no clinician is on call. Ask a clinician to go on "
                "call in Exhale, or contact the team by phone."
            ),
            url=reverse("safety:overview"),
            urgent=True,
        )
    FlagEvent.objects.create(
        flag=flag,
        kind=FlagEvent.Kind.NO_ONE_ON_CALL,
        detail={"admin_ids": [admin.pk for admin in admins]},
    )


@transaction.atomic
def flag_raise(
    *,
    patient: User,
    source: str,
    category: str,
    severity: str,
    summary: str,
    evidence: Sequence[Any] = (),
    source_ref: str = "",
    raised_by: User | None = None,
    now: datetime | None = None,
) -> Flag:
    """Raise a safety flag about a patient, in the caller's transaction, and tell the clinician.

    A repeat signal for the same patient and category while a flag is active is added to that
    flag instead of raising another; a more severe signal raises its severity and brings its
    deadline forward (and reopens it if it had been acknowledged).
    """
    if severity not in SEVERITY_RANK:
        raise ValueError(f"Unknown severity {severity!r}")
    if category not in Flag.Category.values or source not in Flag.Source.values:
        raise ValueError("Unknown flag category or source")
    now = now or timezone.now()
    summary = summary.strip()[:200] or Flag.Category(category).label
    signal = {
        "source": source,
        "source_ref": source_ref,
        "severity": severity,
        "summary": summary,
        "evidence": _evidence_json(evidence),
        "raised_by": raised_by,
        "at": now,
    }
    existing = _active_flag_locked(patient, category)
    if existing is not None:
        return _add_signal(existing, signal, now)

    profile = _care_team(patient)
    clinician = _active_clinician(profile.clinician if profile else None)
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                patient=patient,
                source=source,
                source_ref=source_ref,
                category=category,
                severity=severity,
                severity_rank=SEVERITY_RANK[severity],
                summary=summary,
                ack_deadline=now + ack_window(severity),
                handled_by=clinician,
                last_signal_at=now,
                created_at=now,
            )
    except IntegrityError:
        # Another request raised the same flag a moment ago: add to it instead.
        existing = _active_flag_locked(patient, category)
        if existing is None:
            raise
        return _add_signal(existing, signal, now)

    FlagSignal.objects.create(flag=flag, **signal)
    FlagEvent.objects.create(
        flag=flag,
        at=now,
        kind=FlagEvent.Kind.RAISED,
        actor=raised_by,
        detail={"source": source, "severity": severity},
    )
    audit_record(
        actor=raised_by,
        action="flag.raised",
        subject=patient,
        target=flag,
        detail={"category": category, "severity": severity, "source": source},
    )
    if clinician is not None:
        _notify_clinician(flag, clinician, level=LEVEL_NAMED, reason="New flag.")
    else:
        # Nobody named to tell: go straight to whoever is on call.
        logger.warning("flag %s raised for a patient without an active clinician", flag.pk)
        _escalate(
            flag, now, reason="The patient has no active named clinician.", missed_deadline=False
        )
    return flag


def _active_flag_locked(patient: User, category: str) -> Flag | None:
    return (
        Flag.objects.select_for_update()
        .select_related("patient")
        .filter(patient=patient, category=category, status__in=Flag.ACTIVE_STATUSES)
        .first()
    )


def _add_signal(flag: Flag, signal: dict, now: datetime) -> Flag:
    FlagSignal.objects.create(flag=flag, **signal)
    flag.signal_count += 1
    flag.last_signal_at = now
    FlagEvent.objects.create(
        flag=flag,
        at=now,
        kind=FlagEvent.Kind.SIGNAL_ADDED,
        actor=signal["raised_by"],
        detail={"source": signal["source"], "severity": signal["severity"]},
    )
    new_rank = SEVERITY_RANK[signal["severity"]]
    more_severe = new_rank > flag.severity_rank
    if more_severe:
        FlagEvent.objects.create(
            flag=flag,
            at=now,
            kind=FlagEvent.Kind.SEVERITY_RAISED,
            detail={"from": flag.severity, "to": signal["severity"]},
        )
        flag.severity = signal["severity"]
        flag.severity_rank = new_rank
        flag.summary = signal["summary"]
        flag.ack_deadline = min(flag.ack_deadline, now + ack_window(flag.severity))
    reopened = more_severe and flag.status == Flag.Status.ACKNOWLEDGED
    if reopened:
        # A worse signal after acknowledgement needs someone to look again, by a new deadline;
        # the earlier acknowledgement stays in the flag's events.
        flag.status = Flag.Status.OPEN
        flag.ack_deadline = now + ack_window(flag.severity)
        flag.acknowledged_at = None
        flag.acknowledged_by = None
    flag.save()
    audit_record(
        actor=signal["raised_by"],
        action="flag.signal_added",
        subject=flag.patient,
        target=flag,
        detail={"severity": signal["severity"], "reopened": reopened},
    )
    if more_severe or flag.status == Flag.Status.ACKNOWLEDGED:
        # Whoever holds the flag hears of every new signal; on an open flag only a worse one
        # is news (each notice about the same open flag would only add to alarm fatigue).
        for recipient in _current_recipients(flag):
            _notify_clinician(
                flag, recipient, level=flag.escalation_level, reason="New signal on this flag."
            )
    return flag


def _current_recipients(flag: Flag) -> list[User]:
    recipients = {r.user_id: r.user for r in flag.recipients.select_related("user")}
    if flag.handled_by_id:
        recipients.setdefault(flag.handled_by_id, flag.handled_by)
    return [user for user in recipients.values() if _active_clinician(user)]


def _escalate(flag: Flag, now: datetime, *, reason: str, missed_deadline: bool) -> None:
    """Move an unacknowledged flag one step up: backup clinician, then everyone on call.

    `missed_deadline` is False when a flag starts one step up because nobody is named (that is
    not a breach of a deadline, and the safety overview must not count it as one)."""
    from_level = flag.escalation_level
    profile = _care_team(flag.patient)
    recipients: list[User] = []
    level = from_level + 1
    if level == LEVEL_BACKUP:
        backup = _active_clinician(profile.backup_clinician if profile else None)
        if backup is not None:
            recipients = [backup]
        else:
            level = LEVEL_ON_CALL
    if level >= LEVEL_ON_CALL:
        level = LEVEL_ON_CALL
        recipients = _on_call_clinicians()
    flag.escalation_level = level
    flag.escalated_at = now
    flag.ack_deadline = now + ack_window(flag.severity)
    flag.save(update_fields=["escalation_level", "escalated_at", "ack_deadline", "updated_at"])
    FlagEvent.objects.create(
        flag=flag,
        at=now,
        kind=FlagEvent.Kind.ESCALATED,
        detail={
            "from_level": from_level,
            "to_level": level,
            "recipient_ids": [user.pk for user in recipients],
            "missed_deadline": missed_deadline,
        },
    )
    audit_record(
        actor=None,
        action="flag.escalated",
        subject=flag.patient,
        target=flag,
        detail={"from_level": from_level, "to_level": level},
    )
    for recipient in recipients:
        _notify_clinician(flag, recipient, level=level, reason=reason)
    if not recipients:
        _notify_admins_nobody_on_call(flag)


def flag_escalation_sweep(*, now: datetime | None = None, batch_size: int = 100) -> int:
    """Re-escalate every open flag past its acknowledgement deadline. Returns how many moved.

    Claims flags with SELECT … FOR UPDATE SKIP LOCKED, so several workers or a duplicated beat
    never escalate one flag twice; each escalation moves the deadline on.
    """
    now = now or timezone.now()
    with transaction.atomic():
        overdue = list(
            Flag.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient", "handled_by")
            .filter(status=Flag.Status.OPEN, ack_deadline__lte=now)
            .order_by("ack_deadline")[:batch_size]
        )
        for flag in overdue:
            _escalate(flag, now, reason="Not acknowledged in time.", missed_deadline=True)
    return len(overdue)


def _locked_for_handling(flag: Flag, by: User) -> Flag:
    locked = Flag.objects.select_for_update().select_related("patient").get(pk=flag.pk)
    if not permissions.can_handle_flag(by, locked):
        raise PermissionDenied("This flag is not yours to handle.")
    return locked


def _clean_note(note: str, *, required: bool = False) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": "Write a short note."})
    if len(note) > MAX_NOTE_LENGTH:
        raise ValidationError({"note": f"Keep notes under {MAX_NOTE_LENGTH} characters."})
    return note


def _acknowledge(flag: Flag, by: User, now: datetime) -> None:
    flag.status = Flag.Status.ACKNOWLEDGED
    flag.acknowledged_at = now
    flag.acknowledged_by = by
    FlagEvent.objects.create(flag=flag, at=now, kind=FlagEvent.Kind.ACKNOWLEDGED, actor=by)


@transaction.atomic
def flag_acknowledge(*, flag: Flag, by: User) -> Flag:
    """Say "I have this". Only an open flag can be acknowledged, once."""
    flag = _locked_for_handling(flag, by)
    if flag.status != Flag.Status.OPEN:
        raise StateConflict(
            "This flag has already been resolved."
            if flag.status == Flag.Status.RESOLVED
            else "This flag has already been acknowledged."
        )
    _acknowledge(flag, by, timezone.now())
    flag.save()
    audit_record(actor=by, action="flag.acknowledged", subject=flag.patient, target=flag)
    return flag


@transaction.atomic
def flag_note_add(*, flag: Flag, by: User, note: str, contact_made: bool = False) -> FlagEvent:
    """Add an encrypted note; `contact_made` records that the patient was reached (and
    acknowledges the flag if nobody had)."""
    flag = _locked_for_handling(flag, by)
    note = _clean_note(note, required=not contact_made)
    now = timezone.now()
    if flag.status == Flag.Status.RESOLVED and contact_made:
        raise StateConflict("This flag has already been resolved.")
    if contact_made and flag.status == Flag.Status.OPEN:
        _acknowledge(flag, by, now)
        flag.save()
    event = FlagEvent.objects.create(
        flag=flag,
        at=now,
        kind=FlagEvent.Kind.CONTACT_MADE if contact_made else FlagEvent.Kind.NOTE,
        actor=by,
        note=note,
    )
    audit_record(
        actor=by,
        action="flag.contact_made" if contact_made else "flag.note_added",
        subject=flag.patient,
        target=flag,
    )
    return event


@transaction.atomic
def flag_resolve(*, flag: Flag, by: User, outcome: str, note: str = "") -> Flag:
    """Close a flag with its outcome. Resolving an open flag acknowledges it too."""
    flag = _locked_for_handling(flag, by)
    if outcome not in Flag.Outcome.values:
        raise ValidationError({"outcome": "Choose what happened."})
    note = _clean_note(note, required=outcome == Flag.Outcome.OTHER)
    if flag.status == Flag.Status.RESOLVED:
        raise StateConflict("This flag has already been resolved.")
    now = timezone.now()
    if flag.status == Flag.Status.OPEN:
        _acknowledge(flag, by, now)
    flag.status = Flag.Status.RESOLVED
    flag.resolved_at = now
    flag.resolved_by = by
    flag.outcome = outcome
    flag.save()
    FlagEvent.objects.create(
        flag=flag,
        at=now,
        kind=FlagEvent.Kind.RESOLVED,
        actor=by,
        note=note,
        detail={"outcome": outcome},
    )
    audit_record(
        actor=by,
        action="flag.resolved",
        subject=flag.patient,
        target=flag,
        detail={"outcome": outcome},
    )
    return flag


@transaction.atomic
def flag_hand_over(*, flag: Flag, by: User, to: User, note: str = "") -> Flag:
    """Give the flag to another clinician, who is told and becomes responsible for it."""
    flag = _locked_for_handling(flag, by)
    if flag.status == Flag.Status.RESOLVED:
        raise StateConflict("This flag has already been resolved.")
    if _active_clinician(to) is None:
        raise ValidationError({"to": "Choose an active clinician."})
    if to.pk == flag.handled_by_id:
        raise ValidationError({"to": "This clinician already has the flag."})
    note = _clean_note(note)
    previous = flag.handled_by_id
    flag.handled_by = to
    flag.save(update_fields=["handled_by", "updated_at"])
    FlagEvent.objects.create(
        flag=flag,
        kind=FlagEvent.Kind.HANDED_OVER,
        actor=by,
        note=note,
        detail={"from_id": previous, "to_id": to.pk},
    )
    audit_record(
        actor=by,
        action="flag.handed_over",
        subject=flag.patient,
        target=flag,
        detail={"to_id": to.pk},
    )
    _notify_clinician(flag, to, level=flag.escalation_level, reason="Handed over to you.")
    return flag


def flag_raise_concern(*, patient: User, by: User, severity: str, note: str) -> Flag:
    """A peer specialist or clinician hands a worry about a patient to the clinician."""
    if not permissions.can_raise_concern(by, patient):
        raise PermissionDenied("You can only raise a concern about someone you support.")
    if severity not in SEVERITY_RANK:
        raise ValidationError({"severity": "Choose how urgent this is."})
    note = _clean_note(note, required=True)
    role = "peer support specialist" if by.role == Role.PEER else "clinician"
    return flag_raise(
        patient=patient,
        source=Flag.Source.CONCERN,
        category=Flag.Category.CONCERN,
        severity=severity,
        summary=f"Concern raised by their {role}",
        evidence=[{"category": "concern", "rule_id": "", "excerpt": note, "reason": "Staff note"}],
        raised_by=by,
    )


def flag_raise_from_screening(
    *, patient: User, verdict: Any, source: str, source_ref: str = ""
) -> Flag | None:
    """Raise the flag a screening verdict calls for (its action is "escalate"), or nothing."""
    if not getattr(verdict, "escalate", False):
        return None
    categories = list(verdict.categories)
    if "crisis" in categories:
        category = Flag.Category.CRISIS
    elif "abuse" in categories:
        category = Flag.Category.ABUSE
    else:
        category = Flag.Category(categories[0]) if categories else Flag.Category.CRISIS
    severity = verdict.severity if verdict.severity in SEVERITY_RANK else Severity.HIGH
    return flag_raise(
        patient=patient,
        source=source,
        category=category,
        severity=severity,
        summary=verdict.summary,
        evidence=verdict.evidence,
        source_ref=source_ref,
    )


@transaction.atomic
def on_call_set(*, clinician: User, on_call: bool, by: User) -> bool:
    """Put a clinician on call or take them off. Clinicians change their own; admins anyone's."""
    if not permissions.can_be_on_call(clinician):
        raise ValidationError("Only active clinicians can be on call.")
    if by.pk != clinician.pk and by.role != Role.ADMIN:
        raise PermissionDenied("You can only change your own on-call status.")
    if on_call:
        _, changed = OnCall.objects.get_or_create(user=clinician)
    else:
        changed = OnCall.objects.filter(user=clinician).delete()[0] > 0
    if changed:
        audit_record(
            actor=by,
            action="on_call.started" if on_call else "on_call.ended",
            detail={"clinician_id": clinician.pk},
        )
    return on_call


def flag_note_system(*, patient: User, category: str, note: str) -> Flag | None:
    """Add a note from Exhale itself (not a person) to the patient's active flag of a category,
    e.g. "They checked in again". Returns the flag, or None when there is no active flag."""
    with transaction.atomic():
        flag = _active_flag_locked(patient, category)
        if flag is None:
            return None
        FlagEvent.objects.create(flag=flag, kind=FlagEvent.Kind.NOTE, note=note)
    return flag
