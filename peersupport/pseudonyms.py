"""Pseudonym rules: what a member may be called in a group. Pure Python (no Django).

A pseudonym must not identify the person or open a route to contact them outside Exhale: not
their own name or email, not an email, phone number, handle or web address, not what the safety
screening counts as personal information, and not shaped like somebody's real name ("Jane Smith").
Each refusal says why in plain words, so the person can choose again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from safety.screening import screen_text

MIN_LENGTH = 3
MAX_LENGTH = 24

_ALLOWED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 '._-]*$")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}", re.IGNORECASE)
_WEB = re.compile(r"(https?:|www\.|\.(com|co\.uk|org|net|uk|io)\b)", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"\d[\d\s.-]{4,}\d")

# Common first names in the UK (ONS birth registrations, recent decades): "Jane Smith" and
# "sarah jones" are refused, "Quiet Fox" is not. Deliberately short; a moderator sees the rest.
_NAMES = """
    aaron adam aidan alan albert alex alexander alfie alice amelia amy andrew angela ann anna
    anne anthony archie arthur barbara ben benjamin beth bethany brian callum carl carol caroline
    charlie charlotte chloe chris christine christopher claire colin craig daniel darren david
    dawn dean deborah debbie denise dennis diane donna dylan edward eleanor elizabeth ella ellie
    emily emma eric evie finley florence freddie freya gary gemma george georgia gordon grace
    graham hannah harry harvey hayley heather helen henry holly ian isaac isabella isla jack
    jacob jade jake james jamie jane janet jason jean jennifer jessica joan joanne john jonathan
    joseph joshua julie karen kate katie kathleen kayleigh keith kelly kevin kieran laura lauren
    leah lee leo lewis liam lily linda lisa logan louise lucy luke margaret maria mark martin
    mary matthew megan melissa michael michelle mohammed muhammad natalie nathan neil nicola nigel
    noah oliver olivia oscar paul pauline peter philip rachel rebecca richard robert ronald rose
    ruby russell ryan samantha samuel sandra sarah scott sean sharon shaun simon sophie stephen
    steven stuart susan teresa thomas tracey tracy victoria wayne william zoe
"""
COMMON_FIRST_NAMES = frozenset(_NAMES.split())


class PseudonymError(ValueError):
    """The pseudonym cannot be used; the message says why, for the person choosing it."""


def normalise(pseudonym: str) -> str:
    """How a pseudonym is shown: Unicode-normalised, single spaces, no edges."""
    return " ".join(unicodedata.normalize("NFKC", pseudonym).split())


def canonical(pseudonym: str) -> str:
    """What two pseudonyms are compared by: "Quiet Fox" and "quiet  fox" are the same name."""
    return normalise(pseudonym).casefold()


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", text.casefold()) if w]


def check(pseudonym: str, *, own_names: Iterable[str] = ()) -> str:
    """Return the pseudonym as it will be shown, or raise PseudonymError saying why not.

    `own_names` are what identifies this person (their full name, preferred name, the part of
    their email before the "@"): no part of three letters or more may appear in the pseudonym.
    """
    name = normalise(pseudonym)
    if len(name) < MIN_LENGTH:
        raise PseudonymError(f"Choose a name of at least {MIN_LENGTH} characters.")
    if len(name) > MAX_LENGTH:
        raise PseudonymError(f"Choose a name of at most {MAX_LENGTH} characters.")
    if _EMAIL.search(name) or "@" in name:
        raise PseudonymError(
            "An email address or @handle would let people find you. Choose a name."
        )
    if _WEB.search(name):
        raise PseudonymError("A web address would let people find you. Choose a name.")
    if _DIGIT_RUN.search(name):
        raise PseudonymError("Long numbers can identify you (a phone number). Choose a name.")
    if not _ALLOWED.match(name):
        raise PseudonymError("Use letters, numbers, spaces, dots, dashes or underscores.")
    words = _words(name)
    own = {part for text in own_names for part in _words(text) if len(part) >= MIN_LENGTH}
    if own & set(words) or any(part in name.casefold().replace(" ", "") for part in own):
        raise PseudonymError(
            "This looks like your real name. Choose a name that does not say who you are."
        )
    if len(words) >= 2 and words[0] in COMMON_FIRST_NAMES and words[1].isalpha():
        raise PseudonymError(
            "This looks like a person's real name. Choose a name that does not say who you are."
        )
    if "personal_info" in screen_text(name).categories:
        raise PseudonymError("This could identify you. Choose a different name.")
    return name
