"""onboarding's part of `seed_demo`: the standard texts approved by the demo clinician, three
patients who finished onboarding over the last weeks and one who stopped at the quit plan with
the safety plan left for later; made once however often the command runs, with no new users."""

from __future__ import annotations

import importlib
from datetime import timedelta
from http import HTTPStatus
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from core.models import AuditEvent, Notification
from onboarding import selectors
from onboarding.defaults import KEYS, standard_text
from onboarding.models import AssistSession, Baseline, Consent, ContentVersion, Journey, StepRecord
from onboarding.steps import ABOUT_YOU, CONSENT, GROUPS, QUIT_PLAN, SAFETY_PLAN
from tests.factories import AdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference_data(db):
    """What the data migrations seed (a transactional test elsewhere may have flushed it)."""
    importlib.import_module("cessation.migrations.0002_health_benefits").forwards(apps, None)


@pytest.fixture
def seeded() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    return out.getvalue()


def demo(name: str) -> User:
    return User.objects.get(email=f"{name}@exhale.demo")


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            ContentVersion,
            Consent,
            Journey,
            StepRecord,
            Baseline,
            AssistSession,
            AuditEvent,
            Notification,
        )
    }


def test_seed_demo_twice_adds_nothing_the_second_time(seeded):
    first = _counts()

    call_command("seed_demo", force=True, stdout=StringIO())

    assert _counts() == first
    assert first["User"] == 8
    assert first["Journey"] == 4
    assert "onboarding: 5 standard text(s) approved" in seeded


def test_the_texts_in_force_are_the_standard_words_approved_by_the_demo_clinician(seeded):
    clinician = demo("clinician")
    for key in KEYS:
        current = selectors.content_current(key=key)
        title, body = standard_text(key)
        assert (current.title, current.body) == (title, body)
        assert current.approved_by == clinician
        assert current.approved_at < current.published_at < timezone.now() - timedelta(days=30)
        first = ContentVersion.objects.get(key=key, version=1)
        assert not first.is_approved
        assert first.published_at < current.published_at


def test_three_patients_finished_with_their_consent_and_baseline(seeded):
    consent_text = selectors.content_current(key=ContentVersion.Key.CONSENT_PROGRAMME)
    for name in ("alex", "bea", "chris"):
        patient = demo(name)
        state = selectors.journey_state_for(patient=patient)
        assert state.is_finished, name
        assert state.journey.finished_at < timezone.now() - timedelta(days=5)
        consent = selectors.consent_active(patient=patient, kind=Consent.Kind.PROGRAMME)
        assert consent.text == consent_text
        assert consent.given_at > consent_text.published_at
        assert selectors.baseline_for(patient=patient) is not None
        assert selectors.programme_open_to(patient=patient)


def test_one_patient_stopped_at_the_quit_plan_with_the_safety_plan_left_for_later(seeded):
    dani = demo("dani")

    state = selectors.journey_state_for(patient=dani)

    assert not state.is_finished
    assert state.current.key == QUIT_PLAN
    assert state.current.record is not None  # she opened it
    assert [status.key for status in state.left_for_later] == [SAFETY_PLAN]
    assert state.status(CONSENT).done
    assert state.status(ABOUT_YOU).done
    assert selectors.programme_open_to(patient=dani)


def test_step_records_are_spread_over_the_last_weeks_in_order(seeded):
    now = timezone.now()
    records = list(StepRecord.objects.select_related("journey"))
    seen = [record.first_seen_at for record in records]

    assert min(seen) < now - timedelta(days=30)
    assert max(seen) < now - timedelta(days=2)
    for record in records:
        assert record.journey.started_at <= record.first_seen_at
        if record.completed_at:
            assert record.first_seen_at <= record.completed_at < now
        if record.skipped_at:
            assert record.first_seen_at <= record.skipped_at < now
    assert len({record.first_seen_at.date() for record in records}) >= 4


def test_chris_did_about_you_and_his_safety_plan_with_the_clinician_assisting(seeded):
    chris, clinician = demo("chris"), demo("clinician")
    session = AssistSession.objects.get(patient=chris)
    records = {r.step: r for r in StepRecord.objects.filter(journey__patient=chris)}

    assert session.staff == clinician
    assert session.ended_at is not None
    for step in (ABOUT_YOU, SAFETY_PLAN):
        assert records[step].assist == session
        assert records[step].completed_by == clinician
        assert session.started_at <= records[step].completed_at <= session.ended_at
    assert records[CONSENT].completed_by == chris  # only the patient agrees
    groups = records[GROUPS]
    assert groups.skipped_at < groups.completed_at  # left for later, joined a week after


def test_uptake_counts_the_demo_journeys(seeded):
    uptake = {row["step"].key: row for row in selectors.step_uptake()}

    assert (uptake["welcome"]["reached"], uptake["welcome"]["done"]) == (4, 4)
    assert (uptake[SAFETY_PLAN]["done"], uptake[SAFETY_PLAN]["later"]) == (3, 1)
    assert (uptake[QUIT_PLAN]["reached"], uptake[QUIT_PLAN]["done"]) == (4, 3)
    assert uptake[GROUPS]["done"] == 3


def test_demo_patients_reach_their_home_and_the_one_who_stopped_is_asked_to_carry_on(
    client, seeded
):
    client.force_login(demo("alex"))
    alex_home = client.get(reverse("accounts:patient_home"))
    client.force_login(demo("dani"))
    dani_home = client.get(reverse("accounts:patient_home"))

    assert alex_home.status_code == dani_home.status_code == HTTPStatus.OK
    assert "Carry on setting up" not in alex_home.text
    assert "Carry on setting up" in dani_home.text


def test_after_the_demo_the_admin_home_warns_of_no_unapproved_text(client, seeded):
    client.force_login(AdminFactory())

    page = client.get(reverse("accounts:admin_home")).text

    assert "Patients at each step" in page
    assert "nobody has approved" not in page


def test_the_care_team_sees_where_dani_stopped_and_that_her_safety_plan_is_not_written(
    client, seeded
):
    dani = demo("dani")
    client.force_login(demo("clinician"))

    response = client.get(reverse("onboarding:staff_overview", args=[dani.pk]))

    assert response.status_code == HTTPStatus.OK
    assert "Left for later" in response.text
    assert "not written yet" in response.text
