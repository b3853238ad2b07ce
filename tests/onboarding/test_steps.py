"""Step order and resume: which steps are reachable, what completing, "do this later" and
going back record, when the journey is finished, and the patients who joined before onboarding
existed."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEvent
from onboarding import services
from onboarding.models import Baseline, Consent, Journey, StepRecord
from onboarding.selectors import journey_state_build
from tests.factories import PatientFactory
from tests.onboarding.helpers import BASELINE, STEPS, a_new_patient, at_step, through_consent

pytestmark = pytest.mark.django_db


def _record(patient, step: str) -> StepRecord | None:
    return StepRecord.objects.filter(journey__patient=patient, step=step).first()


def _reachable(state) -> list[str]:
    return [status.key for status in state.statuses if status.reachable]


# --- Reachability (journey_state_build) -----------------------------------------------------------


def _state(patient, done=(), later=()):
    """The state built from records held in memory only: no step is written."""
    journey = Journey(patient=patient)
    now = timezone.now()
    records = [StepRecord(step=key, completed_at=now) for key in done]
    records += [StepRecord(step=key, skipped_at=now) for key in later]
    return journey_state_build(journey, records)


def test_a_new_journey_reaches_only_the_first_step():
    state = _state(PatientFactory.build())

    assert [status.key for status in state.statuses] == list(STEPS)
    assert _reachable(state) == ["welcome"]
    assert state.current.key == "welcome"
    assert state.current.number == 1
    assert not state.is_finished


def test_each_step_opens_once_the_ones_before_it_are_done():
    state = _state(PatientFactory.build(), done=["welcome", "privacy"])

    assert _reachable(state) == ["welcome", "privacy", "consent"]
    assert state.current.key == "consent"
    assert state.settled_count == 2


def test_a_step_left_for_later_opens_the_next_one_but_not_the_one_after():
    state = _state(
        PatientFactory.build(),
        done=["welcome", "privacy", "consent", "about_you"],
        later=["safety_plan"],
    )

    assert _reachable(state) == [
        "welcome",
        "privacy",
        "consent",
        "about_you",
        "safety_plan",
        "quit_plan",
    ]
    assert state.current.key == "quit_plan"
    assert [status.key for status in state.left_for_later] == ["safety_plan"]


def test_a_done_step_stays_reachable_behind_an_open_one():
    """A step done stays open to change while an earlier step waits (the safety plan reopened,
    say); the first step not done after the open one cannot be opened."""
    done = ["welcome", "privacy", "consent", "about_you", "quit_plan"]
    state = _state(PatientFactory.build(), done=done)

    assert _reachable(state) == [*done[:4], "safety_plan", "quit_plan"]
    assert state.current.key == "safety_plan"


def test_after_a_withdrawal_nothing_past_the_consent_can_be_opened():
    """The consent step open again (withdrawn): the steps before it can be read again, the ones
    after it, done or not, wait until the patient agrees again, so nothing is changed meanwhile."""
    state = _state(PatientFactory.build(), done=["welcome", "privacy", "about_you", "quit_plan"])

    assert _reachable(state) == ["welcome", "privacy", "consent"]
    assert state.current.key == "consent"
    assert state.stopped_at.key == "consent"


def test_every_step_done_or_left_for_later_is_finished():
    state = _state(
        PatientFactory.build(),
        done=["welcome", "privacy", "consent", "about_you", "tour"],
        later=["safety_plan", "quit_plan", "groups"],
    )

    assert state.is_finished
    assert state.current is None
    assert state.stopped_at.key == "safety_plan"  # the first left for later
    assert state.percent == 100


# --- Completing and leaving for later (services) --------------------------------------------------


def test_completing_a_step_out_of_order_is_refused_and_writes_nothing():
    patient = a_new_patient()
    services.step_complete(patient=patient, step="welcome", by=patient)

    with pytest.raises(services.StepNotReachable) as refused:
        services.step_complete(patient=patient, step="about_you", by=patient)

    assert refused.value.first_open == "privacy"
    assert _record(patient, "about_you") is None
    assert not AuditEvent.objects.filter(
        action="onboarding.step_completed", detail__step="about_you"
    ).exists()
    assert Journey.objects.get(patient=patient).current_step == "privacy"


def test_an_unknown_step_is_not_reachable_and_names_no_step():
    patient = a_new_patient()

    with pytest.raises(services.StepNotReachable) as refused:
        services.step_complete(patient=patient, step="no_such_step", by=patient)

    assert refused.value.first_open is None
    assert not StepRecord.objects.filter(journey__patient=patient).exists()


@pytest.mark.parametrize("step", ["welcome", "privacy", "consent", "about_you"])
def test_an_essential_step_cannot_be_left_for_later(step):
    patient = at_step(a_new_patient(), step)

    with pytest.raises(ValidationError) as refused:
        services.step_skip(patient=patient, step=step, by=patient)

    assert refused.value.code == "not_skippable"
    assert not StepRecord.objects.filter(journey__patient=patient, step=step).exists()
    assert Journey.objects.get(patient=patient).current_step == step


@pytest.mark.parametrize("step", ["safety_plan", "quit_plan", "tour", "groups"])
def test_an_optional_step_can_be_left_for_later(step):
    patient = at_step(a_new_patient(), step)

    record = services.step_skip(patient=patient, step=step, by=patient)

    record.refresh_from_db()
    assert record.skipped_at is not None
    assert record.completed_at is None
    following = STEPS[STEPS.index(step) + 1] if step != "groups" else ""
    assert Journey.objects.get(patient=patient).current_step == following
    audit = AuditEvent.objects.get(action="onboarding.step_left_for_later", detail__step=step)
    assert audit.actor_id == audit.subject_id == patient.pk


def test_leaving_a_done_step_for_later_keeps_it_done():
    patient = at_step(a_new_patient(), "safety_plan")
    done = services.step_complete(patient=patient, step="safety_plan", by=patient)

    services.step_skip(patient=patient, step="safety_plan", by=patient)

    record = _record(patient, "safety_plan")
    assert record.completed_at == done.completed_at
    assert record.skipped_at is None
    assert not AuditEvent.objects.filter(action="onboarding.step_left_for_later").exists()


def test_the_journey_finishes_with_the_last_step_settled_and_opens_again_on_withdrawal():
    patient = at_step(a_new_patient(), "groups")
    assert Journey.objects.get(patient=patient).finished_at is None

    services.step_skip(patient=patient, step="groups", by=patient)

    journey = Journey.objects.get(patient=patient)
    assert journey.finished_at is not None
    assert journey.current_step == ""
    assert AuditEvent.objects.filter(action="onboarding.finished", subject=patient).count() == 1

    services.consent_withdraw(
        patient=patient, by=patient, kind=Consent.Kind.PROGRAMME, reason="too_much"
    )

    journey.refresh_from_db()
    assert journey.finished_at is None
    assert journey.current_step == "consent"
    assert _record(patient, "consent").completed_at is None


# --- What the pages record ------------------------------------------------------------------------


def test_opening_a_step_records_when_it_was_first_seen(client):
    patient = a_new_patient()
    client.force_login(patient)
    before = timezone.now()

    assert client.get(reverse("onboarding:welcome")).status_code == HTTPStatus.OK

    record = _record(patient, "welcome")
    assert before <= record.first_seen_at <= timezone.now()
    assert record.completed_at is None
    first_seen = record.first_seen_at
    client.get(reverse("onboarding:welcome"))
    record.refresh_from_db()
    assert record.first_seen_at == first_seen
    assert StepRecord.objects.filter(journey__patient=patient).count() == 1


def test_a_step_not_yet_reachable_is_not_recorded_as_seen(client):
    patient = a_new_patient()
    client.force_login(patient)

    response = client.get(reverse("onboarding:consent"))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("onboarding:welcome")
    assert _record(patient, "consent") is None


def test_completing_a_step_again_keeps_the_first_completion_and_audits_a_change(client):
    patient = a_new_patient()
    client.force_login(patient)

    client.post(reverse("onboarding:welcome"))
    first = _record(patient, "welcome")
    client.post(reverse("onboarding:welcome"))

    record = _record(patient, "welcome")
    assert record.completed_at == first.completed_at
    assert record.completed_by == patient
    assert record.assist is None
    assert record.times_completed == 2
    actions = list(
        AuditEvent.objects.filter(subject=patient, action__startswith="onboarding.step_")
        .order_by("id")
        .values_list("action", "detail")
    )
    assert actions == [
        ("onboarding.step_completed", {"step": "welcome", "assisted": False}),
        ("onboarding.step_changed", {"step": "welcome", "assisted": False}),
    ]


def test_going_back_to_a_done_step_shows_it(client):
    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)

    page = client.get(reverse("onboarding:welcome"))

    assert page.status_code == HTTPStatus.OK
    assert "Step 1 of 8" in page.text
    assert client.get(reverse("onboarding:start")).url == reverse("onboarding:about_you")


def test_do_this_later_on_a_step_not_reached_yet_goes_to_the_step_the_patient_is_on(client):
    patient = a_new_patient()
    client.force_login(patient)

    response = client.post(reverse("onboarding:skip", args=["tour"]))

    assert response.url == reverse("onboarding:welcome")
    assert _record(patient, "tour") is None


def test_do_this_later_on_an_unknown_step_is_not_found(client):
    client.force_login(a_new_patient())

    response = client.post(reverse("onboarding:skip", args=["no-such-step"]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_finished_journey_shows_the_steps_to_look_back_at(client):
    patient = at_step(a_new_patient(), "groups")
    services.step_skip(patient=patient, step="groups", by=patient)
    client.force_login(patient)

    page = client.get(reverse("onboarding:start"))

    assert page.status_code == HTTPStatus.OK
    assert reverse("onboarding:groups") in page.text


# --- Patients who joined before onboarding ------------------------------------------------------


def test_a_patient_who_joined_before_onboarding_is_never_sent_to_it(client):
    patient = PatientFactory(password=None)
    client.force_login(patient)

    home = client.get(reverse("accounts:patient_home"))
    progress = client.get(reverse("cessation:progress"))
    welcome = client.get(reverse("onboarding:start"))

    assert home.status_code == HTTPStatus.OK
    assert "Carry on setting up" not in home.text
    assert progress.status_code == HTTPStatus.OK
    assert welcome.status_code == HTTPStatus.FOUND
    assert welcome.url == reverse("accounts:patient_home")
    assert not Journey.objects.filter(patient=patient).exists()


def test_a_step_page_never_begins_onboarding_for_a_patient_who_joined_before_it(client):
    """A typed or bookmarked step link must not close the programme to someone using it."""
    patient = PatientFactory(password=None)
    client.force_login(patient)

    response = client.get(reverse("onboarding:about_you"))
    skip = client.post(reverse("onboarding:skip", args=["safety_plan"]))

    assert response.url == reverse("onboarding:start")
    assert skip.url == reverse("onboarding:start")
    assert not Journey.objects.filter(patient=patient).exists()
    assert client.get(reverse("cessation:progress")).status_code == HTTPStatus.OK


def test_after_withdrawing_the_later_steps_change_nothing(client):
    patient = at_step(a_new_patient(), "safety_plan")
    client.force_login(patient)
    client.post(reverse("onboarding:consent_withdraw", args=["programme"]), {"reason": "other"})

    response = client.post(reverse("onboarding:about_you"), {**BASELINE, "mood": "1"})

    assert response.url == reverse("onboarding:consent")
    assert not Baseline.objects.filter(patient=patient).exists()
