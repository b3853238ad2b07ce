"""Trigger strings: which rules can possibly match a text, found without running them.

A rule is worth running on a text only if some literal piece of its pattern occurs in the text.
``triggers_for`` works those pieces out from a pattern's parse tree when the rules are loaded
(small alternations such as "want|wanna" are followed through as whole strings); ``Gate`` files
them under short windows of characters and, for each text, opens only the files of windows the text
contains. Nothing here decides anything: it only saves running rules that cannot match, and the test
suite checks that it never hides one that does.
"""

from __future__ import annotations

from collections.abc import Iterable

try:  # Python 3.11+: the regular-expression parser lives here
    from re import _constants as _sre_c  # type: ignore[attr-defined]
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older interpreters
    import sre_constants as _sre_c  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

__all__ = ["COMMON", "Gate", "key", "triggers_for", "windows"]


def _words(text: str) -> frozenset[str]:
    """A set of words written as one string, for long word lists."""
    return frozenset(text.split())


_FINITE_CAP = 256  # largest set of alternative strings followed through a pattern


def _finite(items: Iterable) -> set[str] | None:
    """All strings a (sub)pattern can match, if it is a small finite language, else None."""
    current = {""}
    for op, av in items:
        if op is _sre_c.LITERAL:
            # the text view drops apostrophes and turns hyphens between letters into spaces
            options = {_TEXT_VIEW_CHAR.get(chr(av), chr(av))}
        elif op is _sre_c.IN:
            options = _char_set(av)
            if options is None:
                return None
        elif op is _sre_c.SUBPATTERN:
            options = _finite(av[-1])
        elif op is _sre_c.BRANCH:
            options = set()
            for alternative in av[1]:
                inner = _finite(alternative)
                if inner is None:
                    return None
                options |= inner
        elif op in _REPEATS and av[1] <= 1:
            inner = _finite(av[2])
            if inner is None:
                return None
            options = inner | ({""} if av[0] == 0 else set())
        elif op in (_sre_c.AT, _sre_c.ASSERT, _sre_c.ASSERT_NOT):
            continue  # zero-width: adds nothing to the text matched
        else:
            return None
        if options is None or len(current) * len(options) > _FINITE_CAP:
            return None
        current = {a + b for a in current for b in options}
    return current


_TEXT_VIEW_CHAR = {"'": "", "-": " "}


def _char_set(items: list) -> set[str] | None:
    """The characters of a small character class like [ye] or [a-c], else None."""
    chars: set[str] = set()
    for op, av in items:
        if op is _sre_c.LITERAL:
            chars.add(_TEXT_VIEW_CHAR.get(chr(av), chr(av)))
        elif op is _sre_c.RANGE and av[1] - av[0] < 8:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:
            return None
    return chars if len(chars) <= 8 else None


def _literal_sets(items: Iterable) -> list[frozenset[str]]:
    """Sets of strings such that every match contains at least one string of each set.

    Walks a parsed pattern left to right, following small finite alternatives ("want|wanna",
    optional words) as whole strings; when that grows too large, or an open-ended piece (a
    character class, a repeat) breaks the run, the strings so far become one required set.
    """
    required: list[frozenset[str]] = []
    current = {""}

    def flush() -> None:
        nonlocal current
        words = {w.strip() for w in current}
        if words and "" not in words:
            required.append(frozenset(words))
        current = {""}

    for item in items:
        op, av = item
        options = _finite([item])
        if options is not None and len({w.strip() for w in options} - {""}) == len(options):
            required.append(frozenset(w.strip() for w in options))  # the piece on its own
        if options is not None and len(current) * len(options) <= _FINITE_CAP:
            current = {a + b for a in current for b in options}
            continue
        flush()
        if options is not None:  # finite but too many combined: start afresh with this piece
            current = set(options)
            continue
        if op is _sre_c.SUBPATTERN:
            required.extend(_literal_sets(av[-1]))
        elif op is _sre_c.BRANCH:
            union: set[str] = set()
            for alternative in av[1]:
                best = _best(_usable(_literal_sets(alternative)))
                if best is None:
                    union = set()
                    break
                union |= best
            if union:
                required.append(frozenset(union))
        elif op in _REPEATS and av[0] >= 1:
            required.extend(_literal_sets(av[2]))
        elif op is getattr(_sre_c, "ATOMIC_GROUP", None):
            required.extend(_literal_sets(av))
        # IN, ANY, CATEGORY, unbounded optional repeats: nothing certain
    flush()
    return required


_REPEATS = tuple(
    op
    for op in (
        _sre_c.MAX_REPEAT,
        _sre_c.MIN_REPEAT,
        getattr(_sre_c, "POSSESSIVE_REPEAT", None),
    )
    if op is not None
)


# Very common words and fragments make poor triggers: a rule gated on "my" runs on every post.
COMMON = _words(
    """the and you your for are was were have has had not but all any can her his him she they them
    their there here what when who why how this that with from out our one get got just like
    know now then than too very want will would could should about been being into only over
    some such more most much many also back well way day days time good make made take took come
    came going gonna give gave feel felt need into off down own same see say said tell told end
    ending all life live self ever ate eat let me my he go it do to of in on at is be as by or
    an if so up no yes day way one two new old ill its ive dont cant im id"""
)


def _usable(sets: list[frozenset[str]]) -> list[frozenset[str]]:
    """Sets whose strings all have three characters or more (the engine indexes trigrams) and no
    apostrophe or hyphen (which the text view drops)."""
    return [
        s for s in sets if min(len(w) for w in s) >= 3 and not any(c in w for w in s for c in "'-")
    ]


def _minimal(choice: frozenset[str]) -> frozenset[str]:
    """Drop strings that contain another string of the set: finding the shorter one suffices."""
    return frozenset(s for s in choice if not any(o != s and o in s for o in choice))


def _selectivity(choice: frozenset[str]) -> float:
    shortest = min(len(s.replace(" ", "")) for s in choice)
    common = sum(1 for s in choice if s.strip() in COMMON)
    return min(shortest, 7) - 0.04 * len(choice) - 2.5 * common


def _best(sets: list[frozenset[str]] | None) -> frozenset[str] | None:
    if not sets:
        return None
    return max(sets, key=_selectivity)


def triggers_for(pattern: str) -> tuple[tuple[str, ...], ...]:
    """Up to two trigger sets for a pattern (empty: the rule always runs)."""
    try:
        parsed = _sre_parse.parse(pattern.lower())
    except Exception:
        return ()
    sets = _literal_sets(parsed.data if hasattr(parsed, "data") else parsed) or []
    # three characters at least (the engine indexes trigrams); no apostrophes or hyphens, which the
    # text view drops
    useful = [_minimal(s) for s in _usable(sets)]
    useful.sort(key=_selectivity, reverse=True)
    return tuple(tuple(sorted(s)) for s in useful[:2])


# --- the gate ---------------------------------------------------------------------------------


def windows(text: str) -> tuple[set, set]:
    """The text's three- and four-character windows, as tuples."""
    three = zip(text, text[1:], text[2:], strict=False)
    return set(three), set(zip(text, text[1:], text[2:], text[3:], strict=False))


def key(trigger: str) -> tuple[str, ...]:
    """The window of a trigger string to index it by: the start of its longest uncommon word.

    Any window of a trigger occurs in every text that contains the trigger, so any choice is
    safe; a rare one ("brid" of "the bridge", not "the ") keeps the candidate list short.
    """
    words = [w for w in trigger.split() if len(w) >= 3]
    uncommon = [w for w in words if w not in COMMON] or words
    if uncommon:
        word = max(uncommon, key=len)
        return tuple(word[:4])
    return tuple(trigger[:4])


class Gate:
    """Selects, for a text, the patterns whose trigger strings occur in it.

    Each trigger string of a pattern's first set is filed under one of its windows (see ``key``).
    For a text, only the files of windows the text contains are opened, and each trigger string
    in them is confirmed with a substring test, so a pattern runs only when one of its trigger
    strings really occurs. A pattern with a second set also needs one of those (confirmed the same
    way when the set is small, by window when it is large).
    """

    _SMALL = 16

    def __init__(self, trigger_lists: list[tuple[tuple[str, ...], ...] | None]) -> None:
        self.always: list[int] = []
        self.index3: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        self.index4: dict[tuple[str, ...], list[tuple[int, str]]] = {}
        self.second: dict[int, tuple[str, ...]] = {}
        self.second_keys: dict[int, frozenset[tuple[str, ...]]] = {}
        for position, triggers in enumerate(trigger_lists):
            if triggers is None:  # selected some other way (a gate pattern)
                continue
            if not triggers:
                self.always.append(position)
                continue
            for trigger in triggers[0]:
                window = key(trigger)
                index = self.index4 if len(window) == 4 else self.index3
                index.setdefault(window, []).append((position, trigger))
            if len(triggers) > 1:
                if len(triggers[1]) <= self._SMALL:
                    self.second[position] = triggers[1]
                else:
                    self.second_keys[position] = frozenset(key(t) for t in triggers[1])
        self.keys3 = frozenset(self.index3)
        self.keys4 = frozenset(self.index4)

    def select(self, text: str, grams: tuple[set, set]) -> list[int]:
        g3, g4 = grams
        hits: set[int] = set(self.always)
        for index, keys, windows in ((self.index3, self.keys3, g3), (self.index4, self.keys4, g4)):
            for key in keys.intersection(windows):
                for position, trigger in index[key]:
                    if position not in hits and trigger in text:
                        hits.add(position)
        second, second_keys = self.second, self.second_keys
        chosen = []
        for i in sorted(hits):
            if i in second and not any(t in text for t in second[i]):
                continue
            if i in second_keys and not any(k in g4 or k in g3 for k in second_keys[i]):
                continue
            chosen.append(i)
        return chosen
