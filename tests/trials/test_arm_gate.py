"""What each arm gets: the arm without the programme sees its study, follow-up questions, crisis
help and safety plan only (pages redirect to the study page, the API answers 403 "study_arm"),
its first steps lose the programme's steps, its menu offers "Your study"; closing the trial
opens the programme to it. With no trial nothing changes for anybody. Concealment: no page,
API or admin shows the sequence."""

from __future__ import annotations

import io
import re
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.models import AuditEvent
from onboarding.registry import steps
from tests.factories import PatientFactory
from tests.onboarding.helpers import a_clinician, a_new_patient, at_step
from tests.trials.helpers import SEED, a_recruiting_trial
from tests.trials.participation_helpers import a_randomised_patient
from trials.models import SequenceSlot
from trials.services import setup

pytestmark = pytest.mark.django_db


def _in_arm(trial, *, programme: bool):
    for _ in range(8):
        patient, participant = a_randomised_patient(trial)
        if participant.allocation.arm.gets_programme == programme:
            return patient, participant
    raise AssertionError("The sequence gave no such arm in 8 allocations")


def test_usual_care_sees_only_the_study_safety_plan_and_crisis_help(client):
    trial = a_recruiting_trial()
    patient, _participant = _in_arm(trial, programme=False)
    client.force_login(patient)

    for name in ("cessation:checkin", "cessation:progress", "peersupport:groups", "home"):
        response = client.get(reverse(name))
        assert response.status_code == HTTPStatus.FOUND, name
        assert response.url == reverse("trials:study"), name
    for url in ("/study/", "/help/", "/safety-plan/", "/privacy/", "/account/", "/notifications/"):
        assert client.get(url).status_code == HTTPStatus.OK, url

    api = client.get("/api/v1/checkins/")
    assert api.status_code == HTTPStatus.FORBIDDEN
    assert api.json()["code"] == "study_arm"
    assert client.get(reverse("api:study")).status_code == HTTPStatus.OK

    page = client.get(reverse("trials:study")).content.decode()
    assert "Your study" in page
    assert "My safety plan" in page
    assert 'href="/check-in/"' not in page
    assert "Craving now" not in page


def test_usual_care_does_not_get_the_programmes_steps():
    trial = a_recruiting_trial()
    patient, _participant = _in_arm(trial, programme=False)
    keys = [step.key for step in steps.for_patient(patient)]
    assert "safety_plan" in keys
    assert not {"quit_plan", "tour", "groups"} & set(keys)


def test_the_programme_arm_gets_everything():
    trial = a_recruiting_trial()
    patient, _participant = _in_arm(trial, programme=True)
    keys = [step.key for step in steps.for_patient(patient)]
    assert {"quit_plan", "tour", "groups"} <= set(keys)


def test_closing_the_trial_opens_the_programme_to_usual_care(client):
    trial = a_recruiting_trial()
    patient, _participant = _in_arm(trial, programme=False)
    client.force_login(patient)
    assert client.get(reverse("cessation:checkin")).status_code == HTTPStatus.FOUND
    setup.trial_close(trial=trial, by=trial.manager)
    assert client.get(reverse("cessation:checkin")).status_code == HTTPStatus.OK


def test_with_no_trial_nothing_changes_and_the_gate_is_asked_once(
    client, django_assert_max_num_queries
):
    patient = at_step(a_new_patient(), "about_you")
    client.force_login(patient)
    client.get(reverse("accounts:patient_home"))  # the first page asks once, then remembers
    from trials import gate

    assert gate.study_state(patient) == gate.NOBODY
    with django_assert_max_num_queries(0):
        gate.study_only(patient)
        gate.consent_step_applies(patient)
    assert "trial_consent" not in [step.key for step in steps.for_patient(patient)]
    assert client.get(reverse("cessation:checkin")).status_code == HTTPStatus.OK


# --- Concealment ---------------------------------------------------------------------------------


def test_the_admin_site_does_not_register_the_sequence():
    assert SequenceSlot not in admin.site._registry


def test_no_page_or_api_shows_the_sequence(client):
    trial = a_recruiting_trial()
    clinician = a_clinician()
    patient, participant = a_randomised_patient(trial, clinician=clinician)
    waiting = at_step(a_new_patient(clinician=clinician), "about_you")
    # What a reader of the sequence would see: the arms of upcoming positions and slot ids.
    upcoming = list(
        SequenceSlot.objects.filter(trial=trial, used_at__isnull=True).order_by(
            "stratum", "position"
        )
    )
    pattern = re.compile(r"sequence_slot|arm_sealed|block_size|\bposition\b", re.I)
    pages = [
        (clinician, reverse("accounts:patient_detail", args=[patient.pk])),
        (clinician, reverse("accounts:patient_detail", args=[waiting.pk])),
        (clinician, reverse("trials:screening")),
        (trial.manager, reverse("trials:participation_list", args=[trial.slug])),
        (trial.manager, reverse("trials:allocation_note", args=[trial.slug, participant.pk])),
        (trial.manager, reverse("trials:screening")),
        (patient, reverse("trials:study")),
        (patient, reverse("api:study")),
    ]
    for user, url in pages:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        body = response.content.decode()
        assert not pattern.search(body), url
        assert f'"{upcoming[0].pk}"' not in body
    assert len(upcoming) > 0


def test_the_statistician_reproduces_and_verifies_the_sequence(tmp_path):
    trial = a_recruiting_trial()
    out = tmp_path / "sequence.csv"
    call_command("trial_sequence", trial=trial.slug, seed=SEED, out=str(out), verify=True)
    lines = out.read_text().splitlines()
    assert lines[0] == "stratum,position,block,block_size,arm"
    assert len(lines) - 1 == SequenceSlot.objects.filter(trial=trial).count()
    assert AuditEvent.objects.filter(action="trial.sequence_revealed", actor__isnull=True).exists()


def test_a_wrong_seed_is_refused_and_a_tampered_sequence_reported():
    trial = a_recruiting_trial()
    with pytest.raises(CommandError, match="not the seed"):
        call_command("trial_sequence", trial=trial.slug, seed="ff" * 16, stdout=io.StringIO())
    slot = SequenceSlot.objects.filter(trial=trial).first()
    slot.arm_sealed = "usual_care" if slot.arm_sealed == "programme" else "programme"
    slot.save()
    with pytest.raises(CommandError, match="MISMATCH") as exc:
        call_command(
            "trial_sequence", trial=trial.slug, seed=SEED, verify=True, stdout=io.StringIO()
        )
    assert exc.value.returncode == 1


def test_patients_who_joined_before_onboarding_are_unchanged_without_a_trial(client):
    patient = PatientFactory(password=None, full_name="Old Hand")
    client.force_login(patient)
    assert client.get(reverse("cessation:checkin")).status_code == HTTPStatus.OK
