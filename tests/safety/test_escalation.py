"""Re-escalation by deadline: named clinician → backup clinician → everyone on call → admins when
nobody is on call. Time is moved by handing the sweep its `now`, never by waiting."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from config.celery import app as celery_app
from core.models import AuditEvent, Notification
from safety import services
from safety.models import Flag, FlagEvent, FlagRecipient, Severity
from safety.tasks import flag_escalation_sweep_task
from tests.factories import AdminFactory, ClinicianFactory
from tests.safety.factories import make_team, put_on_call, raise_flag

pytestmark = pytest.mark.django_db

HIGH_WINDOW = timedelta(minutes=240)


def _notices(user, kind: str = "safety_flag") -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind).order_by("id"))


def _escalations(flag: Flag) -> list[FlagEvent]:
    return list(flag.events.filter(kind=FlagEvent.Kind.ESCALATED).order_by("at", "id"))


@pytest.fixture
def raised_at():
    return timezone.now() - timedelta(minutes=5)


@pytest.fixture
def flag(team, raised_at) -> Flag:
    return raise_flag(team.patient, severity=Severity.HIGH, now=raised_at)


def test_nothing_escalates_before_the_deadline(team, flag):
    assert services.flag_escalation_sweep(now=flag.ack_deadline - timedelta(seconds=1)) == 0

    flag.refresh_from_db()
    assert flag.escalation_level == 0
    assert _escalations(flag) == []
    assert _notices(team.backup) == []


def test_past_its_deadline_an_open_flag_goes_to_the_backup_clinician(team, flag):
    now = flag.ack_deadline + timedelta(minutes=1)

    assert services.flag_escalation_sweep(now=now) == 1

    flag.refresh_from_db()
    assert flag.escalation_level == 1
    assert flag.escalated_at == now
    assert flag.ack_deadline == now + HIGH_WINDOW
    assert flag.status == Flag.Status.OPEN
    assert flag.handled_by == team.clinician  # still theirs; the backup is told as well
    recipient = FlagRecipient.objects.get(flag=flag, user=team.backup)
    assert recipient.level == 1
    [notice] = _notices(team.backup)
    assert notice.url == flag.get_absolute_url()
    assert notice.urgent
    assert notice.deliveries.count() == 1
    [event] = _escalations(flag)
    assert event.detail == {
        "from_level": 0,
        "to_level": 1,
        "recipient_ids": [team.backup.pk],
        "missed_deadline": True,
    }
    audit = AuditEvent.objects.get(action="flag.escalated")
    assert audit.actor_id is None
    assert audit.actor_role == "system"
    assert audit.subject_id == team.patient.pk
    assert audit.target_id == str(flag.pk)
    assert audit.detail == {"from_level": 0, "to_level": 1}


def test_past_the_next_deadline_it_goes_to_every_clinician_on_call(team, flag):
    on_call = [ClinicianFactory(), ClinicianFactory()]
    off_duty = ClinicianFactory()
    put_on_call(*on_call)
    first = flag.ack_deadline + timedelta(minutes=1)
    services.flag_escalation_sweep(now=first)
    flag.refresh_from_db()
    # Not yet: the backup's own deadline has not passed.
    assert services.flag_escalation_sweep(now=flag.ack_deadline - timedelta(seconds=1)) == 0
    second = flag.ack_deadline + timedelta(minutes=1)

    assert services.flag_escalation_sweep(now=second) == 1

    flag.refresh_from_db()
    assert flag.escalation_level == 2
    assert flag.ack_deadline == second + HIGH_WINDOW
    for clinician in on_call:
        assert FlagRecipient.objects.get(flag=flag, user=clinician).level == 2
        assert len(_notices(clinician)) == 1
    assert _notices(off_duty) == []
    assert len(_notices(team.backup)) == 1  # the backup was told once, at level 1
    levels = [(e.detail["from_level"], e.detail["to_level"]) for e in _escalations(flag)]
    assert levels == [(0, 1), (1, 2)]
    assert set(_escalations(flag)[1].detail["recipient_ids"]) == {c.pk for c in on_call}


def test_without_a_backup_clinician_it_goes_straight_to_on_call(raised_at):
    team = make_team(backup=False)
    on_call = ClinicianFactory()
    put_on_call(on_call)
    flag = raise_flag(team.patient, now=raised_at)

    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))

    flag.refresh_from_db()
    assert flag.escalation_level == 2
    assert FlagRecipient.objects.get(flag=flag, user=on_call).level == 2
    assert len(_notices(on_call)) == 1


def test_an_inactive_backup_clinician_is_skipped(team, flag):
    team.backup.is_active = False
    team.backup.save()
    on_call = ClinicianFactory()
    put_on_call(on_call)

    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))

    flag.refresh_from_db()
    assert flag.escalation_level == 2
    assert _notices(team.backup) == []
    assert len(_notices(on_call)) == 1


def test_inactive_clinicians_on_call_are_not_sent_anything(team, flag):
    gone = ClinicianFactory()
    put_on_call(gone)
    gone.is_active = False
    gone.save()
    admin = AdminFactory()
    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))
    flag.refresh_from_db()

    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))

    assert _notices(gone) == []
    assert len(_notices(admin, kind="safety_no_one_on_call")) == 1


def test_with_nobody_on_call_active_admins_are_told(team, flag):
    admins = [AdminFactory(), AdminFactory()]
    retired = AdminFactory(is_active=False)
    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))
    flag.refresh_from_db()
    assert Notification.objects.filter(kind="safety_no_one_on_call").count() == 0

    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))

    flag.refresh_from_db()
    assert flag.escalation_level == 2
    for admin in admins:
        [notice] = _notices(admin, kind="safety_no_one_on_call")
        assert "nobody is on call" in notice.title
        assert notice.urgent
        assert notice.url == reverse("safety:overview")
        assert team.patient.full_name not in notice.title + notice.body
    assert _notices(retired, kind="safety_no_one_on_call") == []
    event = flag.events.get(kind=FlagEvent.Kind.NO_ONE_ON_CALL)
    assert sorted(event.detail["admin_ids"]) == sorted(admin.pk for admin in admins)


def test_on_call_flags_keep_re_escalating_to_whoever_is_on_call_now(team, flag):
    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))
    flag.refresh_from_db()
    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))  # nobody
    flag.refresh_from_db()
    late = ClinicianFactory()
    put_on_call(late)

    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))

    flag.refresh_from_db()
    assert flag.escalation_level == 2
    assert FlagRecipient.objects.get(flag=flag, user=late).level == 2
    assert len(_notices(late)) == 1


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledged_or_resolved_flags_never_escalate(team, flag, action):
    if action == "acknowledge":
        services.flag_acknowledge(flag=flag, by=team.clinician)
    else:
        services.flag_resolve(flag=flag, by=team.clinician, outcome=Flag.Outcome.NOT_A_CONCERN)
    put_on_call(ClinicianFactory())

    assert services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(days=30)) == 0

    flag.refresh_from_db()
    assert flag.escalation_level == 0
    assert _escalations(flag) == []
    assert _notices(team.backup) == []


def test_running_the_sweep_twice_at_the_same_time_escalates_once(team, flag):
    now = flag.ack_deadline + timedelta(minutes=1)

    assert services.flag_escalation_sweep(now=now) == 1
    assert services.flag_escalation_sweep(now=now) == 0

    flag.refresh_from_db()
    assert flag.escalation_level == 1
    assert len(_escalations(flag)) == 1
    assert len(_notices(team.backup)) == 1


def test_the_sweep_takes_overdue_flags_in_batches_oldest_deadline_first(raised_at):
    flags = [
        raise_flag(make_team(email=f"p{i}@example.org").patient, now=raised_at + timedelta(i))
        for i in range(3)
    ]
    now = flags[-1].ack_deadline + timedelta(minutes=1)

    assert services.flag_escalation_sweep(now=now, batch_size=2) == 2
    levels = [Flag.objects.get(pk=f.pk).escalation_level for f in flags]
    assert levels == [1, 1, 0]
    assert services.flag_escalation_sweep(now=now, batch_size=2) == 1
    assert Flag.objects.get(pk=flags[2].pk).escalation_level == 1


def test_the_sweep_task_escalates_what_is_overdue_now(team):
    flag = raise_flag(team.patient, now=timezone.now() - timedelta(hours=5))

    assert flag_escalation_sweep_task() == 1

    flag.refresh_from_db()
    assert flag.escalation_level == 1


def test_beat_runs_the_sweep_on_the_escalation_queue():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "safety.tasks.flag_escalation_sweep_task"
    ]

    assert len(entries) == 1
    [entry] = entries
    assert entry["options"]["queue"] == "escalation"
    schedule = entry["schedule"]
    seconds = schedule.total_seconds() if isinstance(schedule, timedelta) else float(schedule)
    # A critical flag has an hour: the sweep must run many times within it.
    assert seconds <= 120
    assert "safety.tasks.flag_escalation_sweep_task" in celery_app.tasks
    assert "escalation" in settings.CELERY_WORKER_QUEUES


# --- who may see an escalated flag ---------------------------------------------------------------


def test_backup_and_on_call_clinicians_can_open_the_flag_once_it_reaches_them(client, team, flag):
    on_call = ClinicianFactory()
    put_on_call(on_call)
    bystander = ClinicianFactory()
    url = flag.get_absolute_url()
    client.force_login(on_call)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND  # not theirs yet

    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))
    flag.refresh_from_db()
    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))

    for clinician in (team.backup, on_call):
        client.force_login(clinician)
        assert client.get(url).status_code == HTTPStatus.OK
        queue = client.get(reverse("safety:flag_queue"))
        assert [f.pk for f in queue.context["page"].object_list] == [flag.pk]
        # They need the safety plan to help, although the patient is not on their caseload.
        plan_url = reverse("safety:patient_safety_plan", args=[team.patient.pk])
        assert client.get(plan_url).status_code == HTTPStatus.OK
    client.force_login(bystander)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert list(client.get(reverse("safety:flag_queue")).context["page"].object_list) == []


def test_the_on_call_clinician_can_acknowledge_an_escalated_flag(client, team, flag):
    on_call = ClinicianFactory()
    put_on_call(on_call)
    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))
    flag.refresh_from_db()
    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))
    client.force_login(on_call)

    response = client.post(reverse("safety:flag_acknowledge", args=[flag.pk]))

    assert response.status_code == HTTPStatus.FOUND
    flag.refresh_from_db()
    assert flag.status == Flag.Status.ACKNOWLEDGED
    assert flag.acknowledged_by == on_call
    # Acknowledged: the next sweep leaves it alone.
    assert services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(days=1)) == 0


def test_a_more_severe_signal_on_an_escalated_flag_tells_everyone_it_reached(team, flag):
    services.flag_escalation_sweep(now=flag.ack_deadline + timedelta(minutes=1))

    raise_flag(team.patient, severity=Severity.CRITICAL)

    assert len(_notices(team.clinician)) == 2
    assert len(_notices(team.backup)) == 2


# --- a patient without an active named clinician -------------------------------------------------


def test_a_flag_for_a_patient_whose_clinician_left_goes_straight_to_the_backup(team):
    team.clinician.is_active = False
    team.clinician.save()

    flag = raise_flag(team.patient)

    flag.refresh_from_db()
    assert flag.handled_by is None
    assert flag.escalation_level == 1
    assert FlagRecipient.objects.get(flag=flag).user == team.backup
    assert _notices(team.clinician) == []
    assert len(_notices(team.backup)) == 1
    assert len(_escalations(flag)) == 1


def test_a_flag_for_a_patient_without_any_active_clinician_goes_to_on_call(raised_at):
    team = make_team(backup=False)
    team.clinician.is_active = False
    team.clinician.save()
    on_call = ClinicianFactory()
    put_on_call(on_call)

    flag = raise_flag(team.patient)

    flag.refresh_from_db()
    assert flag.escalation_level == 2
    assert [r.user for r in FlagRecipient.objects.filter(flag=flag)] == [on_call]
    assert len(_notices(on_call)) == 1
