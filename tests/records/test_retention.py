"""Retention: short-lived data is deleted when its time is up (daily, in batches, idempotent),
a dry run only counts, and health records past 20 years are listed for review, never deleted.
Time moves by passing `now=` to the service: the clock is not patched."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from accounts.models import ApiToken, Invitation, PatientProfile
from cessation.models import CheckIn
from core.models import AuditEvent, Notification, NotificationDelivery
from core.services import notification_send
from records.services import retention
from records.services.retention import (
    APPLIED,
    REVIEW_NOTICE_KIND,
    records_due_for_review,
    retention_apply,
    retention_counts,
    years_before,
)
from records.tasks import retention_apply_task
from tests.cessation.factories import CheckInFactory
from tests.factories import AdminFactory, InvitationFactory
from tests.peersupport.helpers import a_patient
from tests.trials.helpers import a_recruiting_trial
from tests.trials.participation_helpers import a_randomised_patient

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _session(expires):
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=expires)
    return store.session_key


def _notice(recipient, *, age: timedelta, status: str, now):
    notification = notification_send(recipient=recipient, kind="test", title="t", body="b")
    Notification.objects.filter(pk=notification.pk).update(created_at=now - age)
    NotificationDelivery.objects.filter(notification=notification).update(
        status=status, created_at=now - age
    )
    return notification


@pytest.fixture
def old_and_new():
    """Of each kind, one row past its time and one not yet."""
    now = timezone.now()
    patient = a_patient(full_name="Robin Retention", email="robin.retention@example.org")
    by = patient.patient_profile.clinician
    ids = {
        "session_old": _session(now - DAY),
        "session_live": _session(now + DAY),
        "invitation_old": InvitationFactory(expires_at=now - 31 * DAY, invited_by=by).pk,
        "invitation_recent": InvitationFactory(expires_at=now - 2 * DAY, invited_by=by).pk,
        "invitation_revoked_old": InvitationFactory(revoked_at=now - 31 * DAY, invited_by=by).pk,
        "invitation_accepted": InvitationFactory(
            expires_at=now - 400 * DAY, accepted_at=now - 410 * DAY, invited_by=by
        ).pk,
        "notice_old": _notice(patient, age=400 * DAY, status="sent", now=now).pk,
        "notice_old_pending": _notice(patient, age=400 * DAY, status="pending", now=now).pk,
        "notice_mid": _notice(patient, age=100 * DAY, status="sent", now=now).pk,
        "notice_new": _notice(patient, age=DAY, status="sent", now=now).pk,
    }
    for name, expires, revoked in (
        ("token_expired", now - 31 * DAY, None),
        ("token_revoked", now + 300 * DAY, now - 31 * DAY),
        ("token_live", now + 300 * DAY, None),
    ):
        ids[name] = ApiToken.objects.create(
            user=patient,
            name=name,
            key_hash=name.ljust(64, "0"),
            prefix=name[:8],
            expires_at=expires,
            revoked_at=revoked,
        ).pk
    address = EmailAddress.objects.get(user=patient)
    confirmation = EmailConfirmation.objects.create(email_address=address, key="k" * 64)
    EmailConfirmation.objects.filter(pk=confirmation.pk).update(sent=now - 10 * DAY)
    ids["confirmation_old"] = confirmation.pk
    return now, patient, ids


def test_a_dry_run_counts_and_changes_nothing(old_and_new):
    now, _patient, _ids = old_and_new
    before = (Session.objects.count(), Invitation.objects.count(), Notification.objects.count())
    counts = retention_counts(now=now)
    assert counts == {
        "sessions": 1,
        "email_confirmations": 1,
        "invitations_unused": 2,
        "api_tokens": 2,
        "notification_deliveries": 2,  # the 400- and 100-day-old sent ones
        "notifications": 1,  # the 400-day-old one; the pending one waits for its delivery
        "records_due_for_review": 0,
    }
    after = (Session.objects.count(), Invitation.objects.count(), Notification.objects.count())
    assert after == before
    assert not AuditEvent.objects.filter(action=APPLIED).exists()


def test_applying_deletes_what_is_past_its_time_once_and_keeps_the_rest(old_and_new):
    now, patient, ids = old_and_new
    counts = retention_apply(now=now, batch_size=1)  # batches of one: every loop is exercised

    assert counts["sessions"] == 1
    assert set(Session.objects.values_list("session_key", flat=True)) >= {ids["session_live"]}
    assert not Session.objects.filter(session_key=ids["session_old"]).exists()
    assert set(Invitation.objects.values_list("pk", flat=True)) == {
        ids["invitation_recent"],
        ids["invitation_accepted"],
    }
    assert set(ApiToken.objects.values_list("pk", flat=True)) == {ids["token_live"]}
    assert not EmailConfirmation.objects.filter(pk=ids["confirmation_old"]).exists()
    assert set(Notification.objects.values_list("pk", flat=True)) == {
        ids["notice_old_pending"],
        ids["notice_mid"],
        ids["notice_new"],
    }
    assert set(NotificationDelivery.objects.values_list("status", "notification_id")) == {
        ("pending", ids["notice_old_pending"]),
        ("sent", ids["notice_new"]),
    }
    # The account and its health record are untouched.
    patient.refresh_from_db()
    assert patient.is_active

    audit = AuditEvent.objects.get(action=APPLIED)
    assert audit.actor_id is None
    assert audit.detail == counts
    assert "robin" not in str(audit.detail).lower()

    again = retention_apply(now=now)
    assert not any(again.values())


def test_the_command_dry_run_prints_counts_only(old_and_new, caplog):
    _now, patient, _ids = old_and_new
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "would delete expired sessions: 1" in text
    assert "would delete invitations never accepted (expired or revoked): 2" in text
    for secret in (patient.full_name, patient.email):
        assert secret not in text
    assert Invitation.objects.count() == 4


def test_the_beat_runs_the_task_daily_and_it_logs_no_one(old_and_new, caplog):
    _now, patient, _ids = old_and_new
    entry = settings.CELERY_BEAT_SCHEDULE["records-retention"]
    assert entry["task"] == retention_apply_task.name
    with caplog.at_level("INFO", logger="records"):
        counts = retention_apply_task.apply().get()
    assert counts["sessions"] == 1
    assert counts["invitations_unused"] == 2
    assert patient.full_name not in caplog.text
    assert patient.email not in caplog.text


# --- The health record: 20 years after the last contact ----------------------------------------


def test_a_record_is_due_for_review_20_years_after_the_last_contact_and_is_kept():
    now = timezone.now()
    quiet = a_patient(full_name="Quiet Example")
    active = a_patient(full_name="Active Example")
    CheckInFactory(patient=active)
    CheckIn.objects.filter(patient=active).update(created_at=now + timedelta(days=5 * 365))

    in_19_years = now + timedelta(days=19 * 365)
    in_21_years = now + timedelta(days=21 * 365)
    assert not records_due_for_review(now=in_19_years).exists()
    assert set(records_due_for_review(now=in_21_years)) == {quiet}  # active checked in later


def test_the_admins_are_told_once_a_month_about_records_due_and_nothing_is_deleted():
    now = timezone.now()
    quiet = a_patient(full_name="Quiet Example")
    long_ago = now - timedelta(days=21 * 365)
    type(quiet).objects.filter(pk=quiet.pk).update(date_joined=long_ago, last_login=None)
    PatientProfile.objects.filter(user=quiet).update(updated_at=long_ago)
    admin = AdminFactory(password=None, mfa=False)

    counts = retention_apply()
    assert counts["records_due_for_review"] == 1
    quiet.refresh_from_db()
    assert quiet.is_active  # listed for review, never deleted by a job
    assert PatientProfile.objects.filter(user=quiet).exists()
    notices = Notification.objects.filter(kind=REVIEW_NOTICE_KIND)
    assert list(notices.values_list("recipient", flat=True)) == [admin.pk]
    assert "Quiet" not in notices.get().body
    # Told again at most every 30 days, not every night.
    assert retention_apply()["review_notices"] == 0
    assert notices.count() == 1


def test_a_study_participant_is_held_for_the_study_retention_after_the_trial_closes():
    trial = a_recruiting_trial()
    patient, _participant = a_randomised_patient(trial)
    now = timezone.now()
    in_21_years = now + timedelta(days=21 * 365)
    assert patient not in records_due_for_review(now=in_21_years)  # the trial is still open

    trial.closed_at = in_21_years - timedelta(days=2 * 365)
    trial.save(update_fields=["closed_at"])
    assert patient not in records_due_for_review(now=in_21_years)  # 2 of 5 years after closing
    trial_over = in_21_years + timedelta(days=4 * 365)
    assert patient in records_due_for_review(now=trial_over)


def test_years_before_handles_29_february():
    leap = timezone.now().replace(year=2028, month=2, day=29)
    assert years_before(leap, 21).date().isoformat() == "2007-02-28"
    assert retention.Limits.from_settings().record_years == 20
