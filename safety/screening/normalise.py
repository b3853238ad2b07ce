"""Normalisation of free text before screening, keeping a map back to the original characters.

Two views of a text are made:

- ``light``: Unicode compatibility forms folded (NFKC), accents stripped, lower case, curly quotes
  made straight, zero-width characters dropped. Personal-information rules read this view, because
  hyphens, dots and "@" matter in phone numbers, emails and handles.
- ``text``: the light view with control characters made spaces, apostrophes dropped ("can't" ->
  "cant", "I'm" -> "im"), hyphens between letters made spaces ("self-harm" -> "self harm"), runs of
  three or more of one letter shortened ("waaant" -> "want", "sooo" -> "soo", "killll" ->
  "kill"), and runs of white space made one space (or one newline, which then ends a
  sentence). Crisis, abuse and advice rules read this view, so a rule needs one spelling for
  "cant", "can't" and "can’t".

Every character of either view knows which original characters it came from, so evidence can quote
the person's own words and give their positions.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalised", "normalise"]


def _split_words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_SURROGATE = re.compile("[\ud800-\udfff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# One pass for the "text" view; each alternative is a named group so the replacement is cheap.
_TEXT_PASS = re.compile(
    r"(?P<ctrl>[\x00-\x08\x0b\x0c\x0e-\x1f\x7f])"
    r"|(?P<apos>')"
    r"|(?P<hyphen>(?<=[a-z])[-_]+(?=[a-z]))"
    r"|(?P<star>(?<=[a-z])\*+(?=[a-z]))"
    r"|(?P<rep>([a-z])\6{2,})"
    r"|(?P<ws>\s{2,}|[\t\r\n\x0b\x0c]| (?=\s))"
)
_SPECIAL = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201b": "'",
    "\u02bc": "'",
    "\u00b4": "'",
    "\u0060": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u2028": "\n",
    "\u2029": "\n",
    "\ufffd": " ",
    # Cyrillic letters that look like Latin ones, used to dodge filters ("wаnt" with a Cyrillic а)
    "\u0430": "a",
    "\u0435": "e",
    "\u043e": "o",
    "\u0440": "p",
    "\u0441": "c",
    "\u0445": "x",
    "\u0443": "y",
    "\u0456": "i",
    "\u0455": "s",
    "\u0458": "j",
    "\u0410": "a",
    "\u0415": "e",
    "\u041e": "o",
    "\u0420": "p",
    "\u0421": "c",
    "\u0425": "x",
    "\u0406": "i",
}


# Verbs people type without their final g ("thinkin", "cuttin"), as the stem before "ing".
_DROPPED_G_STEMS = _split_words(
    """think end cutt kill hurt harm dy tell say feel burn go do tak jump hang plann sav want try
    overdos scratch bleed scream shout hear suffer struggl cop liv breath exist be gett hav ly sitt
    stand walk drink smok wish hop pray drown starv plan writ giv los keep stockpil hoard collect
    stash"""
)
# Text-speak and dropped g's, written out so rules need one spelling: "thinkin bout endin it" is
# read as "thinking about ending it". Only unambiguous words are listed ("in" and "n" are not).
SLANG = {
    "bout": "about",
    "abt": "about",
    "evry1": "everyone",
    "every1": "everyone",
    "evry": "every",
    "no1": "no one",
    "noone": "no one",
    "some1": "someone",
    "sum1": "someone",
    "any1": "anyone",
    "wud": "would",
    "wld": "would",
    "cud": "could",
    "shud": "should",
    "ded": "dead",
    "dnt": "dont",
    "ppl": "people",
    "nite": "night",
    "2nite": "tonight",
    "2night": "tonight",
    "tonite": "tonight",
    "2day": "today",
    "2moro": "tomorrow",
    "2morrow": "tomorrow",
    "tmrw": "tomorrow",
    "tmr": "tomorrow",
    "b4": "before",
    "wiv": "with",
    "luv": "love",
    "ur self": "yourself",
    **{verb + "in": verb + "ing" for verb in _DROPPED_G_STEMS},
}
_SLANG_WORDS = re.compile(
    r"(?<![a-z0-9])(?:"
    + "|".join(sorted(map(re.escape, SLANG), key=len, reverse=True))
    + r")(?![a-z0-9])"
)


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    """One non-ASCII character folded: special punctuation, NFKC, accents stripped, casefold."""
    if ch in _SPECIAL:
        return _SPECIAL[ch]
    category = unicodedata.category(ch)
    if category in ("Cf", "Mn", "Me"):  # zero-width joiners, soft hyphens, variation selectors
        return ""
    if category in ("Cc", "Zl", "Zp", "Cs", "Co", "Cn") and ch not in "\n\t":
        return " "
    folded = unicodedata.normalize("NFKC", ch)
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    out = unicodedata.normalize("NFKC", stripped).casefold()
    return "".join(_SPECIAL.get(c, c) for c in out)


@dataclass(frozen=True, slots=True)
class _View:
    """A derived string and, per character, the original span it came from (None = identity)."""

    value: str
    starts: list[int] | None
    ends: list[int] | None

    def span(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        if not self.starts:
            return 0, 0
        last = len(self.starts) - 1
        s = self.starts[min(start, last)]
        e = self.ends[min(max(end - 1, start), last)]
        return s, max(e, s)


def _substitute(view: _View, pattern: re.Pattern[str], replace) -> _View:
    """Apply ``replace`` to each match of ``pattern``, carrying the original-span map along."""
    s = view.value
    pieces: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    starts = view.starts if view.starts is not None else list(range(len(s)))
    ends = view.ends if view.ends is not None else list(range(1, len(s) + 1))
    last = 0
    changed = False
    for match in pattern.finditer(s):
        a, b = match.span()
        replacement = replace(match)
        if replacement == match.group():
            continue
        changed = True
        pieces.append(s[last:a])
        new_starts.extend(starts[last:a])
        new_ends.extend(ends[last:a])
        if replacement:
            pieces.append(replacement)
            new_starts.extend([starts[a]] * len(replacement))
            new_ends.extend([ends[b - 1]] * len(replacement))
        last = b
    if not changed:
        return view
    pieces.append(s[last:])
    new_starts.extend(starts[last:])
    new_ends.extend(ends[last:])
    return _View("".join(pieces), new_starts, new_ends)


def _text_replacement(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "ctrl":
        return " "
    if kind == "apos":
        return ""
    if kind == "hyphen":
        return " "
    if kind == "star":
        return ""
    if kind == "rep":
        # English doubles e, o and consonants ("feel", "good", "kill") but hardly ever a, i, u or
        # y, so "waaant" becomes "want" while "feeeel" becomes "feel" and "killll" "kill"
        letter = match.group()[0]
        return letter if letter in "aiuy" else letter * 2
    # white space: a run holding a line break ends a sentence; anything else is one space
    return "\n" if ("\n" in match.group() or "\r" in match.group()) else " "


@dataclass(frozen=True, slots=True)
class Normalised:
    """A text prepared for screening: the original, its light and full views, and offset maps."""

    original: str
    _light: _View
    _text: _View

    @property
    def light(self) -> str:
        return self._light.value

    @property
    def text(self) -> str:
        return self._text.value

    def original_span(self, start: int, end: int, view: str = "text") -> tuple[int, int]:
        """Map a span of a view back to the span of the original text it came from."""
        return (self._text if view == "text" else self._light).span(start, end)

    def excerpt(self, start: int, end: int, view: str = "text") -> tuple[str, int, int]:
        s, e = self.original_span(start, end, view)
        return self.original[s:e], s, e


def normalise(original: str) -> Normalised:
    """Build both views of ``original`` (a str; surrogates already replaced by the caller)."""
    light = _View(original, None, None)
    if not original.isascii():
        light = _substitute(light, _NON_ASCII, lambda m: _fold_char(m.group()))
    lowered = light.value.lower()
    if len(lowered) == len(light.value):
        light = _View(lowered, light.starts, light.ends)
    else:  # a character whose lower case is longer: fold one at a time
        light = _substitute(light, re.compile(r"[A-Z]|[^\x00-\x7f]"), lambda m: m.group().lower())
    # the text view's map inherits the light view's, so both map straight to the original
    text = _substitute(light, _TEXT_PASS, _text_replacement)
    if _SLANG_WORDS.search(text.value):
        text = _substitute(text, _SLANG_WORDS, lambda m: SLANG[m.group()])
    return Normalised(original, light, text)


def replace_surrogates(value: str) -> str:
    """Lone surrogates (from broken UTF-16 or ``surrogateescape``) become U+FFFD, same length."""
    return _SURROGATE.sub("\ufffd", value)
