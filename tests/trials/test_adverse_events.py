"""Adverse events: from high and critical safety flags (once each), readmissions and deaths
recorded by the care team (serious: the trial manager told at once, once), the trial team's
assessment, and who may see what."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from core.exceptions import StateConflict
from core.models import AuditEvent, Notification
from safety.models import Flag
from safety.services.flags import flag_raise
from tests.factories import AdminFactory, ClinicianFactory
from tests.trials.followup_helpers import a_participant, withdraw
from trials.models import AdverseEvent, FollowUp, Participant, Withdrawal
from trials.services.adverse_events import (
    adverse_event_assess,
    adverse_event_record,
    adverse_events_from_flags,
)

pytestmark = pytest.mark.django_db


def a_flag(patient, severity, category=Flag.Category.LOW_MOOD, **kwargs):
    return flag_raise(
        patient=patient,
        source=Flag.Source.CHECKIN,
        category=category,
        severity=severity,
        summary="Very low mood in a check-in",
        **kwargs,
    )


@pytest.fixture
def participant():
    return a_participant()


def sae_notices(user=None):
    rows = Notification.objects.filter(kind="trial_serious_adverse_event")
    return rows.filter(recipient=user) if user else rows


@pytest.mark.parametrize(
    ("severity", "becomes_event"),
    [("low", False), ("medium", False), ("high", True), ("critical", True)],
)
def test_only_high_and_critical_flags_become_adverse_events(participant, severity, becomes_event):
    flag = a_flag(participant.patient, severity)
    assert adverse_events_from_flags() == int(becomes_event)
    events = AdverseEvent.objects.filter(flag=flag)
    assert events.exists() is becomes_event
    if becomes_event:
        event = events.get()
        assert event.participant == participant
        assert event.source == AdverseEvent.Source.FLAG
        assert event.category == "low_mood"
        assert event.occurred_on == timezone.localdate(flag.created_at)
        assert (event.seriousness, event.relatedness, event.expectedness) == (
            "not_assessed",
            "not_assessed",
            "not_assessed",
        )


def test_each_flag_becomes_one_event_however_often_the_sweep_runs(participant):
    a_flag(participant.patient, "high")
    a_flag(participant.patient, "critical", category=Flag.Category.CRISIS)
    assert adverse_events_from_flags() == 2
    assert adverse_events_from_flags() == 0
    assert AdverseEvent.objects.count() == 2
    assert AuditEvent.objects.filter(action="adverse_event.created").count() == 2


def test_a_flag_from_before_enrolment_is_not_an_adverse_event(participant):
    flag = a_flag(participant.patient, "high")
    Flag.objects.filter(pk=flag.pk).update(created_at=participant.enrolled_at - timedelta(days=1))
    assert adverse_events_from_flags() == 0


@pytest.mark.parametrize(
    ("status", "counted"),
    [
        (Participant.Status.ENROLLED, False),
        (Participant.Status.DECLINED, False),
        (Participant.Status.CONSENTED, True),
        (Participant.Status.RANDOMISED, True),
    ],
)
def test_flags_count_once_the_patient_has_agreed_to_the_study(status, counted):
    participant = a_participant(status=status)
    a_flag(participant.patient, "high")
    assert adverse_events_from_flags() == int(counted)


def test_a_flag_of_someone_not_in_the_study_is_not_an_adverse_event(participant):
    other = a_participant(status=Participant.Status.ENROLLED)
    a_flag(other.patient, "critical")
    assert adverse_events_from_flags() == 0


def test_a_flag_raised_in_severity_later_is_caught_by_the_next_sweep(participant):
    a_flag(participant.patient, "medium")
    assert adverse_events_from_flags() == 0
    a_flag(participant.patient, "high")  # the same open flag, now high
    assert adverse_events_from_flags() == 1


# --- readmissions and deaths ------------------------------------------------------------------


def clinician_of(participant):
    return participant.patient.patient_profile.clinician


def test_a_readmission_is_serious_and_the_trial_manager_is_told_at_once(participant):
    event = adverse_event_record(
        patient=participant.patient,
        by=clinician_of(participant),
        source="readmission",
        occurred_on=timezone.localdate(),
        description="Admitted to the acute ward",
    )
    assert event.seriousness == AdverseEvent.Seriousness.HOSPITALISATION
    assert event.is_serious
    assert event.sae_notified_at is not None
    (notice,) = sae_notices()
    assert notice.recipient == participant.trial.manager
    assert notice.urgent
    # The title goes by email: nothing about who or what.
    assert notice.title == "A serious adverse event needs your review"
    assert "Fixed Name" not in notice.title + notice.body
    assert participant.study_id in notice.body
    assert "acute ward" not in notice.body
    assert AdverseEvent.objects.get().description == "Admitted to the acute ward"


def test_without_a_manager_every_active_admin_is_told(participant):
    admins = [AdminFactory(password=None), AdminFactory(password=None)]
    AdminFactory(password=None, is_active=False)
    participant.trial.manager.is_active = False
    participant.trial.manager.save()
    adverse_event_record(
        patient=participant.patient,
        by=clinician_of(participant),
        source="readmission",
        occurred_on=timezone.localdate(),
    )
    assert {n.recipient for n in sae_notices()} == set(admins)


def test_a_death_is_serious_stops_follow_up_and_is_recorded_once(participant):
    event = adverse_event_record(
        patient=participant.patient,
        by=clinician_of(participant),
        source="death",
        occurred_on=timezone.localdate(),
    )
    assert event.seriousness == AdverseEvent.Seriousness.DEATH
    assert set(participant.followups.values_list("status", flat=True)) == {FollowUp.Status.STOPPED}
    with pytest.raises(StateConflict, match="already been recorded"):
        adverse_event_record(
            patient=participant.patient,
            by=clinician_of(participant),
            source="death",
            occurred_on=timezone.localdate(),
        )
    assert sae_notices().count() == 1


@pytest.mark.parametrize(
    ("days", "message"),
    [(1, "future"), (-30, "before the patient joined")],
)
def test_a_date_in_the_future_or_before_joining_is_refused(participant, days, message):
    with pytest.raises(ValidationError, match=message):
        adverse_event_record(
            patient=participant.patient,
            by=clinician_of(participant),
            source="readmission",
            occurred_on=timezone.localdate() + timedelta(days=days),
        )
    assert not AdverseEvent.objects.exists()


def test_only_the_patients_clinician_records(participant):
    with pytest.raises(PermissionDenied):
        adverse_event_record(
            patient=participant.patient,
            by=ClinicianFactory(password=None),
            source="readmission",
            occurred_on=timezone.localdate(),
        )


def test_nothing_is_recorded_after_consent_to_the_study_is_withdrawn(participant):
    withdraw(participant, Withdrawal.Level.ALL)
    Participant.objects.filter(pk=participant.pk).update(status=Participant.Status.WITHDRAWN)
    with pytest.raises(StateConflict, match="not taking part"):
        adverse_event_record(
            patient=participant.patient,
            by=clinician_of(participant),
            source="readmission",
            occurred_on=timezone.localdate(),
        )


# --- assessment ---------------------------------------------------------------------------------


def flag_event(participant, severity="high"):
    a_flag(participant.patient, severity)
    adverse_events_from_flags()
    return AdverseEvent.objects.get(participant=participant, source="flag")


def assess(event, by, seriousness="not_serious"):
    return adverse_event_assess(
        event=event,
        by=by,
        seriousness=seriousness,
        relatedness="unlikely",
        expectedness="expected",
    )


def test_assessing_as_serious_tells_the_manager_once(participant):
    event = flag_event(participant)
    manager = participant.trial.manager
    assert not sae_notices().exists()
    assess(event, manager, "not_serious")
    assert not sae_notices().exists()
    event = assess(event, manager, "life_threatening")
    assert event.assessed_by == manager
    assert event.sae_notified_at is not None
    assess(event, manager, "other_important")
    assert sae_notices().count() == 1
    audit = AuditEvent.objects.filter(action="adverse_event.assessed").order_by("pk").last()
    assert audit.detail["after"]["seriousness"] == "other_important"


def test_an_assessment_must_choose_each_field(participant):
    event = flag_event(participant)
    with pytest.raises(ValidationError):
        assess(event, participant.trial.manager, "not_assessed")
    assert AdverseEvent.objects.get().assessed_at is None


def test_only_the_trial_team_assesses(participant):
    event = flag_event(participant)
    with pytest.raises(PermissionDenied):
        assess(event, clinician_of(participant))


# --- pages ----------------------------------------------------------------------------------------


def test_the_trial_team_lists_events_by_trial_id_never_by_name(
    client, participant, django_assert_max_num_queries
):
    flag_event(participant)
    for _ in range(3):
        other = a_participant(trial=participant.trial)
        flag_event(other)
    client.force_login(participant.trial.manager)
    url = reverse("trials:adverse_event_list", args=[participant.trial.slug])
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert participant.study_id in html
    assert "Fixed Name" not in html
    assert participant.patient.email not in html


def test_the_list_filters_unassessed_and_serious(client, participant):
    event = flag_event(participant)
    other = a_participant(trial=participant.trial)
    adverse_event_record(
        patient=other.patient,
        by=clinician_of(other),
        source="readmission",
        occurred_on=timezone.localdate(),
    )
    client.force_login(participant.trial.manager)
    url = reverse("trials:adverse_event_list", args=[participant.trial.slug])
    serious = client.get(url, {"serious": "on"}).content.decode()
    assert other.study_id in serious
    assert participant.study_id not in serious
    assess(event, participant.trial.manager)
    unassessed = client.get(url, {"unassessed": "on"}).content.decode()
    assert participant.study_id not in unassessed
    assert other.study_id in unassessed


def test_the_trial_team_assesses_from_the_page(client, participant):
    event = flag_event(participant)
    manager = participant.trial.manager
    client.force_login(manager)
    url = reverse("trials:adverse_event_detail", args=[participant.trial.slug, event.pk])
    assert client.get(url).status_code == HTTPStatus.OK
    read = AuditEvent.objects.get(action="trial.adverse_event_viewed")
    assert (read.actor_id, read.subject_id) == (manager.pk, participant.patient_id)
    response = client.post(
        url,
        {
            "seriousness": "hospitalisation",
            "relatedness": "not_related",
            "expectedness": "unexpected",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    event.refresh_from_db()
    assert event.seriousness == "hospitalisation"
    assert sae_notices(manager).count() == 1
    bad = client.post(url, {"seriousness": "", "relatedness": "x", "expectedness": "expected"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST


def test_clinicians_cannot_open_the_trial_teams_pages(client, participant):
    event = flag_event(participant)
    client.force_login(clinician_of(participant))
    slug = participant.trial.slug
    assert client.get(reverse("trials:adverse_event_list", args=[slug])).status_code in (
        HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND,
    )
    detail = reverse("trials:adverse_event_detail", args=[slug, event.pk])
    assert client.get(detail).status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)


def test_an_event_of_another_trial_is_not_found(client, participant):
    event = flag_event(participant)
    client.force_login(participant.trial.manager)
    url = reverse("trials:adverse_event_detail", args=["no-such-trial", event.pk])
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_the_clinician_records_a_readmission_from_the_page(client, participant):
    clinician = clinician_of(participant)
    client.force_login(clinician)
    page = client.get(reverse("accounts:patient_detail", args=[participant.patient_id]))
    record_url = reverse("trials:adverse_event_record", args=[participant.patient_id])
    assert record_url in page.content.decode()
    response = client.post(
        record_url,
        {"source": "readmission", "occurred_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert AdverseEvent.objects.get().source == "readmission"
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    refused = client.post(record_url, {"source": "death", "occurred_on": future})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert AdverseEvent.objects.count() == 1


def test_another_clinicians_patient_is_not_found(client, participant):
    client.force_login(ClinicianFactory(password=None))
    url = reverse("trials:adverse_event_record", args=[participant.patient_id])
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_the_admin_home_links_events_waiting_for_assessment(client, participant):
    flag_event(participant)
    client.force_login(participant.trial.manager)
    html = client.get(reverse("accounts:admin_home")).content.decode()
    assert "1 event not yet assessed" in html
    assert reverse("trials:adverse_event_list", args=[participant.trial.slug]) in html


def test_a_flag_raised_before_agreeing_to_the_study_is_not_an_adverse_event(participant):
    flag = a_flag(participant.patient, "critical")
    Flag.objects.filter(pk=flag.pk).update(
        created_at=participant.consented_at - timedelta(minutes=5)
    )
    assert participant.enrolled_at < participant.consented_at - timedelta(minutes=5)
    assert adverse_events_from_flags() == 0


def test_a_flag_raised_while_taking_part_is_counted_even_if_swept_after_withdrawal(participant):
    before = a_flag(participant.patient, "high")
    withdraw(participant, Withdrawal.Level.ALL)
    Participant.objects.filter(pk=participant.pk).update(
        status=Participant.Status.WITHDRAWN, withdrawn_at=timezone.now()
    )
    participant.refresh_from_db()
    after = a_flag(participant.patient, "critical", category=Flag.Category.CRISIS)
    Flag.objects.filter(pk=before.pk).update(
        created_at=participant.withdrawn_at - timedelta(minutes=1)
    )
    Flag.objects.filter(pk=after.pk).update(
        created_at=participant.withdrawn_at + timedelta(minutes=1)
    )
    assert adverse_events_from_flags() == 1
    assert AdverseEvent.objects.get().flag_id == before.pk


def test_the_same_readmission_sent_twice_is_recorded_and_told_once(participant):
    record = {
        "patient": participant.patient,
        "by": clinician_of(participant),
        "source": "readmission",
        "occurred_on": timezone.localdate(),
        "description": "",
    }
    adverse_event_record(**record)
    with pytest.raises(StateConflict, match="already recorded"):
        adverse_event_record(**record)
    assert AdverseEvent.objects.count() == 1
    assert sae_notices().count() == 1
