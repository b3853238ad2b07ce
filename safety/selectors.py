"""Reads of safety: crisis resources, flags and queues, the overview, safety plans."""

from __future__ import annotations

import json
import logging
import statistics
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from core.services import audit_record
from safety import permissions, timeline
from safety.models import (
    CrisisResource,
    Flag,
    FlagEvent,
    FlagRecipient,
    OnCall,
    SafetyPlan,
    Severity,
)

logger = logging.getLogger(__name__)

CRISIS_CACHE_KEY = "safety:crisis-resources:v1"
CRISIS_CACHE_SECONDS = 300


def crisis_resource_list() -> list[dict]:
    """The deployment's crisis resources. Never fails: with the database or cache down, the
    built-in list from settings is shown, because this page must always work."""
    try:
        cached = cache.get(CRISIS_CACHE_KEY)
    except Exception:
        cached = None
    if cached is not None:
        return cached
    try:
        resources = [r.as_dict() for r in CrisisResource.objects.filter(is_active=True)]
    except DatabaseError:
        logger.exception("crisis resources unavailable from the database; showing built-ins")
        return list(settings.CRISIS_RESOURCES_FALLBACK)
    resources = resources or list(settings.CRISIS_RESOURCES_FALLBACK)
    try:
        cache.set(CRISIS_CACHE_KEY, resources, CRISIS_CACHE_SECONDS)
    except Exception:
        logger.warning("could not cache crisis resources")
    return resources


# --- Flags ---------------------------------------------------------------------------------------


def flag_queue_for(*, user: Any) -> QuerySet[Flag]:
    """A clinician's active flags, most urgent and oldest first: their caseload's (as named
    clinician), those handed to them, and those that escalated to them."""
    if user.role != Role.CLINICIAN:
        return Flag.objects.none()
    active = Flag.objects.filter(status__in=Flag.ACTIVE_STATUSES)
    unordered = active.order_by()  # a part of a UNION takes no ORDER BY (SQLite refuses it)
    # One set of ids from three indexed reads, not an OR across a join: with the OR, PostgreSQL
    # could not tell how few flags are this clinician's and joined every active flag of the
    # deployment to every patient (28-46 ms at 20,000 patients; 2 ms this way). Each read keeps
    # to active flags and the caseload's goes from the profiles straight to their flags, so the
    # set is small and the flags are then read by primary key (1.0-1.2 -> 0.7 ms on
    # bench/generate.py's data; the count 0.8 -> 0.5 ms).
    visible = (
        unordered.filter(handled_by=user)
        .values("pk")
        .union(
            unordered.filter(
                patient_id__in=PatientProfile.objects.filter(clinician=user).values("user_id")
            ).values("pk"),
            FlagRecipient.objects.filter(user=user, flag__status__in=Flag.ACTIVE_STATUSES)
            .order_by()
            .values("flag_id"),
        )
    )
    return (
        active.filter(pk__in=visible)
        .select_related("patient", "handled_by")
        .order_by("-severity_rank", "created_at", "id")
    )


def flag_recently_resolved_for(*, user: Any, days: int = 14) -> QuerySet[Flag]:
    if user.role != Role.CLINICIAN:
        return Flag.objects.none()
    since = timezone.now() - timedelta(days=days)
    return (
        Flag.objects.filter(Q(handled_by=user) | Q(resolved_by=user), status=Flag.Status.RESOLVED)
        .filter(resolved_at__gte=since)
        .select_related("patient", "resolved_by")
        .order_by("-resolved_at")
    )


def flag_get_for_staff(*, user: Any, flag_id: int, request: HttpRequest | None = None) -> Flag:
    """One flag the clinician may see, with the read audited; anything else is a 404."""
    flag = (
        Flag.objects.select_related("patient", "handled_by", "acknowledged_by")
        .filter(pk=flag_id)
        .first()
    )
    if flag is None or not permissions.can_view_flag(user, flag):
        raise Http404("No such flag.")
    audit_record(
        actor=user, action="flag.viewed", subject=flag.patient, target=flag, request=request
    )
    return flag


def flag_detail_context(*, flag: Flag) -> dict:
    """Everything the flag page shows, in a fixed number of queries."""
    signals = list(flag.signals.select_related("raised_by"))
    for signal in signals:
        try:
            signal.evidence_items = json.loads(signal.evidence or "[]")
        except ValueError:
            signal.evidence_items = []
    since = timezone.now() - timedelta(days=30)
    return {
        "signals": signals,
        "events": list(flag.events.select_related("actor")),
        "history": list(
            Flag.objects.filter(patient=flag.patient)
            .exclude(pk=flag.pk)
            .order_by("-created_at")[:20]
        ),
        "timeline": timeline.timeline_for(flag.patient, since),
        "profile": PatientProfile.objects.select_related(
            "clinician", "backup_clinician", "peer_specialist"
        )
        .filter(user=flag.patient)
        .first(),
    }


def safety_overview() -> dict:
    """For admins: open flags by severity, deadline breaches, time to acknowledge."""
    now = timezone.now()
    since = now - timedelta(days=30)
    active = Flag.objects.filter(status__in=Flag.ACTIVE_STATUSES)
    by_severity = dict(
        active.order_by().values("severity").annotate(n=Count("id")).values_list("severity", "n")
    )
    ack_times = sorted(
        (acknowledged_at - created_at).total_seconds()
        for created_at, acknowledged_at in Flag.objects.filter(
            acknowledged_at__isnull=False, created_at__gte=since
        ).values_list("created_at", "acknowledged_at")
    )
    return {
        "open_by_severity": [
            (label, by_severity.get(value, 0)) for value, label in reversed(Severity.choices)
        ],
        "overdue_now": active.filter(status=Flag.Status.OPEN, ack_deadline__lte=now).count(),
        "breaches_30_days": FlagEvent.objects.filter(
            kind=FlagEvent.Kind.ESCALATED, at__gte=since, detail__missed_deadline=True
        ).count(),
        "raised_30_days": Flag.objects.filter(created_at__gte=since).count(),
        "median_ack_minutes": round(statistics.median(ack_times) / 60, 1) if ack_times else None,
        "on_call": list(
            OnCall.objects.select_related("user")
            .order_by("since")
            .values_list("user__full_name", flat=True)
        ),
    }


def clinician_is_on_call(*, user: Any) -> bool:
    return OnCall.objects.filter(user=user).exists()


# --- Safety plans --------------------------------------------------------------------------------


def safety_plan_for(*, patient: Any) -> SafetyPlan:
    """The patient's plan, or an unsaved empty one."""
    return SafetyPlan.objects.filter(patient=patient).first() or SafetyPlan(patient=patient)


def patient_for_safety_plan(*, user: Any, patient_id: int, request: HttpRequest | None = None):
    """A patient whose plan the user may see (their own, or as care team); else 404. Staff
    reads are audited."""
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).first()
    if patient is None or not permissions.can_view_safety_plan(user, patient):
        raise Http404("No such patient.")
    if user.pk != patient.pk:
        audit_record(
            actor=user,
            action="safety_plan.viewed",
            subject=patient,
            request=request,
        )
    return patient


def active_clinicians() -> QuerySet[User]:
    return User.objects.filter(role=Role.CLINICIAN, is_active=True).order_by("full_name", "id")
