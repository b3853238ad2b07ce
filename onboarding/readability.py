"""Readability: syllables, words, sentences and the Flesch reading ease of English text.

Used to hold the onboarding texts to easy read: people just out of acute mental-health care
may be unwell, on medication that blurs concentration, or not confident readers. A score is a
blunt tool (it cannot tell a kind sentence from a cold one), so it is a floor, not the aim.

Pure Python, no dictionary download: the syllable count is a heuristic (vowel groups with the
common English exceptions), right for most everyday words and near enough for the rest.
"""

from __future__ import annotations

import re
import unicodedata

# The product's floor for easy-read texts. 70 is "fairly easy" on Flesch's scale: plain
# English that most 12- to 13-year-olds read easily.
EASY_READ_MINIMUM = 70.0

# A word: letters or digits, with inner apostrophes ("don't") and hyphens ("follow-up").
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
# A sentence ends at . ! ? or … followed by a space or the end (so "1.5" and "ico.org.uk"
# do not end one), or at a blank line (a heading or list item without a full stop).
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n\s*\n")
_VOWELS = frozenset("aeiou")

# Words the rules below miscount that onboarding texts are likely to use.
_EXCEPTIONS: dict[str, int] = {
    "area": 3,
    "idea": 3,
    "create": 2,
    "created": 3,
    "creates": 2,
    "ideas": 3,
    "areas": 3,
    "science": 2,
    "suicide": 3,
    "suicidal": 4,
    "video": 3,
    "poem": 2,
    "being": 2,
    "every": 2,
    "evening": 2,
    "business": 2,
    "maybe": 2,
}
# Compound words whose second part starts with a silent-e trap ("some|one", "some|times").
_COMPOUND_HEADS = ("some", "any", "every", "no")
_COMPOUND_TAILS = ("one", "thing", "things", "time", "times", "where", "body", "how", "way")
# Second words after a first that ends in a silent e ("guide|lines", "safe|guard", "mile|stone").
_SILENT_E_TAILS = ("line", "lines", "time", "times", "stone", "stones", "load", "work", "guard")
# Letter pairs inside a vowel group that are two syllables ("tri-al", "se-ri-ous", "us-u-al")
# unless after these letters, where they fuse ("so-cial", "na-tion", "mil-lion", "lan-guage").
_SPLIT_PAIRS = {"ia": "ctsgxl", "io": "ctsgxln", "iu": "ctsgx", "ua": "gq", "uo": "gq"}


def _letters(word: str) -> str:
    """Lower-case ASCII letters of `word`: accents dropped ("café" → "cafe"), apostrophes and
    anything else removed ("don't" → "dont")."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed.lower() if "a" <= c <= "z")


def _vowel_mask(w: str) -> list[bool]:
    """Which letters of `w` sound as vowels. "y" is a consonant at the start of a word ("you")
    and between vowels ("player", "beyond"), a vowel otherwise ("my", "trying"); "u" after
    "q" is a consonant ("equal")."""
    mask: list[bool] = []
    for i, c in enumerate(w):
        if c == "y":
            between = 0 < i < len(w) - 1 and w[i - 1] in _VOWELS and w[i + 1] in _VOWELS
            mask.append(i > 0 and not between)
        elif c == "u" and i > 0 and w[i - 1] == "q":
            mask.append(False)
        else:
            mask.append(c in _VOWELS)
    return mask


def _count(w: str) -> int:
    """The syllables of a lower-case word of letters, before the minimum of one."""
    if w in _EXCEPTIONS:
        return _EXCEPTIONS[w]
    for head in _COMPOUND_HEADS:
        tail = w.removeprefix(head)
        if tail != w and tail in _COMPOUND_TAILS:
            return max(1, _count(head)) + max(1, _count(tail))
    for tail in _SILENT_E_TAILS:
        head = w.removesuffix(tail)
        if head != w and len(head) >= 3 and head.endswith("e") and head[-2] not in _VOWELS:
            return max(1, _count(head)) + _count(tail)

    mask = _vowel_mask(w)
    # Vowel groups, as (start, end) spans.
    groups: list[tuple[int, int]] = []
    for i, vowel in enumerate(mask):
        if vowel:
            if groups and groups[-1][1] == i:
                groups[-1] = (groups[-1][0], i + 1)
            else:
                groups.append((i, i + 1))
    count = len(groups)

    def consonant(i: int) -> bool:
        return 0 <= i < len(w) and not mask[i]

    # Two-syllable pairs inside a group ("trial", "serious", "usual", "continuous").
    for start, end in groups:
        before = w[start - 1] if start > 0 else ""
        for i in range(start, end - 1):
            fused_after = _SPLIT_PAIRS.get(w[i : i + 2])
            if fused_after is not None and before not in fused_after:
                count += 1

    n = len(w)
    if w.endswith("e") and n > 2 and consonant(n - 2):
        # Silent final e ("make", "whole"), but -le after a consonant is a syllable ("table",
        # "people"), and so is -re after one ("centre", "litre").
        if not (w[-2] in "lr" and consonant(n - 3)):
            count -= 1
    elif w.endswith("ed") and n > 3 and consonant(n - 3) and w[-3] not in "td":
        # -ed is silent ("asked", "called") except after t or d ("wanted") and in a syllabic
        # -le ("handled", but not "filled").
        if not (w[-3] == "l" and consonant(n - 4) and w[-4] != "l"):
            count -= 1
    elif w.endswith("es") and n > 3 and consonant(n - 3):
        # -es is silent ("makes") except after a hiss ("uses", "boxes", "wishes", "places",
        # "changes") and in a syllabic -les or -res ("tables", "centres").
        hiss = w[-3] in "sxzcg" or w.endswith(("ches", "shes"))
        syllabic = w[-3] in "lr" and consonant(n - 4) and w[-4] != w[-3]
        if not (hiss or syllabic):
            count -= 1

    # "ie" said apart: "qui-et", "so-ci-e-ty", "ex-pe-ri-ence", "cli-ent", but not "pa-tient",
    # "friend" or "piece".
    count += len(re.findall(r"ie(?=t)|(?<![ctsg])ie(?=n[ct])", w))

    # A silent e before a suffix: "safely", "statement", "careful", "careless", "safety".
    for suffix in ("ly", "ment", "ments", "ful", "less", "ness", "ty"):
        stem = w.removesuffix(suffix)
        if (
            stem != w
            and stem.endswith("e")
            and len(stem) > 2
            and consonant(len(stem) - 2)
            and not (stem[-2] == "l" and consonant(len(stem) - 3))
        ):
            count -= 1
            break

    # "-ing" after a vowel is a syllable of its own ("go-ing", "see-ing", "try-ing").
    if w.endswith(("ing", "ings")) and groups:
        i = w.rfind("ing")
        for start, end in groups:
            if start < i < end:
                count += 1
    # A syllabic m: "au-tis-m", "rhy-thm".
    if w.endswith(("ism", "isms", "thm", "thms")):
        count += 1
    # "-ier" and "-iest" after a consonant: "eas-i-er", "hap-pi-est".
    if re.search(r"[^aeiou]i(?:ers?|est)$", w):
        count += 1
    return count


def syllables(word: str) -> int:
    """The syllables in one English word, at least 1.

    Counts vowel groups (y as a vowel after a consonant), then adjusts for a silent final e,
    a syllabic -le and -re, silent -ed and -es endings, a silent e before -ly, -ment, -ful,
    -less and -ness, vowel pairs said apart ("tri-al"), and -ing after a vowel. Hyphenated
    words count each part. A number counts one syllable per digit ("999" is "nine nine nine"),
    and a short all-capital word is read letter by letter ("NHS", "GDPR").
    """
    parts = [part for part in re.split(r"[-‐–]", word) if part]
    if len(parts) > 1:
        return sum(syllables(part) for part in parts)
    digits = sum(c.isdigit() for c in word)
    if digits:
        return max(1, digits)
    letters = _letters(word)
    if 2 <= len(letters) <= 4 and word.isalpha() and word.isupper():
        return len(letters)  # an initialism, said letter by letter
    return max(1, _count(letters))


def words(text: str) -> list[str]:
    """The words in `text`: runs of letters or digits, keeping inner apostrophes and hyphens.
    Punctuation, symbols and emoji are not words."""
    return _WORD.findall(text)


def sentences(text: str) -> list[str]:
    """The sentences in `text`, stripped. A sentence ends at . ! ? or … before a space or the
    end of the text, or at a blank line. Pieces with no words ("...") are dropped."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece.strip() and words(piece)]


def flesch_reading_ease(text: str) -> float:
    """Flesch reading ease: 206.835 − 1.015 × (words per sentence) − 84.6 × (syllables per
    word). Higher is easier: 90–100 very easy, 70–80 fairly easy, 60–70 plain English, under 30
    very hard. Text without words scores 100.0: there is nothing hard to read in it."""
    found = words(text)
    if not found:
        return 100.0
    sentence_count = max(1, len(sentences(text)))
    syllable_count = sum(syllables(word) for word in found)
    return 206.835 - 1.015 * (len(found) / sentence_count) - 84.6 * (syllable_count / len(found))
