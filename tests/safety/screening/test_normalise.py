"""Normalisation: one spelling for rules to match, and every character mapped to the original."""

from __future__ import annotations

import pytest

from safety.screening.normalise import normalise, replace_surrogates


@pytest.mark.parametrize(
    ("original", "text"),
    [
        ("I can’t do this", "i cant do this"),
        ("Self-harm", "self harm"),
        ("sooo tired", "soo tired"),
        ("I waaaant to diiiie", "i want to die"),
        ("killllll", "kill"),
        ("a\u200bb", "ab"),
        ("ＦＵＬＬ", "full"),
        ("café", "cafe"),
        ("line one\n\n\nline two", "line one\nline two"),
        ("tab\there", "tab here"),
        ("ctrl\x00char", "ctrl char"),
        ("k*ll", "kll"),
        ("thinkin bout endin it 2nite", "thinking about ending it tonight"),
        ("evry1 wud b better off", "everyone would b better off"),
    ],
)
def test_text_view(original, text):
    assert normalise(original).text == text


def test_light_view_keeps_the_punctuation_personal_information_needs():
    norm = normalise("Tom.R@Outlook.com o'brien 07911-123456")
    assert norm.light == "tom.r@outlook.com o'brien 07911-123456"


@pytest.mark.parametrize(
    "original", ["I CAN’T do this sooo much", "Ｉ ｗａｎｔ", "a\u0301b-c 😂 d"]
)
def test_every_span_maps_back_into_the_original(original):
    norm = normalise(original)
    for start in range(len(norm.text)):
        for end in range(start + 1, len(norm.text) + 1):
            excerpt, s, e = norm.excerpt(start, end)
            assert 0 <= s <= e <= len(original)
            assert excerpt == original[s:e]


def test_surrogates_are_replaced_keeping_length():
    value = "a\udcffb"
    assert replace_surrogates(value) == "a\ufffdb"
