"""Consents and the texts they point at. Only the patient gives or withdraws their consent;
each consent names the exact version of the words agreed to."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from core.exceptions import StateConflict
from core.services import audit_record, notification_send
from onboarding import hooks, markup, permissions, readability
from onboarding.gate import programme_forget
from onboarding.models import Consent, ContentVersion, Journey, StepRecord
from onboarding.registry import steps
from onboarding.selectors import CONSENT_TEXT_KEYS, content_current
from onboarding.services.journeys import StepNotReachable, step_complete, step_reopen
from onboarding.steps import CONSENT, TRIAL_CONSENT


class StaleText(Exception):
    """The form was answered on an older version of the text than the one in force now."""

    def __init__(self, current: ContentVersion) -> None:
        super().__init__(current.version)
        self.current = current


def _consent_step_complete(patient: User, by: User) -> None:
    """The journey's consent step is done once a programme consent is in force."""
    done = StepRecord.objects.filter(
        journey__patient=patient, step=CONSENT, completed_at__isnull=False
    ).exists()
    if done or not Journey.objects.filter(patient=patient).exists():
        return
    try:
        step_complete(patient=patient, step=CONSENT, by=by)
    except StepNotReachable as exc:
        # Agreeing from the account pages while the first steps are still to read: the
        # whole consent is undone (this transaction), and the person is sent to them.
        raise StateConflict(
            _("Read the first steps of setting up before agreeing to take part.")
        ) from exc


@transaction.atomic
def consent_give(
    *, patient: User, by: User, kind: str, version: int, request: HttpRequest | None = None
) -> Consent:
    """Record the patient's consent to the version of the text they read.

    Refused when anyone but the patient gives it, when the text has changed since the page
    was opened (StaleText: the person must read the new words), or, for the programme, before
    the patient has reached the agreement step of their onboarding (StateConflict). Sending the
    same form twice returns the consent already given; agreeing to a newer version replaces the
    older one.
    """
    if not permissions.can_give_consent(by, patient):
        raise PermissionDenied("Only the patient can give their consent.")
    if kind not in Consent.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of consent.")})
    if kind == Consent.Kind.TRIAL:
        trial_step = steps.get(TRIAL_CONSENT)
        if trial_step is None or not steps.applies(trial_step, patient):
            raise StateConflict(_("There is no study you can take part in at the moment."))
        if not Consent.objects.filter(
            patient=patient, kind=Consent.Kind.PROGRAMME, withdrawn_at__isnull=True
        ).exists():
            raise StateConflict(_("Agree to take part in the programme first."))
    text = content_current(key=CONSENT_TEXT_KEYS[kind])
    if text is None:
        raise StateConflict(_("There is nothing to agree to yet. Please ask your care team."))
    if text.version != version:
        raise StaleText(text)
    existing = (
        Consent.objects.select_for_update()
        .filter(patient=patient, kind=kind, withdrawn_at__isnull=True)
        .first()
    )
    if existing is not None and existing.text_id == text.pk:
        if kind == Consent.Kind.PROGRAMME:
            _consent_step_complete(patient, by)  # agreed elsewhere before the journey began
        return existing
    now = timezone.now()
    if existing is not None:
        existing.withdrawn_at = now
        existing.withdrawal_reason = Consent.WithdrawalReason.SUPERSEDED
        existing.save(update_fields=["withdrawn_at", "withdrawal_reason"])
    try:
        with transaction.atomic():
            consent = Consent.objects.create(patient=patient, kind=kind, text=text, given_at=now)
    except IntegrityError:  # the same form sent twice at the same moment
        return Consent.objects.get(patient=patient, kind=kind, withdrawn_at__isnull=True)
    if kind == Consent.Kind.PROGRAMME:
        PatientProfile.objects.filter(
            user=patient, programme_status=PatientProfile.ProgrammeStatus.WITHDRAWN
        ).update(programme_status=PatientProfile.ProgrammeStatus.ACTIVE, updated_at=now)
        programme_forget(patient)
    audit_record(
        actor=by,
        action="consent.given",
        subject=patient,
        target=consent,
        detail={"kind": kind, "version": text.version},
        request=request,
    )
    hooks.consent_given.run(consent=consent, by=by)
    if kind == Consent.Kind.PROGRAMME:
        _consent_step_complete(patient, by)
    return consent


@transaction.atomic
def consent_withdraw(
    *, patient: User, by: User, kind: str, reason: str, request: HttpRequest | None = None
) -> Consent:
    """Withdraw a consent. Withdrawing from the programme stops reminders and closes its pages
    (crisis help stays open); the patient's clinician is told; agreeing again reopens it."""
    if not permissions.can_give_consent(by, patient):
        raise PermissionDenied("Only the patient can withdraw their consent.")
    if (
        reason not in Consent.WithdrawalReason.values
        or reason == Consent.WithdrawalReason.SUPERSEDED
    ):
        raise ValidationError({"reason": _("Choose one of the reasons, or 'rather not say'.")})
    consent = (
        Consent.objects.select_for_update()
        .filter(patient=patient, kind=kind, withdrawn_at__isnull=True)
        .first()
    )
    if consent is None:
        raise StateConflict(_("You have not agreed to this, or you already withdrew."))
    now = timezone.now()
    consent.withdrawn_at = now
    consent.withdrawal_reason = reason
    consent.save(update_fields=["withdrawn_at", "withdrawal_reason"])
    audit_record(
        actor=by,
        action="consent.withdrawn",
        subject=patient,
        target=consent,
        detail={"kind": kind, "reason": reason},
        request=request,
    )
    hooks.consent_withdrawn.run(consent=consent, by=by)
    if kind == Consent.Kind.PROGRAMME:
        profile = PatientProfile.objects.select_related("clinician").filter(user=patient).first()
        if profile is not None:
            profile.programme_status = PatientProfile.ProgrammeStatus.WITHDRAWN
            profile.updated_at = now
            profile.save(update_fields=["programme_status", "updated_at"])
            notification_send(
                recipient=profile.clinician,
                kind="onboarding.withdrawn",
                title=_("A patient withdrew from the Exhale programme"),
                body=_(
                    "%(name)s withdrew their consent to the programme (%(reason)s). Reminders have "
                    "stopped. Crisis support stays open to them, and they can rejoin at any time."
                )
                % {"name": patient.full_name, "reason": consent.get_withdrawal_reason_display()},
                url=reverse("accounts:patient_detail", args=[patient.pk]),
            )
        step_reopen(patient=patient, step=CONSENT, by=by)
        programme_forget(patient)
    return consent


# --- Texts ---------------------------------------------------------------------------------------


def content_problems(*, key: str, body: str) -> list[str]:
    """What is wrong with a text before it can be saved: markup problems and, for the easy-read
    explainer, a reading ease below the floor."""
    found = list(markup.problems(body))
    if key == ContentVersion.Key.PRIVACY_EASY and not found:
        score = readability.flesch_reading_ease(markup.plain_text(body))
        if score < readability.EASY_READ_MINIMUM:
            found.append(
                _(
                    "This easy-read text scores %(score).0f for reading ease; it must score at "
                    "least %(minimum).0f. Use shorter sentences and everyday words."
                )
                % {"score": score, "minimum": readability.EASY_READ_MINIMUM}
            )
    return found


@transaction.atomic
def content_version_create(
    *, key: str, title: str, body: str, by: User | None, change_note: str = ""
) -> ContentVersion:
    """A new draft version of a text (never an edit of a published one)."""
    if by is not None and not permissions.can_manage_content(by):
        raise PermissionDenied("Only admins edit onboarding texts.")
    if key not in ContentVersion.Key.values:
        raise ValidationError({"key": _("Unknown text.")})
    problems = content_problems(key=key, body=body)
    if problems:
        raise ValidationError({"body": problems})
    if not title.strip():
        raise ValidationError({"title": _("Give the text a title.")})
    latest = (
        ContentVersion.objects.select_for_update()
        .filter(key=key)
        .aggregate(latest=Max("version"))["latest"]
    )
    version = ContentVersion.objects.create(
        key=key,
        version=(latest or 0) + 1,
        title=title.strip(),
        body=body.strip(),
        change_note=change_note.strip(),
        created_by=by,
    )
    audit_record(actor=by, action="content.version_created", target=version, detail={"key": key})
    return version


@transaction.atomic
def content_approve(*, version: ContentVersion, approver: User, by: User) -> ContentVersion:
    """Record who approved these words (a clinician or an admin) and when. A published version
    not yet approved (the standard texts a deployment starts with) may be approved in place:
    approving changes no word. A version is approved once."""
    if not permissions.can_manage_content(by):
        raise PermissionDenied("Only admins record approvals.")
    if not approver.is_active or not (approver.is_clinician or approver.is_admin):
        raise ValidationError({"approved_by": _("Choose an active clinician or admin.")})
    if version.is_approved:
        raise StateConflict(_("This version is already approved: make a new version to change it."))
    version.approved_by = approver
    version.approved_at = timezone.now()
    version.save(update_fields=["approved_by", "approved_at"])
    audit_record(
        actor=by,
        action="content.approved",
        target=version,
        detail={"key": version.key, "version": version.version, "approver": approver.pk},
    )
    return version


@transaction.atomic
def content_publish(*, version: ContentVersion, by: User) -> ContentVersion:
    """Make an approved version the one patients see. Consents given to an earlier version stay
    pointing at it; patients are asked to agree to the new one the next time they need to."""
    if not permissions.can_manage_content(by):
        raise PermissionDenied("Only admins publish onboarding texts.")
    if not version.is_approved:
        raise StateConflict(_("Approve this version before publishing it."))
    current = content_current(key=version.key)
    if version.published_at is None and current is not None and current.version > version.version:
        raise StateConflict(
            _("A newer version (%(n)s) is in use: make a new version from these words instead.")
            % {"n": current.version}
        )
    if version.published_at is None:
        version.published_at = timezone.now()
        version.save(update_fields=["published_at"])
        audit_record(
            actor=by,
            action="content.published",
            target=version,
            detail={"key": version.key, "version": version.version},
        )
    return version
