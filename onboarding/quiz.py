"""Three quick questions that check the community guidelines are understood.

They cover the three things that keep people safe in the peer groups: personal details stay
out, an emergency is not a job for a peer specialist, and other members see a group name only
(templates/peersupport/member/guidelines.html says the same at more length).

A wrong answer never blocks anyone: the page shows the question's explanation, and the person
may try again or carry on. Someone just out of hospital should not fail a test to get support;
the point is that they have read the kind explanation once. Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Stored with a person's answers, so a record says which questions were asked. Change it
# whenever a question, a choice or the right answer changes.
VERSION = "2026-12"


@dataclass(frozen=True)
class Question:
    """One question with its choices as (value, label) pairs, in the order shown."""

    key: str
    text: str
    choices: tuple[tuple[str, str], ...]
    correct: str  # the value of the right choice
    explanation: str  # why the right answer is right; shown, kindly, after a wrong answer


# The right answer is not always in the same place, so a guess by position is no shortcut.
QUESTIONS: tuple[Question, ...] = (
    Question(
        key="personal_details",
        text="Can you post your phone number in a group, so someone can text you?",
        choices=(
            ("yes", "Yes, if I like them"),
            ("no", "No, I keep my phone number out of the groups"),
            ("yes_later", "Yes, if I delete it later"),
        ),
        correct="no",
        explanation=(
            "Keep your phone number, address and full name out of the groups. "
            "This keeps you and everyone else safe. "
            "A post with a phone number waits for a peer specialist to read it first."
        ),
    ),
    Question(
        key="emergency",
        text="You feel unsafe, or you are in danger. What should you do?",
        choices=(
            ("get_help", 'Call 999, or press the red "Get help now" button'),
            ("wait_peer", "Post in my group and wait for a peer specialist"),
            ("wait_checkin", "Wait for my next check-in"),
        ),
        correct="get_help",
        explanation=(
            "Get help straight away: call 999, or press Get help now. "
            "Peer specialists are not there all the time, so do not wait for a reply. "
            "Exhale is not an emergency service."
        ),
    ),
    Question(
        key="real_name",
        text="What do other group members see about you?",
        choices=(
            ("real_name", "My real name"),
            ("everything", "My name and my check-ins"),
            ("group_name", "Only my group name and what I post"),
        ),
        correct="group_name",
        explanation=(
            "Other members only ever see your group name and what you post. "
            "They never see your real name or your check-ins. "
            "Staff can find out who you are only if they need to, to keep you or others safe."
        ),
    ),
)


def check(answers: Mapping[str, str]) -> dict[str, bool]:
    """Whether each question was answered right, by key. A missing answer, or one that is not
    among the question's choices, counts as not right (and is shown the explanation)."""
    return {question.key: answers.get(question.key) == question.correct for question in QUESTIONS}
