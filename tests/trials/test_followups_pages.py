"""Follow-up pages and API: the participant's questions (their own only, only while open), the
due list the study page includes, the care team's section and recording page, and the API in
the one Error shape."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tests.factories import AdminFactory, ClinicianFactory, PeerFactory
from tests.trials.followup_helpers import a_participant, followup_at
from trials.followups_ui import due_for_patient
from trials.models import FollowUp
from trials.services.followups import followups_tick

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant():
    """A participant whose 4-week window opened five days ago (quit 30 days ago)."""
    participant = a_participant(quit_date=timezone.localdate() - timedelta(days=30))
    FollowUp.objects.filter(participant=participant, point__code="4w").update(
        status=FollowUp.Status.OPEN
    )
    return participant


def answer_url(followup):
    return reverse("trials:followup_answer", args=[followup.pk])


ANSWERS = {"smoked_since": "up_to_5", "smoked_last_7_days": "no", "cigarettes_per_day": ""}


def test_the_participant_answers_and_is_told_about_the_breath_test(client, participant):
    followup = followup_at(participant)
    client.force_login(participant.patient)
    page = client.get(answer_url(followup))
    assert page.status_code == HTTPStatus.OK
    since = (timezone.localdate() - timedelta(days=16)).strftime("%-d %B %Y")
    assert since in page.content.decode()  # two weeks after the quit date
    response = client.post(answer_url(followup), ANSWERS)
    assert response.status_code == HTTPStatus.FOUND
    thanks = client.get(response.url)
    assert "carbon monoxide (CO)" in thanks.content.decode()
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.COMPLETED
    assert followup.smoked_since == "up_to_5"


def test_missing_answers_are_shown_and_nothing_is_saved(client, participant):
    followup = followup_at(participant)
    client.force_login(participant.patient)
    response = client.post(answer_url(followup), {"smoked_since": "none"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Nothing has been saved" in response.content.decode()
    assert followup_at(participant).status == FollowUp.Status.OPEN


def test_a_follow_up_not_open_yet_cannot_be_answered(client, participant):
    later = followup_at(participant, "12w")
    client.force_login(participant.patient)
    page = client.get(answer_url(later))
    assert "They open on" in page.content.decode()
    assert client.post(answer_url(later), ANSWERS).status_code == HTTPStatus.CONFLICT
    assert followup_at(participant, "12w").smoked_since == ""


def test_another_patients_follow_up_is_not_found(client, participant):
    other = a_participant(trial=participant.trial)
    client.force_login(other.patient)
    followup = followup_at(participant)
    assert client.get(answer_url(followup)).status_code == HTTPStatus.NOT_FOUND
    assert client.post(answer_url(followup), ANSWERS).status_code == HTTPStatus.NOT_FOUND


def test_the_due_list_shows_open_follow_ups(participant):
    followups = due_for_patient(participant.patient)
    assert [f.point.code for f in followups] == ["4w"]
    html = render_to_string("trials/followups/_due_list.html", {"followups": followups})
    assert answer_url(followups[0]) in html
    empty = render_to_string("trials/followups/_due_list.html", {"followups": []})
    assert "No questions to answer now" in empty


def test_the_clinician_sees_the_study_section_and_records_from_it(client, participant):
    clinician = participant.patient.patient_profile.clinician
    client.force_login(clinician)
    page = client.get(reverse("accounts:patient_detail", args=[participant.patient_id]))
    html = page.content.decode()
    assert "Study follow-up" in html
    assert participant.study_id in html
    record_url = reverse("trials:followup_record", args=[participant.pk])
    response = client.post(
        record_url,
        {
            "back": "patient",
            "point": "4w",
            **ANSWERS,
            "co_ppm": "5",
            "co_taken_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(
        reverse("accounts:patient_detail", args=[participant.patient_id])
    )
    followup = followup_at(participant)
    assert (followup.source, followup.co_ppm) == ("staff", 5)


def test_the_wrong_time_point_is_refused_on_the_page_with_nothing_saved(client, participant):
    client.force_login(participant.patient.patient_profile.clinician)
    record_url = reverse("trials:followup_record", args=[participant.pk])
    response = client.post(
        record_url,
        {
            "point": "4w",
            **ANSWERS,
            "co_ppm": "5",
            "co_taken_on": (timezone.localdate() - timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "right time point" in response.content.decode()
    not_open = client.post(record_url, {"point": "12w", **ANSWERS})
    assert not_open.status_code == HTTPStatus.BAD_REQUEST
    assert "not open yet" in not_open.content.decode()
    assert followup_at(participant).smoked_since == ""


def test_peers_and_other_clinicians_see_no_study_section(client, participant):
    peer = PeerFactory(password=None)
    profile = participant.patient.patient_profile
    profile.peer_specialist = peer
    profile.save()
    client.force_login(peer)
    page = client.get(reverse("accounts:patient_detail", args=[participant.patient_id]))
    assert page.status_code == HTTPStatus.OK
    assert "Study follow-up" not in page.content.decode()
    client.force_login(ClinicianFactory(password=None))
    url = reverse("trials:followup_record", args=[participant.pk])
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_an_admin_records_by_trial_id_without_the_name(client, participant):
    client.force_login(AdminFactory(password=None))
    page = client.get(reverse("trials:followup_record", args=[participant.pk]))
    assert page.status_code == HTTPStatus.OK
    html = page.content.decode()
    assert participant.study_id in html
    assert "Fixed Name" not in html


# --- API --------------------------------------------------------------------------------------


def test_the_api_lists_and_answers(client, participant):
    client.force_login(participant.patient)
    listing = client.get(reverse("api:study_followup_list"))
    assert listing.status_code == HTTPStatus.OK
    rows = {row["point"]: row for row in listing.json()}
    assert rows["4w"]["can_answer"] is True
    assert rows["12w"]["can_answer"] is False
    url = reverse("api:study_followup_answer", args=[rows["4w"]["id"]])
    response = client.post(
        url,
        {"smoked_since": "more", "smoked_last_7_days": True, "cigarettes_per_day": 8},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "completed"


def test_the_api_errors_have_the_one_shape(client, participant):
    client.force_login(participant.patient)
    open_one, later = followup_at(participant), followup_at(participant, "12w")
    invalid = client.post(
        reverse("api:study_followup_answer", args=[open_one.pk]),
        {"smoked_since": "lots"},
        content_type="application/json",
    )
    assert invalid.status_code == HTTPStatus.BAD_REQUEST
    assert invalid.json()["code"] == "invalid"
    assert "smoked_since" in invalid.json()["errors"]
    conflict = client.post(
        reverse("api:study_followup_answer", args=[later.pk]),
        {"smoked_since": "none", "smoked_last_7_days": False},
        content_type="application/json",
    )
    assert conflict.status_code == HTTPStatus.CONFLICT
    assert set(conflict.json()) == {"detail", "code"}
    other = a_participant(trial=participant.trial)
    client.force_login(other.patient)
    missing = client.post(
        reverse("api:study_followup_answer", args=[open_one.pk]),
        {"smoked_since": "none", "smoked_last_7_days": False},
        content_type="application/json",
    )
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert missing.json()["code"] == "not_found"
    client.force_login(participant.patient.patient_profile.clinician)
    forbidden = client.get(reverse("api:study_followup_list"))
    assert forbidden.status_code == HTTPStatus.FORBIDDEN
    assert set(forbidden.json()) == {"detail", "code"}


def test_the_tick_opens_what_the_pages_then_offer(client):
    participant = a_participant(quit_date=timezone.localdate() - timedelta(days=30))
    followups_tick(now=timezone.now().replace(hour=12))
    assert [f.point.code for f in due_for_patient(participant.patient)] == ["4w"]
