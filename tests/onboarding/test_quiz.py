"""The guidelines quiz (onboarding/quiz.py): the three questions, their answers and the check
that never blocks. Pure functions, no database."""

from __future__ import annotations

import dataclasses

import pytest

from onboarding.quiz import QUESTIONS, VERSION, Question, check
from onboarding.readability import EASY_READ_MINIMUM, flesch_reading_ease

BY_KEY = {question.key: question for question in QUESTIONS}
RIGHT = {question.key: question.correct for question in QUESTIONS}


def _label(question: Question, value: str) -> str:
    return dict(question.choices)[value]


def test_there_are_three_questions_on_the_three_safety_topics():
    keys = [question.key for question in QUESTIONS]
    assert keys == ["personal_details", "emergency", "real_name"]
    assert VERSION == "2026-12"


def test_each_question_has_distinct_choices_and_its_right_answer_among_them():
    for question in QUESTIONS:
        values = [value for value, _ in question.choices]
        assert len(values) >= 2, question.key
        assert len(set(values)) == len(values), question.key
        assert question.correct in values, question.key
        assert all(label.strip() for _, label in question.choices), question.key
        assert question.text.endswith("?"), question.key
        assert question.explanation.strip(), question.key


def test_the_right_answer_is_not_always_in_the_same_place():
    positions = {[v for v, _ in q.choices].index(q.correct) for q in QUESTIONS}
    assert len(positions) > 1


def test_the_questions_say_what_the_guidelines_say():
    details = BY_KEY["personal_details"]
    assert "phone number" in details.text
    assert details.correct == "no"
    assert "phone number" in details.explanation

    emergency = BY_KEY["emergency"]
    right = _label(emergency, emergency.correct)
    assert "999" in right
    assert "Get help now" in right
    # The wrong answers are the tempting ones: waiting for a peer specialist or a check-in.
    wrong = [label for value, label in emergency.choices if value != emergency.correct]
    assert any("peer specialist" in label for label in wrong)
    assert "do not wait" in emergency.explanation

    real_name = BY_KEY["real_name"]
    assert "group name" in _label(real_name, real_name.correct)
    assert "never see your real name" in real_name.explanation


def test_all_right_answers_are_all_true():
    assert check(RIGHT) == {"personal_details": True, "emergency": True, "real_name": True}


def test_each_wrong_answer_is_false_and_the_others_stay_true():
    for question in QUESTIONS:
        for value, _ in question.choices:
            if value == question.correct:
                continue
            result = check({**RIGHT, question.key: value})
            assert result[question.key] is False
            assert all(ok for key, ok in result.items() if key != question.key)


def test_missing_unknown_and_empty_answers_are_false():
    assert check({}) == {"personal_details": False, "emergency": False, "real_name": False}
    assert check({"emergency": "get_help"}) == {
        "personal_details": False,
        "emergency": True,
        "real_name": False,
    }
    unknown = check({"personal_details": "maybe", "emergency": "", "real_name": "GROUP_NAME"})
    assert unknown == {"personal_details": False, "emergency": False, "real_name": False}


def test_extra_answers_are_ignored():
    assert check({**RIGHT, "something_else": "yes"}) == dict.fromkeys(RIGHT, True)


def test_a_question_cannot_be_changed_at_run_time():
    with pytest.raises(dataclasses.FrozenInstanceError):
        QUESTIONS[0].correct = "yes"  # type: ignore[misc]


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.key)
def test_the_words_are_easy_to_read(question):
    # The people answering may be unwell; each question, its choices and its explanation must
    # be easy read, as the texts around them are.
    assert flesch_reading_ease(question.text) >= EASY_READ_MINIMUM
    assert flesch_reading_ease(question.explanation) >= EASY_READ_MINIMUM
    for _, label in question.choices:
        assert flesch_reading_ease(label) >= EASY_READ_MINIMUM, label
