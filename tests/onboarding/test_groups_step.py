"""The groups step: three questions on the guidelines that explain a wrong answer and never
block, a group name peersupport accepts, and joining an open group, which completes the step."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from onboarding import quiz, services
from onboarding.models import StepRecord
from peersupport.models import Membership, PeerMember
from tests.onboarding.helpers import QUIZ_RIGHT, a_new_patient, at_step
from tests.peersupport.helpers import a_group

pytestmark = pytest.mark.django_db

ALL_WRONG = {
    question.key: next(value for value, _label in question.choices if value != question.correct)
    for question in quiz.QUESTIONS
}
CARRY_ON = "Carry on: choose my group name"


def _detail(patient) -> dict:
    return StepRecord.objects.get(journey__patient=patient, step="groups").detail


@pytest.fixture
def at_groups(client):
    patient = at_step(a_new_patient(), "groups")
    client.force_login(patient)
    return patient


def test_before_any_answer_there_is_no_way_round_the_questions(client, at_groups):
    page = client.get(reverse("onboarding:groups"))

    assert page.status_code == HTTPStatus.OK
    assert CARRY_ON not in page.text
    assert client.get(reverse("onboarding:groups_name")).url == reverse("onboarding:groups")


def test_wrong_answers_are_explained_with_the_right_one_and_do_not_block(client, at_groups):
    response = client.post(reverse("onboarding:groups"), ALL_WRONG)

    assert response.status_code == HTTPStatus.OK
    for question in quiz.QUESTIONS:
        right = dict(question.choices)[question.correct]
        assert f"Not quite. The answer is: {right}".replace('"', "&quot;") in response.text
        assert question.explanation.split(". ")[0] in response.text
    assert CARRY_ON in response.text
    assert reverse("onboarding:groups_name") in response.text
    assert _detail(at_groups) == {
        "quiz_tries": 1,
        "quiz_version": quiz.VERSION,
        "quiz_right_first_time": 0,
    }
    # The link works: the name page opens after one try, whatever the answers.
    assert client.get(reverse("onboarding:groups_name")).status_code == HTTPStatus.OK
    # And on coming back to the questions, the way on is still there.
    assert CARRY_ON in client.get(reverse("onboarding:groups")).text


def test_one_wrong_answer_is_explained_and_the_right_ones_are_confirmed(client, at_groups):
    answers = {**QUIZ_RIGHT, "emergency": "wait_peer"}

    response = client.post(reverse("onboarding:groups"), answers)

    assert response.status_code == HTTPStatus.OK
    assert response.text.count("Right.") == 2
    assert response.text.count("Not quite.") == 1
    assert "Exhale is not an emergency service." in response.text
    assert _detail(at_groups)["quiz_right_first_time"] == 2


def test_right_answers_go_straight_to_the_name(client, at_groups):
    response = client.post(reverse("onboarding:groups"), QUIZ_RIGHT)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("onboarding:groups_name")
    detail = _detail(at_groups)
    assert detail["quiz_tries"] == 1
    assert detail["quiz_right_first_time"] == 3
    assert detail["quiz_passed"] is True


def test_tries_are_counted_and_the_first_try_is_kept(client, at_groups):
    client.post(reverse("onboarding:groups"), ALL_WRONG)
    client.post(reverse("onboarding:groups"), {**QUIZ_RIGHT, "real_name": "real_name"})
    response = client.post(reverse("onboarding:groups"), QUIZ_RIGHT)

    assert response.url == reverse("onboarding:groups_name")
    detail = _detail(at_groups)
    assert detail["quiz_tries"] == 3
    assert detail["quiz_right_first_time"] == 0
    assert detail["quiz_passed"] is True


def test_an_unanswered_question_asks_for_an_answer_and_counts_no_try(client, at_groups):
    response = client.post(
        reverse("onboarding:groups"), {k: v for k, v in QUIZ_RIGHT.items() if k != "real_name"}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose an answer." in response.text
    assert "quiz_tries" not in _detail(at_groups)


@pytest.mark.parametrize(
    ("pseudonym", "reason"),
    [
        ("Robin", "This looks like your real name. Choose a name that does not say who you are."),
        ("07700 900123", "Long numbers can identify you (a phone number). Choose a name."),
    ],
)
def test_a_group_name_that_could_identify_the_patient_is_refused_with_the_reason(
    client, at_groups, pseudonym, reason
):
    client.post(reverse("onboarding:groups"), QUIZ_RIGHT)

    response = client.post(reverse("onboarding:groups_name"), {"pseudonym": pseudonym})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert reason in response.text
    assert not PeerMember.objects.filter(user=at_groups).exists()
    assert client.get(reverse("onboarding:groups_join")).url == reverse("onboarding:groups_name")


def test_a_good_group_name_accepts_the_guidelines_and_goes_on_to_join(client, at_groups):
    client.post(reverse("onboarding:groups"), ALL_WRONG)

    response = client.post(reverse("onboarding:groups_name"), {"pseudonym": "Quiet Fox"})

    assert response.url == reverse("onboarding:groups_join")
    member = PeerMember.objects.get(user=at_groups)
    assert member.pseudonym == "Quiet Fox"
    assert member.guidelines_accepted_at is not None
    assert StepRecord.objects.get(journey__patient=at_groups, step="groups").completed_at is None


def _named(client, patient) -> None:
    client.post(reverse("onboarding:groups"), QUIZ_RIGHT)
    client.post(reverse("onboarding:groups_name"), {"pseudonym": "Quiet Fox"})


def test_a_closed_group_cannot_be_joined_and_the_step_stays_open(client, at_groups):
    a_group("first-weeks")
    closed = a_group("full-house", is_open=False)
    _named(client, at_groups)

    page = client.get(reverse("onboarding:groups_join"))
    response = client.post(reverse("onboarding:groups_join"), {"group": closed.slug})

    assert "Full house" not in page.text
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose one of the groups below." in response.text
    assert not Membership.objects.filter(member=at_groups).exists()
    record = StepRecord.objects.get(journey__patient=at_groups, step="groups")
    assert record.completed_at is None


def test_the_service_refuses_a_closed_group_with_the_reason_and_completes_nothing(
    client, at_groups
):
    closed = a_group("full-house", is_open=False)
    _named(client, at_groups)

    with pytest.raises(ValidationError) as refused:
        services.groups_step_join(patient=at_groups, by=at_groups, group=closed)

    assert refused.value.message_dict["group"] == ["This group is not taking new members."]
    assert StepRecord.objects.get(journey__patient=at_groups, step="groups").completed_at is None


def test_joining_a_group_completes_the_step(client, at_groups):
    group = a_group("first-weeks")
    _named(client, at_groups)

    response = client.post(reverse("onboarding:groups_join"), {"group": group.slug})

    assert response.url == reverse("accounts:patient_home")
    assert Membership.objects.filter(member=at_groups, group=group, left_at=None).exists()
    record = StepRecord.objects.get(journey__patient=at_groups, step="groups")
    assert record.completed_at is not None
    assert record.completed_by == at_groups
    assert record.detail["group"] == group.pk
    assert record.detail["quiz_right_first_time"] == 3
