"""Checks for personal-information matches that a pattern alone cannot decide.

The patterns live in ``rules/personal_info.toml``; each names one of the checks below, which is run
on every match. A check answers "is this really a phone number / NHS number / address / handle /
name?" and may look at the rest of the post (a platform name makes "@jade" a handle).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["CHECKS", "CheckContext", "is_nhs_number", "phone_kind"]


def _words(text: str) -> frozenset[str]:
    """A set of words written as one string, for long word lists."""
    return frozenset(text.split())


_NON_DIGIT = re.compile(r"\D")
_PLATFORM = re.compile(
    r"(?<![a-z])(?:facebook|fb|insta|instagram|ig|snap|snapchat|tiktok|tik tok|twitter|whatsapp|"
    r"telegram|discord|kik|signal|linkedin|threads|bluesky|reddit|messenger|youtube|handle|"
    r"username|add me|follow me|find me|message me|dm me|hmu|look me up|search me)(?![a-z])"
)
# Words that can stand between a house number and a street type without being a street name:
# "10 minute walk", "5 mile drive", "a 2 day hill walk".
_ADDRESS_STOP = _words(
    """minute minutes min mins hour hours hr hrs mile miles km kms metre metres meter meters day
    days week weeks month months year years time times second seconds cig cigs fag fags quid
    pound pounds penny pence a an the of for to at in on and or but my his her our your their
    this that these those am pm mg ml x more less people steps laps round lap percent patch
    patches lozenge lozenges piece pieces bit bits mins hours long short slow fast brisk quick
    nice lovely good great bad hard easy big small little huge massive daily weekly hilly steep
    uphill downhill sunny rainy cold hot windy early late morning evening night afternoon
    weekend country coastal beach dog family charity sponsored fun"""
)
# Words that mark where an address begins, read backwards from the street type.
_ADDRESS_BOUNDARY = _words(
    """live living lives on at in to is address my come round over pop by im i'm i am we flat house
    near opposite next off the"""
)
_STRONG_STREET = _words(
    """road street lane avenue close drive crescent terrace gardens grove mews rd ave gdns cres
    parade"""
)
_ADDRESS_CUE = re.compile(
    r"(?<![a-z])(?:live|living|address|flat|house|home|come round|come over|pop round|pop over|"
    r"pop by|visit me|staying at|my place|door|postcode|near me|opposite|next to|i'm at|im at|"
    r"i am at)(?![a-z])"
)
# Words that end a name offered for contact ("my name is dave AND ...").
_NAME_STOP = _words(
    """and but so from btw i im i'm lol x xx haha the on in is was hi hello hey thanks thank by
    here there not just also too really very a an of at to for with my your new been going now
    today been day week smoke free quit quitting off back if when as or yes no"""
)
_NAME_CUE_LOWER_OK = re.compile(
    r"^(?:my (?:full |real |proper |actual )?name(?:'s|s| is)|im called|i'm called|i am called)"
)


@dataclass(frozen=True, slots=True)
class CheckContext:
    """What a check may look at: the light view, the original text and the resource numbers."""

    light: str
    original: str
    resources: frozenset[str]
    original_slice: object  # callable (start, end) -> original text of a light-view span


def is_nhs_number(digits: str) -> bool:
    """True when ten digits carry a valid NHS mod-11 check digit (weights 10..2)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(digits[9])


def phone_kind(raw: str, resources: frozenset[str] = frozenset()) -> str | None:
    """'uk' or 'international' when ``raw`` is written like a phone number, else None."""
    digits = _NON_DIGIT.sub("", raw)
    plus = raw.lstrip("( ").startswith("+") or digits.startswith("00")
    if digits in resources:
        return None
    if digits.startswith("0044"):
        digits = digits[4:]
        digits = digits if digits.startswith("0") else "0" + digits
    elif plus and digits.startswith("44"):
        digits = digits[2:]
        digits = digits if digits.startswith("0") else "0" + digits
    elif plus:
        return "international" if 8 <= len(digits.lstrip("0")) <= 15 else None
    if digits in resources:
        return None
    if digits.startswith("0"):
        if len(digits) == 11 and digits[1] in "123578":
            return "uk"
        if len(digits) == 10 and digits[1] in "18":
            return "uk"
        return None
    if len(digits) == 10 and digits[0] == "7" and not is_nhs_number(digits):
        return "uk"  # a mobile written without its leading 0
    return None


def _check_phone(match: re.Match[str], context: CheckContext) -> bool:
    return phone_kind(match.group(), context.resources) is not None


def _check_nhs_number(match: re.Match[str], context: CheckContext) -> bool:
    return is_nhs_number(_NON_DIGIT.sub("", match.group()))


def _check_street_address(match: re.Match[str], context: CheckContext) -> bool:
    words = re.findall(r"[a-z0-9][a-z0-9'.\-]*|,", match.group())
    if not words:
        return False
    suffix = words[-1]
    names: list[str] = []
    for word in reversed(words[:-1]):
        if word == "," or word[0].isdigit() or word in _ADDRESS_BOUNDARY or len(names) == 3:
            break
        if word in _ADDRESS_STOP:
            return False
        names.append(word)
    if not names:
        return False
    original = str(context.original_slice(*match.span()))
    as_written = {word.lower(): word for word in re.findall(r"[^\W\d_][\w'.\-]*", original)}
    if all(as_written.get(name, name)[:1].isupper() for name in names):
        return True
    return suffix in _STRONG_STREET or bool(_ADDRESS_CUE.search(context.light))


def _check_handle(match: re.Match[str], context: CheckContext) -> bool:
    handle = match.group()[1:]
    if any(c.isdigit() or c in "_." for c in handle):
        return True
    return bool(_PLATFORM.search(context.light))


def _check_full_name(match: re.Match[str], context: CheckContext) -> bool:
    words = re.findall(r"[a-z][a-z'\-]+", match.group())
    first, last = words[-2], words[-1]
    if first in _NAME_STOP or last in _NAME_STOP:
        return False
    if _NAME_CUE_LOWER_OK.match(match.group()):
        return True
    original = str(context.original_slice(*match.span()))
    tail = original.split()[-2:]
    return len(tail) == 2 and all(part[:1].isupper() for part in tail)


# The 121 UK postcode areas (Royal Mail): the letters before the first digit of a postcode.
POSTCODE_AREAS = _words(
    """ab al b ba bb bd bh bl bn br bs bt ca cb cf ch cm co cr ct cv cw da dd de dg dh dl dn dt dy
    e ec eh en ex fk fy g gl gu gy ha hd hg hp hr hs hu hx ig im ip iv je ka kt kw ky l la ld le
    ll ln ls lu m me mk ml n ne ng nn np nr nw ol ox pa pe ph pl po pr rg rh rm s sa se sg sk sl
    sm sn so sp sr ss st sw sy ta td tf tn tq tr ts tw ub w wa wc wd wf wn wr ws wv yo ze"""
)
_AREA = re.compile(r"[a-z]{1,2}(?=\d)")


def _check_postcode(match: re.Match[str], context: CheckContext) -> bool:
    area = _AREA.match(match.group())
    return area is not None and area.group() in POSTCODE_AREAS


CHECKS = {
    "postcode": _check_postcode,
    "phone": _check_phone,
    "nhs_number": _check_nhs_number,
    "street_address": _check_street_address,
    "handle": _check_handle,
    "full_name": _check_full_name,
}
