"""Retention: what Exhale deletes by itself when its time is up, and which records have reached
the end of their retention period and need a person to review them (docs/data-protection.md,
"Retention").

Short-lived operational data is deleted automatically, every day, in batches:

| rule                     | what                                                             |
| ------------------------ | ---------------------------------------------------------------- |
| sessions                 | sessions past their expiry (Django's `clearsessions`)            |
| email_confirmations      | allauth email-confirmation keys past their expiry                |
| invitations_unused       | invitations never accepted, expired or revoked N days ago       |
| api_tokens               | API tokens expired or revoked over N days ago                    |
| notification_deliveries  | deliveries sent or given up over N days ago                      |
| notifications            | notices older than N days (the record they point at stays)       |

The health record itself (20 years after the last contact) is never deleted by a job: the NHS
Records Management Code of Practice asks for a review before destruction. `records_due_for_review`
selects the patients past that limit (and past the study's retention if they took part in one);
the daily run counts them and tells the admins, at most once every REVIEW_NOTICE_DAYS.

Everything takes `now=`, so tests move time without patching the clock. Logs and the audit
row hold counts only, never who.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken, Invitation, Role, User
from cessation.models import CheckIn
from core.models import Notification, NotificationDelivery
from core.services import audit_record, notification_send
from trials.models import Participant

logger = logging.getLogger(__name__)

APPLIED = "records.retention_applied"
REVIEW_NOTICE_KIND = "records.retention_review"
REVIEW_NOTICE_DAYS = 30


@dataclass(frozen=True)
class Limits:
    record_years: int
    trial_years: int
    access_days: int
    delivery_days: int
    notification_days: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            record_years=settings.RETENTION_RECORD_YEARS,
            trial_years=settings.RETENTION_TRIAL_YEARS,
            access_days=settings.RETENTION_EXPIRED_ACCESS_DAYS,
            delivery_days=settings.RETENTION_DELIVERY_DAYS,
            notification_days=settings.RETENTION_NOTIFICATION_DAYS,
        )


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


# --- Short-lived data: what each rule deletes (or clears) --------------------------------------


def _expired_sessions(now: datetime, limits: Limits) -> QuerySet:
    return Session.objects.filter(expire_date__lt=now)


def _expired_confirmations(now: datetime, limits: Limits) -> QuerySet:
    from allauth.account import app_settings
    from allauth.account.models import EmailConfirmation

    days = app_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS
    return EmailConfirmation.objects.filter(
        Q(sent__lt=now - timedelta(days=days))
        | Q(sent__isnull=True, created__lt=now - timedelta(days=days))
    )


def _unused_invitations(now: datetime, limits: Limits) -> QuerySet:
    before = now - timedelta(days=limits.access_days)
    return Invitation.objects.filter(accepted_at__isnull=True).filter(
        Q(revoked_at__lt=before) | Q(revoked_at__isnull=True, expires_at__lt=before)
    )


def _spent_api_tokens(now: datetime, limits: Limits) -> QuerySet:
    before = now - timedelta(days=limits.access_days)
    return ApiToken.objects.filter(Q(revoked_at__lt=before) | Q(expires_at__lt=before))


def _finished_deliveries(now: datetime, limits: Limits) -> QuerySet:
    return NotificationDelivery.objects.filter(
        status__in=[NotificationDelivery.Status.SENT, NotificationDelivery.Status.FAILED],
        created_at__lt=now - timedelta(days=limits.delivery_days),
    )


def _old_notifications(now: datetime, limits: Limits) -> QuerySet:
    # A notice still waiting to be delivered is kept, whatever its age.
    pending = NotificationDelivery.objects.filter(
        notification=OuterRef("pk"), status=NotificationDelivery.Status.PENDING
    )
    return Notification.objects.filter(
        created_at__lt=now - timedelta(days=limits.notification_days)
    ).exclude(pk__in=Subquery(pending.values("notification")))


DELETE_RULES = {
    "sessions": _expired_sessions,
    "email_confirmations": _expired_confirmations,
    "invitations_unused": _unused_invitations,
    "api_tokens": _spent_api_tokens,
    "notification_deliveries": _finished_deliveries,
    "notifications": _old_notifications,
}


def _delete_in_batches(queryset: QuerySet, batch_size: int) -> int:
    model = queryset.model
    total = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.order_by().values_list("pk", flat=True)[:batch_size])
            if not ids:
                return total
            model._default_manager.filter(pk__in=ids).delete()
        total += len(ids)


# --- The health record: reached the end of its retention --------------------------------------


def records_due_for_review(*, now: datetime | None = None, limits: Limits | None = None):
    """Patients whose last contact is older than the record retention period, and who are not
    held for a study (a study still open, or closed less than the study retention ago)."""
    now = now or timezone.now()
    limits = limits or Limits.from_settings()
    latest_check_in = (
        CheckIn.objects.filter(patient=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    held_for_study = Participant.objects.filter(patient=OuterRef("pk")).filter(
        Q(trial__closed_at__isnull=True)
        | Q(trial__closed_at__gte=years_before(now, limits.trial_years))
    )
    return (
        User.objects.filter(role=Role.PATIENT)
        .annotate(
            last_contact=Greatest(
                F("date_joined"),
                Coalesce(F("last_login"), F("date_joined")),
                Coalesce(F("patient_profile__updated_at"), F("date_joined")),
                Coalesce(Subquery(latest_check_in), F("date_joined")),
            )
        )
        .filter(last_contact__lt=years_before(now, limits.record_years))
        .exclude(pk__in=held_for_study.values("patient"))
    )


def _review_notice(now: datetime, due: int) -> int:
    """Tell the active admins how many records await review, at most every REVIEW_NOTICE_DAYS."""
    recent = Notification.objects.filter(
        kind=REVIEW_NOTICE_KIND, created_at__gte=now - timedelta(days=REVIEW_NOTICE_DAYS)
    )
    if not due or recent.exists():
        return 0
    sent = 0
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True):
        notification_send(
            recipient=admin,
            kind=REVIEW_NOTICE_KIND,
            title="Records have reached the end of their retention period",
            body=(
                f"{due} patient records are past their retention period and await review "
                "before destruction (docs/data-protection.md, Retention). Run "
                "'manage.py apply_retention --dry-run' to see the counts."
            ),
            url=reverse("admin:index"),
        )
        sent += 1
    return sent


# --- The run ------------------------------------------------------------------------------------


def retention_counts(*, now: datetime | None = None, limits: Limits | None = None) -> dict:
    """What a run would do, as counts: nothing is changed."""
    now = now or timezone.now()
    limits = limits or Limits.from_settings()
    counts = {name: rule(now, limits).count() for name, rule in DELETE_RULES.items()}
    counts["records_due_for_review"] = records_due_for_review(now=now, limits=limits).count()
    return counts


def retention_apply(
    *, now: datetime | None = None, limits: Limits | None = None, batch_size: int = 1000
) -> dict[str, int]:
    """Delete what has passed its time, in batches (each batch its own transaction, so a long
    run holds no long lock and an interrupted one resumes where it stopped); count the records
    due for review and tell the admins. Idempotent: a second run finds nothing more to do."""
    now = now or timezone.now()
    limits = limits or Limits.from_settings()
    counts = {
        name: _delete_in_batches(rule(now, limits), batch_size)
        for name, rule in DELETE_RULES.items()
    }
    due = records_due_for_review(now=now, limits=limits).count()
    counts["records_due_for_review"] = due
    with transaction.atomic():
        counts["review_notices"] = _review_notice(now, due)
        audit_record(actor=None, action=APPLIED, detail=dict(counts))
    logger.info("retention applied: %s", counts)
    return counts
