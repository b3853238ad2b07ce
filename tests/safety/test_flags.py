"""Raising a flag: one transaction with what raised it, a notice queued on commit, deadlines per
severity, no patient name by email, evidence encrypted at rest, and dedupe of repeat signals."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from core import services as core_services
from core import tasks
from core.models import AuditEvent, Notification, NotificationDelivery
from safety import services
from safety.models import Flag, FlagEvent, FlagRecipient, FlagSignal, Severity
from safety.screening import Evidence, Verdict
from tests.safety.factories import (
    PATIENT_EMAIL,
    PATIENT_FIRST_NAME,
    PATIENT_LAST_NAME,
    PATIENT_NAME,
    FlagFactory,
    make_team,
    postgres_only,
    raise_flag,
    raw_column,
    run_in_threads,
)

pytestmark = pytest.mark.django_db

CANARY = "CANARY-9c1e saving up my tablets for friday"
EVIDENCE = [
    {
        "category": "crisis",
        "rule_id": "crisis.means.stockpile",
        "excerpt": CANARY,
        "reason": "is saving up tablets (means)",
    }
]


def _kinds(flag: Flag) -> list[str]:
    return list(flag.events.order_by("at", "id").values_list("kind", flat=True))


def _notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="safety_flag").order_by("id"))


# --- flag_raise -------------------------------------------------------------------------------


def test_raise_writes_the_flag_its_signal_event_audit_recipient_and_notice(
    team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        flag = raise_flag(
            team.patient,
            severity=Severity.HIGH,
            evidence=EVIDENCE,
            source_ref="peersupport.post:42",
        )

    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN
    assert flag.category == Flag.Category.CRISIS
    assert flag.source == Flag.Source.POST
    assert flag.source_ref == "peersupport.post:42"
    assert (flag.severity, flag.severity_rank) == ("high", 3)
    assert flag.handled_by == team.clinician
    assert flag.escalation_level == 0
    assert flag.signal_count == 1

    signal = FlagSignal.objects.get(flag=flag)
    assert signal.source == Flag.Source.POST
    assert signal.severity == Severity.HIGH
    assert signal.raised_by is None
    assert json.loads(signal.evidence) == EVIDENCE

    assert _kinds(flag) == [FlagEvent.Kind.RAISED, FlagEvent.Kind.NOTIFIED]
    audit = AuditEvent.objects.get(action="flag.raised")
    assert audit.subject_id == team.patient.pk
    assert (audit.target_type, audit.target_id) == ("safety.flag", str(flag.pk))
    assert audit.actor_id is None
    assert audit.detail == {"category": "crisis", "severity": "high", "source": "post"}

    recipient = FlagRecipient.objects.get(flag=flag)
    assert (recipient.user, recipient.level) == (team.clinician, 0)

    [notice] = Notification.objects.all()
    assert notice.recipient == team.clinician
    assert notice.kind == "safety_flag"
    assert notice.url == flag.get_absolute_url()
    assert notice.urgent is True
    [delivery] = notice.deliveries.all()
    assert delivery.channel == "email"
    assert delivery.status == NotificationDelivery.Status.PENDING
    # Only the queued delivery task waits for the commit.
    assert len(callbacks) == 1
    # Nobody else heard of it.
    assert not Notification.objects.exclude(recipient=team.clinician).exists()


def test_raise_belongs_to_the_callers_transaction_and_rolls_back_with_it(
    team, django_capture_on_commit_callbacks
):
    class CallerFailed(Exception):
        pass

    def caller():
        with transaction.atomic():
            raise_flag(team.patient, evidence=EVIDENCE)
            raise CallerFailed

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(CallerFailed),
    ):
        caller()

    assert callbacks == []  # nothing queued for a flag that never existed
    assert not Flag.objects.exists()
    assert not FlagSignal.objects.exists()
    assert not FlagEvent.objects.exists()
    assert not FlagRecipient.objects.exists()
    assert not Notification.objects.exists()
    assert not NotificationDelivery.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="flag.").exists()


def test_the_notice_is_queued_only_when_the_caller_commits(
    team, django_capture_on_commit_callbacks
):
    with mock.patch.object(tasks.notification_deliver_task, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            raise_flag(team.patient, severity=Severity.CRITICAL)
            assert not apply_async.called
        assert not apply_async.called  # captured, not yet run: the commit has not happened
        for callback in callbacks:
            callback()

    delivery = NotificationDelivery.objects.get()
    apply_async.assert_called_once_with(args=[delivery.pk], queue="escalation", ignore_result=True)


@pytest.mark.parametrize(
    ("severity", "minutes", "queue"),
    [
        (Severity.CRITICAL, 60, "escalation"),
        (Severity.HIGH, 240, "escalation"),
        (Severity.MEDIUM, 1440, "default"),
        (Severity.LOW, 4320, "default"),
    ],
)
def test_deadline_and_queue_follow_the_severity(
    team, django_capture_on_commit_callbacks, severity, minutes, queue
):
    now = timezone.now()
    with (
        mock.patch.object(tasks.notification_deliver_task, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        flag = raise_flag(team.patient, severity=severity, now=now)

    flag.refresh_from_db()
    assert flag.ack_deadline == now + timedelta(minutes=minutes)
    assert flag.severity_rank == {"low": 1, "medium": 2, "high": 3, "critical": 4}[severity]
    notice = Notification.objects.get(recipient=team.clinician)
    assert notice.urgent is (queue == "escalation")
    apply_async.assert_called_once_with(
        args=[notice.deliveries.get().pk], queue=queue, ignore_result=True
    )


def test_deadlines_are_configurable(team):
    now = timezone.now()
    minutes = {"critical": 15, "high": 30, "medium": 120, "low": 600}

    with override_settings(SAFETY_ACK_DEADLINE_MINUTES=minutes):
        flag = raise_flag(team.patient, severity=Severity.CRITICAL, now=now)
        low = raise_flag(
            team.patient, category=Flag.Category.PERSONAL_INFO, severity=Severity.LOW, now=now
        )

    assert flag.ack_deadline == now + timedelta(minutes=15)
    assert low.ack_deadline == now + timedelta(minutes=600)


def test_the_email_and_title_never_name_the_patient_but_the_app_does(
    team, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=False):
        flag = raise_flag(team.patient, severity=Severity.CRITICAL, evidence=EVIDENCE)
    notice = Notification.objects.get(recipient=team.clinician)

    status = core_services.notification_delivery_attempt(delivery_id=notice.deliveries.get().pk)

    assert status == "sent"
    [email] = mailoutbox
    assert email.to == [team.clinician.email]
    assert notice.title in email.subject
    assert f"http://testserver{flag.get_absolute_url()}" in email.body
    sent = "\n".join(
        [
            email.subject,
            email.body,
            *(str(content) for content, _mime in getattr(email, "alternatives", [])),
        ]
    )
    for identifying in (PATIENT_NAME, PATIENT_FIRST_NAME, PATIENT_LAST_NAME, PATIENT_EMAIL):
        assert identifying.lower() not in sent.lower()
        assert identifying.lower() not in notice.title.lower()
    assert "CANARY" not in sent
    assert "critical" in notice.title.lower()
    # In the app, behind a login and a second factor, the clinician is told who it is.
    assert PATIENT_NAME in notice.body


def test_evidence_is_encrypted_at_rest(team):
    flag = raise_flag(team.patient, evidence=EVIDENCE)
    signal = flag.signals.get()

    raw = raw_column("safety_flagsignal", "evidence", "id", signal.pk)

    assert raw
    assert "CANARY" not in raw
    assert "tablets" not in raw
    assert CANARY in FlagSignal.objects.get(pk=signal.pk).evidence


def test_an_unknown_severity_category_or_source_is_refused_and_writes_nothing(team):
    with pytest.raises(ValueError, match="severity"):
        raise_flag(team.patient, severity="none")
    with pytest.raises(ValueError, match="category"):
        raise_flag(team.patient, category="gossip")
    with pytest.raises(ValueError, match="source"):
        raise_flag(team.patient, source="pigeon")

    assert not Flag.objects.exists()
    assert not Notification.objects.exists()


def test_a_screening_verdict_that_does_not_escalate_raises_nothing(team):
    verdict = Verdict(action="hold", severity="medium", categories=("personal_info",), evidence=())

    assert (
        services.flag_raise_from_screening(
            patient=team.patient, verdict=verdict, source=Flag.Source.POST
        )
        is None
    )
    assert not Flag.objects.exists()


def test_a_screening_verdict_that_escalates_raises_a_crisis_flag_with_its_evidence(team):
    verdict = Verdict(
        action="escalate",
        severity="critical",
        categories=("harmful_advice", "crisis"),
        evidence=(
            Evidence(
                category="crisis",
                rule_id="crisis.means.stockpile",
                excerpt=CANARY,
                start=0,
                end=len(CANARY),
                reason="is saving up tablets (means)",
                severity="critical",
            ),
        ),
        summary="Possible crisis: is saving up tablets",
    )

    flag = services.flag_raise_from_screening(
        patient=team.patient, verdict=verdict, source=Flag.Source.REPLY, source_ref="r:7"
    )

    assert flag.category == Flag.Category.CRISIS  # crisis wins over the other categories
    assert flag.severity == Severity.CRITICAL
    assert flag.source == Flag.Source.REPLY
    assert flag.summary == "Possible crisis: is saving up tablets"
    assert json.loads(flag.signals.get().evidence) == EVIDENCE


def test_an_abuse_verdict_without_a_known_severity_raises_a_high_abuse_flag(team):
    verdict = Verdict(action="escalate", severity="none", categories=("abuse",), evidence=())

    flag = services.flag_raise_from_screening(
        patient=team.patient, verdict=verdict, source=Flag.Source.MESSAGE
    )

    assert (flag.category, flag.severity) == (Flag.Category.ABUSE, Severity.HIGH)


# --- dedupe ----------------------------------------------------------------------------------


def test_a_repeat_signal_while_open_is_added_to_the_same_flag(team):
    first_at = timezone.now() - timedelta(minutes=20)
    flag = raise_flag(team.patient, now=first_at)
    deadline = flag.ack_deadline

    again = raise_flag(
        team.patient, source=Flag.Source.CHECKIN, summary="Crisis words in a check-in"
    )

    assert again.pk == flag.pk
    assert Flag.objects.count() == 1
    flag.refresh_from_db()
    assert flag.signal_count == 2
    assert flag.signals.count() == 2
    assert list(flag.signals.values_list("source", flat=True)) == ["post", "checkin"]
    assert flag.last_signal_at > first_at
    assert flag.ack_deadline == deadline  # same severity: the clock is not reset
    assert _kinds(flag) == ["raised", "notified", "signal_added"]
    # The same concern again on an open flag is not news: no second alarm.
    assert len(_notices(team.clinician)) == 1
    assert AuditEvent.objects.filter(action="flag.signal_added", target_id=str(flag.pk)).exists()


def test_a_signal_of_another_category_is_a_new_flag(team):
    crisis = raise_flag(team.patient, category=Flag.Category.CRISIS)

    abuse = raise_flag(team.patient, category=Flag.Category.ABUSE)

    assert abuse.pk != crisis.pk
    assert Flag.objects.filter(patient=team.patient).count() == 2
    assert crisis.signals.count() == abuse.signals.count() == 1


def test_the_same_category_for_another_patient_is_a_new_flag(team):
    other = make_team(full_name="Someone Else", email="someone.else@example.org")
    first = raise_flag(team.patient)

    second = raise_flag(other.patient)

    assert first.pk != second.pk
    assert second.handled_by == other.clinician


def test_after_resolution_a_new_signal_opens_a_new_flag(team):
    old = raise_flag(team.patient)
    services.flag_resolve(flag=old, by=team.clinician, outcome=Flag.Outcome.CONTACTED_SAFE)

    new = raise_flag(team.patient)

    assert new.pk != old.pk
    old.refresh_from_db()
    assert old.status == Flag.Status.RESOLVED
    assert old.signal_count == 1
    assert new.status == Flag.Status.OPEN
    assert len(_notices(team.clinician)) == 2


def test_a_more_severe_signal_raises_severity_brings_the_deadline_forward_and_notifies(team):
    raised_at = timezone.now() - timedelta(minutes=30)
    flag = raise_flag(team.patient, severity=Severity.HIGH, now=raised_at)
    assert flag.ack_deadline == raised_at + timedelta(minutes=240)
    worse_at = timezone.now()

    raise_flag(
        team.patient, severity=Severity.CRITICAL, summary="Plan and means described", now=worse_at
    )

    flag.refresh_from_db()
    assert (flag.severity, flag.severity_rank) == ("critical", 4)
    assert flag.ack_deadline == worse_at + timedelta(minutes=60)
    assert flag.summary == "Plan and means described"
    assert flag.status == Flag.Status.OPEN
    assert "severity_raised" in _kinds(flag)
    first, second = _notices(team.clinician)
    assert "(high)" in first.title
    assert "(critical)" in second.title
    assert second.urgent


def test_a_more_severe_signal_never_pushes_an_open_flags_deadline_back(team):
    raised_at = timezone.now() - timedelta(hours=23)
    flag = raise_flag(team.patient, severity=Severity.MEDIUM, now=raised_at)  # due in 1 hour

    # A high window (4 hours) from now would end later than the medium one still running.
    raise_flag(team.patient, severity=Severity.HIGH, now=timezone.now())

    flag.refresh_from_db()
    assert flag.severity == Severity.HIGH
    assert flag.ack_deadline == raised_at + timedelta(minutes=1440)


def test_a_less_severe_signal_leaves_severity_and_deadline_alone(team):
    flag = raise_flag(team.patient, severity=Severity.CRITICAL)
    deadline = flag.ack_deadline

    raise_flag(team.patient, severity=Severity.LOW, summary="Mild")

    flag.refresh_from_db()
    assert flag.severity == Severity.CRITICAL
    assert flag.ack_deadline == deadline
    assert flag.summary != "Mild"
    assert flag.signal_count == 2
    assert len(_notices(team.clinician)) == 1


def test_a_more_severe_signal_reopens_an_acknowledged_flag_with_a_new_deadline(team):
    raised_at = timezone.now() - timedelta(hours=71)
    flag = raise_flag(team.patient, severity=Severity.LOW, now=raised_at)
    services.flag_acknowledge(flag=flag, by=team.clinician)
    worse_at = timezone.now()

    raise_flag(team.patient, severity=Severity.MEDIUM, now=worse_at)

    flag.refresh_from_db()
    assert flag.status == Flag.Status.OPEN
    assert flag.severity == Severity.MEDIUM
    # A fresh medium window from the new signal, although the old low deadline was sooner.
    assert flag.ack_deadline == worse_at + timedelta(minutes=1440)
    # Someone must acknowledge it again; the earlier acknowledgement stays in the events.
    assert flag.acknowledged_at is None
    assert flag.acknowledged_by is None
    assert flag.events.filter(kind="acknowledged").count() == 1
    assert len(_notices(team.clinician)) == 2
    audit = AuditEvent.objects.filter(action="flag.signal_added").get()
    assert audit.detail["reopened"] is True


def test_a_repeat_signal_on_an_acknowledged_flag_tells_the_handler_but_keeps_it_acknowledged(
    team,
):
    flag = raise_flag(team.patient, severity=Severity.HIGH)
    services.flag_acknowledge(flag=flag, by=team.clinician)

    raise_flag(team.patient, severity=Severity.HIGH)

    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.signal_count == 2
    assert len(_notices(team.clinician)) == 2


# --- the database holds the rule too ----------------------------------------------------------


@pytest.mark.parametrize("status", [Flag.Status.OPEN, Flag.Status.ACKNOWLEDGED])
def test_the_database_refuses_a_second_active_flag_for_a_patient_and_category(team, status):
    FlagFactory(patient=team.patient, status=status)

    with pytest.raises(IntegrityError), transaction.atomic():
        FlagFactory(patient=team.patient)

    assert Flag.objects.count() == 1


def test_resolved_flags_do_not_count_against_the_one_active_flag_rule(team):
    now = timezone.now()
    FlagFactory(patient=team.patient, status=Flag.Status.RESOLVED, resolved_at=now)
    FlagFactory(patient=team.patient, status=Flag.Status.RESOLVED, resolved_at=now)
    FlagFactory(patient=team.patient)

    assert Flag.objects.filter(patient=team.patient).count() == 3


def test_the_database_refuses_a_resolved_flag_without_a_time(team):
    with pytest.raises(IntegrityError), transaction.atomic():
        FlagFactory(patient=team.patient, status=Flag.Status.RESOLVED, resolved_at=None)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_requests_raising_the_same_flag_at_once_make_one_flag_with_two_signals():
    team = make_team()
    first_written = threading.Event()

    def first_request():
        with transaction.atomic():
            flag = raise_flag(team.patient, summary="first")
            first_written.set()
            # Hold the transaction open: the second request runs while this one is uncommitted,
            # sees no flag, and collides with it on the partial unique index.
            time.sleep(0.5)
        return flag.pk

    def second_request():
        assert first_written.wait(10)
        return raise_flag(team.patient, summary="second").pk

    with mock.patch.object(tasks.notification_deliver_task, "apply_async"):
        first, second = run_in_threads(first_request, second_request)

    assert not isinstance(first, Exception), first
    assert not isinstance(second, Exception), second
    assert first == second
    flag = Flag.objects.get()
    assert flag.signal_count == 2
    assert sorted(flag.signals.values_list("summary", flat=True)) == ["first", "second"]
    assert Notification.objects.filter(kind="safety_flag").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_many_requests_raising_the_same_flag_at_once_lose_no_signal():
    team = make_team()
    barrier = threading.Barrier(4)

    def request(index):
        def run():
            barrier.wait(10)
            return raise_flag(team.patient, summary=f"signal {index}").pk

        return run

    with mock.patch.object(tasks.notification_deliver_task, "apply_async"):
        results = run_in_threads(*(request(index) for index in range(4)))

    assert not [result for result in results if isinstance(result, Exception)], results
    flag = Flag.objects.get()
    assert set(results) == {flag.pk}
    assert flag.signal_count == 4
    assert flag.signals.count() == 4
