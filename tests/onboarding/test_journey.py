"""The patient's journey through the pages: every step in order, resume, "do this later", and
what a typed URL for a later step does."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from cessation.models import CheckIn, Medication, QuitPlan
from onboarding import services
from onboarding.models import Baseline, Consent, Journey, StepRecord
from peersupport.models import Membership
from safety.models import SafetyPlan
from tests.onboarding.helpers import (
    BASELINE,
    QUIZ_RIGHT,
    a_new_patient,
    consent_version,
    quit_plan_data,
    through_consent,
    today,
)
from tests.peersupport.helpers import a_group

pytestmark = pytest.mark.django_db


def _records(patient) -> dict[str, StepRecord]:
    return {r.step: r for r in StepRecord.objects.filter(journey__patient=patient)}


def test_a_new_patient_goes_through_every_step_in_order_and_ends_at_home(client):
    patient = a_new_patient()
    group = a_group("first-weeks")
    client.force_login(patient)

    # Any page of the programme takes them to where they are.
    response = client.get(reverse("accounts:patient_home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("onboarding:start")
    assert client.get(reverse("onboarding:start")).url == reverse("onboarding:welcome")

    page = client.get(reverse("onboarding:welcome"))
    assert page.status_code == HTTPStatus.OK
    assert "Step 1 of 8" in page.text
    assert "not an emergency service" in page.text.lower()
    assert client.post(reverse("onboarding:welcome")).url == reverse("onboarding:privacy_step")
    page = client.get(reverse("onboarding:privacy_step"))
    assert reverse("onboarding:privacy_full") in page.text
    assert client.post(reverse("onboarding:privacy_step")).url == reverse("onboarding:consent")
    response = client.post(
        reverse("onboarding:consent"), {"version": consent_version(), "agree": "on"}
    )
    assert response.url == reverse("onboarding:about_you")
    response = client.post(reverse("onboarding:about_you"), BASELINE)
    assert response.url == reverse("onboarding:safety_plan")
    response = client.post(
        reverse("onboarding:safety_plan"), {"coping_strategies": "A walk by the canal"}
    )
    assert response.url == reverse("onboarding:quit_plan")
    page = client.get(reverse("onboarding:quit_plan"))
    assert 'value="25"' in page.text  # cigarettes a day from "About you"
    response = client.post(reverse("onboarding:quit_plan"), quit_plan_data(today()))
    assert response.url == reverse("onboarding:tour"), response.content.decode()[:2000]
    for stop in ("checkin", "progress", "craving", "groups", "messages", "help"):
        assert client.get(reverse("onboarding:tour_stop", args=[stop])).status_code == 200
    assert client.post(reverse("onboarding:tour")).url == reverse("onboarding:groups")
    response = client.post(reverse("onboarding:groups"), QUIZ_RIGHT)
    assert response.url == reverse("onboarding:groups_name")
    response = client.post(reverse("onboarding:groups_name"), {"pseudonym": "Quiet Fox"})
    assert response.url == reverse("onboarding:groups_join")
    response = client.post(reverse("onboarding:groups_join"), {"group": group.slug})
    assert response.url == reverse("accounts:patient_home")
    assert client.get(reverse("accounts:patient_home")).status_code == HTTPStatus.OK

    records = _records(patient)
    assert set(records) == {
        "welcome",
        "privacy",
        "consent",
        "about_you",
        "safety_plan",
        "quit_plan",
        "tour",
        "groups",
    }
    assert all(r.completed_at is not None and r.completed_by == patient for r in records.values())
    journey = Journey.objects.get(patient=patient)
    assert journey.finished_at is not None
    assert journey.current_step == ""
    assert Consent.objects.get(patient=patient).is_active
    baseline = Baseline.objects.get(patient=patient)
    assert baseline.hsi_score == 5  # 25 a day (2) + within 5 minutes (3)
    assert Medication.objects.filter(patient=patient, name="Clozapine").exists()
    assert SafetyPlan.objects.get(patient=patient).coping_strategies == "A walk by the canal"
    assert QuitPlan.objects.filter(patient=patient).exists()
    assert Membership.objects.filter(member=patient, group=group, left_at=None).exists()
    assert set(records["tour"].detail["stops_seen"]) == {
        "checkin",
        "progress",
        "craving",
        "groups",
        "messages",
        "help",
    }


def test_a_later_step_by_url_goes_back_to_the_step_the_patient_is_on(client):
    patient = a_new_patient()
    client.force_login(patient)
    response = client.get(reverse("onboarding:quit_plan"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("onboarding:welcome")
    assert "finish “Welcome” first" in response.text
    assert not StepRecord.objects.filter(step="quit_plan").exists()
    # Posting to a later step saves nothing either.
    client.post(reverse("onboarding:about_you"), BASELINE)
    assert not Baseline.objects.filter(patient=patient).exists()


def test_leaving_half_way_and_coming_back_resumes_at_the_same_step(client):
    patient = a_new_patient()
    client.force_login(patient)
    client.post(reverse("onboarding:welcome"))
    client.post(reverse("onboarding:privacy_step"))
    client.logout()
    client.force_login(patient)
    assert client.get(reverse("onboarding:start")).url == reverse("onboarding:consent")


def test_do_this_later_moves_on_and_the_step_waits_on_the_home_page(client):
    patient = a_new_patient()
    client.force_login(patient)
    for name in ("welcome", "privacy_step"):
        client.post(reverse(f"onboarding:{name}"))
    client.post(reverse("onboarding:consent"), {"version": consent_version(), "agree": "on"})
    client.post(reverse("onboarding:about_you"), BASELINE)
    response = client.post(reverse("onboarding:skip", args=["safety_plan"]))
    assert response.url == reverse("onboarding:quit_plan")
    home = client.get(reverse("accounts:patient_home"))
    assert "Carry on setting up" in home.text
    record = _records(patient)["safety_plan"]
    assert record.skipped_at is not None
    assert record.completed_at is None


def test_an_essential_step_cannot_be_left_for_later(client):
    patient = a_new_patient()
    client.force_login(patient)
    response = client.post(reverse("onboarding:skip", args=["welcome"]), follow=True)
    assert "This step is needed before you can go on." in response.text
    assert not StepRecord.objects.filter(skipped_at__isnull=False).exists()
    assert client.get(reverse("onboarding:start")).url == reverse("onboarding:welcome")


def test_repeating_a_step_changes_the_answers_without_a_second_record(client):
    patient = a_new_patient()
    client.force_login(patient)
    client.post(reverse("onboarding:welcome"))
    client.post(reverse("onboarding:welcome"))
    record = _records(patient)["welcome"]
    assert record.times_completed == 2
    assert StepRecord.objects.filter(journey__patient=patient, step="welcome").count() == 1


def test_the_first_check_in_from_the_tour_comes_back_to_the_tour(client):
    patient = a_new_patient()
    client.force_login(patient)
    through_consent(patient)
    client.post(reverse("onboarding:about_you"), BASELINE)
    for step in ("safety_plan", "quit_plan"):
        services.step_skip(patient=patient, step=step, by=patient)
    response = client.get(reverse("onboarding:tour_try", args=["checkin"]))
    back = reverse("onboarding:tour_stop", args=["checkin"])
    assert response.url == f"{reverse('cessation:checkin')}?next={back}"
    page = client.get(response.url)
    assert "Back to the tour" in page.text
    response = client.post(
        reverse("cessation:checkin"),
        {
            "cigarettes": "10",
            "craving": "5",
            "mood": "6",
            "sleep": "ok",
            "harm_thoughts": "no",
            "next": back,
        },
    )
    assert response.url == back
    assert CheckIn.objects.filter(patient=patient).exists()
    assert "checked in today" in client.get(back).text
    assert _records(patient)["tour"].detail["stops_tried"] == ["checkin"]


def test_a_very_low_mood_in_about_you_tells_the_care_team_as_a_check_in_would(client):
    from safety.models import Flag

    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)

    response = client.post(reverse("onboarding:about_you"), {**BASELINE, "mood": "1"}, follow=True)

    assert "If you feel unsafe" in response.text
    flag = Flag.objects.get(patient=patient)
    assert flag.category == Flag.Category.LOW_MOOD
    assert flag.source == Flag.Source.ONBOARDING
    # Changing the answers again adds to that flag rather than raising a second one.
    client.post(reverse("onboarding:about_you"), {**BASELINE, "mood": "0"})
    assert Flag.objects.filter(patient=patient).count() == 1


def test_an_ordinary_mood_in_about_you_raises_nothing(client):
    from safety.models import Flag

    patient = a_new_patient()
    through_consent(patient)
    client.force_login(patient)

    client.post(reverse("onboarding:about_you"), {**BASELINE, "mood": "3"})

    assert not Flag.objects.filter(patient=patient).exists()
