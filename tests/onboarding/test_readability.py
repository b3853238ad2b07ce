"""Readability (onboarding/readability.py) and the standard onboarding texts: syllables, words,
sentences and Flesch reading ease, then every text in onboarding/content checked for markup
problems and the patient-facing ones for easy reading. Pure functions, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from onboarding.markup import plain_text, problems, split_title
from onboarding.readability import (
    EASY_READ_MINIMUM,
    flesch_reading_ease,
    sentences,
    syllables,
    words,
)

CONTENT = Path(__file__).resolve().parents[2] / "onboarding" / "content"
# What patients read before or while they agree; the full privacy notice is the exception.
EASY_TEXTS = ("welcome.txt", "privacy_easy.txt", "consent_programme.txt", "consent_trial.txt")


def _standard_text(name: str) -> str:
    return plain_text(split_title((CONTENT / name).read_text(encoding="utf-8"))[1])


@pytest.mark.parametrize(
    ("word", "count"),
    [
        # vowel groups
        ("stop", 1), ("smoking", 2), ("hospital", 3), ("emergency", 4), ("feasibility", 5),
        # silent final e, and the -le and -re that are syllables
        ("the", 1), ("make", 1), ("whole", 1), ("table", 2), ("people", 2), ("centre", 2),
        # -ed and -es
        ("asked", 1), ("called", 1), ("wanted", 2), ("needed", 2), ("handled", 2),
        ("makes", 1), ("uses", 2), ("changes", 2), ("places", 2), ("tables", 2),
        # y as a consonant or a vowel
        ("you", 1), ("beyond", 2), ("player", 2), ("daily", 2), ("trying", 2),
        # vowels said apart, and silent e before a suffix
        ("trial", 2), ("social", 2), ("serious", 3), ("usual", 3), ("going", 2),
        ("safely", 2), ("statement", 2), ("careful", 2), ("safety", 2), ("guidelines", 2),
        # compounds, apostrophes, hyphens, initialisms, numbers
        ("someone", 2), ("sometimes", 2), ("don't", 1), ("you're", 1), ("check-ins", 2),
        ("NHS", 3), ("GDPR", 4), ("999", 3), ("20", 2),
        # the words of the privacy texts
        ("pseudonymised", 4), ("randomisation", 5), ("questionnaires", 3), ("encrypted", 3),
        ("clinician", 3), ("specialist", 3), ("Samaritans", 4), ("monoxide", 3),
    ],
)  # fmt: skip
def test_syllables_of_known_words(word, count):
    assert syllables(word) == count


@pytest.mark.parametrize("word", ["", "'", "rhythm", "shh", "a", "I"])
def test_syllables_are_at_least_one(word):
    assert syllables(word) >= 1


def test_syllables_ignore_case_and_accents():
    assert syllables("Table") == syllables("table") == 2
    assert syllables("café") == syllables("cafe")


def test_words_are_letters_and_digits_with_inner_apostrophes_and_hyphens():
    assert words("Don't stop — call 999! It's a follow-up, e-mail… ok?") == [
        "Don't", "stop", "call", "999", "It's", "a", "follow-up", "e-mail", "ok",
    ]  # fmt: skip
    assert words(" -- ... !! ") == []


def test_sentences_end_at_stops_before_a_space_or_at_a_blank_line():
    assert sentences("Hi there. How are you? Fine! Thanks…") == [
        "Hi there.",
        "How are you?",
        "Fine!",
        "Thanks…",
    ]
    # Not inside numbers or web addresses.
    assert sentences("Visit ico.org.uk today. It is 1.5 miles away.") == [
        "Visit ico.org.uk today.",
        "It is 1.5 miles away.",
    ]
    assert sentences("A heading\n\nThen a line") == ["A heading", "Then a line"]
    assert sentences("One line\nwrapped onto two.") == ["One line\nwrapped onto two."]
    assert sentences("... !!") == []
    assert sentences("") == []


def test_flesch_reading_ease_follows_the_formula():
    # 6 words, 1 sentence, 6 syllables: 206.835 − 1.015 × 6 − 84.6 × 1.
    assert flesch_reading_ease("The cat sat on the mat.") == pytest.approx(116.145)
    # 4 words, 2 sentences, 6 syllables (stop, smok-ing, feel, bet-ter): 206.835 − 1.015 × 2
    # − 84.6 × 6 / 4.
    assert flesch_reading_ease("Stop smoking. Feel better.") == pytest.approx(77.905)


def test_empty_text_scores_100():
    assert flesch_reading_ease("") == 100.0
    assert flesch_reading_ease("  ... \n ") == 100.0


def test_a_simple_passage_scores_very_easy():
    simple = (
        "The sun is out. We walk to the park. The dog runs on the grass. "
        "We sit down and have a drink. Then we go home."
    )
    assert 95 <= flesch_reading_ease(simple) <= 120


def test_a_hard_passage_scores_very_hard():
    hard = (
        "Notwithstanding the aforementioned considerations, the implementation of comprehensive "
        "pseudonymisation methodologies necessitates considerable organisational investment, "
        "particularly regarding infrastructural interoperability and longitudinal governance "
        "arrangements within multidisciplinary healthcare institutions."
    )
    assert flesch_reading_ease(hard) < 0


def test_a_newspaper_style_passage_sits_in_between():
    plain = (
        "The new service will open in the spring. It aims to help people who want to stop "
        "smoking after they leave hospital. Patients will be offered support from trained "
        "volunteers, as well as regular contact with their care team."
    )
    assert 50 <= flesch_reading_ease(plain) <= 80


def test_the_easy_read_minimum_is_fairly_easy():
    assert EASY_READ_MINIMUM == 70.0


# ---- the standard texts -----------------------------------------------------------------------


def test_every_standard_text_has_no_markup_problems():
    paths = sorted(CONTENT.glob("*.txt"))
    assert len(paths) >= 5
    for path in paths:
        title, body = split_title(path.read_text(encoding="utf-8"))
        assert title, f"{path.name} has no title line"
        assert problems(body) == [], path.name


def test_the_easy_read_privacy_explainer_is_easy_to_read():
    text = _standard_text("privacy_easy.txt")
    score = flesch_reading_ease(text)
    assert score >= EASY_READ_MINIMUM
    # A margin, so that a small edit does not tip it under the product's floor.
    assert score >= EASY_READ_MINIMUM + 5
    average = len(words(text)) / len(sentences(text))
    assert average < 15
    # Short sentences are the point of easy read; the text aims for under 12.
    assert average < 12


@pytest.mark.parametrize("name", EASY_TEXTS)
def test_every_text_a_patient_reads_to_agree_is_easy_to_read(name):
    assert flesch_reading_ease(_standard_text(name)) >= EASY_READ_MINIMUM


def test_the_full_privacy_notice_is_still_plain_english():
    # The full notice names laws and rights, so it cannot be easy read; it stays plain English.
    assert flesch_reading_ease(_standard_text("privacy_full.txt")) >= 50


def test_the_explainer_covers_who_sees_what_and_how_to_leave():
    text = _standard_text("privacy_easy.txt")
    for phrase in (
        "care team",
        "peer support specialist",
        "group name",
        "code number",
        "encryption",
        "20 years",
        "Account page",
        "Stopping does not change your NHS care.",
    ):
        assert phrase in text, phrase


def test_the_welcome_says_where_to_get_help_now():
    text = _standard_text("welcome.txt")
    for phrase in ("999", "NHS 111", "mental health option", "116 123", "Get help now"):
        assert phrase in text, phrase
    assert "not an emergency service" in text
