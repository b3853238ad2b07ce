"""Reading a match in context: idioms, who it is about, time and means, negation, the past.

A rule's match is a "hit"; ``read_in_context`` changes its severity and explains why, using the
patterns of ``rules/modifiers.toml`` and ``rules/idioms.toml`` (see engine.py for the order).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from . import personal_info, rules
from .normalise import Normalised
from .rules import SEVERITY_RANK, Lexeme, Rule

_SENTENCE_END = re.compile(r"[.!?\n]+")
_NEGATION_WINDOW = 80  # characters looked at before a match for a negation cue
_SENTENCE_REACH = 240  # a sentence is looked at no further than this from a match
_NEGATION_WORDS = 5  # at most this many words between the cue and the match


class Modifiers:
    """The modifier patterns of modifiers.toml, each kind joined into one pattern, and the crisis
    resources (numbers never held as personal information)."""

    def __init__(self, ruleset: rules.RuleSet) -> None:
        mods = ruleset.modifiers
        self.negation = rules.combine(mods["negation"])
        self.not_negation = rules.combine(mods["not_negation"])
        self.post_negation = rules.combine(mods["post_negation"])
        self.clause_break = rules.combine(mods["clause_break"])
        self.past = rules.combine(mods["past"])
        self.past_weak = rules.combine(mods["past_weak"])
        self.recent = rules.combine(mods["recent"])
        self.recent_anywhere = rules.combine(mods["recent_anywhere"])
        self.contrast = rules.combine(mods["contrast"])
        self.recovery = rules.combine(mods["recovery"])
        self.escalator = rules.combine(mods["escalator"])
        self.subject = re.compile(
            "|".join(
                f"(?P<{kind}>{'|'.join(f'(?:{x.regex.pattern})' for x in mods[kind + '_subject'])})"
                for kind in ("self", "general", "third_party")
            )
        )
        self.resources = frozenset(str(r["number"]) for r in ruleset.resources)


@dataclass(slots=True)
class Hit:
    """A rule or idiom match in a view, before it is turned into Evidence."""

    rule: Rule
    start: int
    end: int
    view: str
    severity: str
    notes: list[str]
    reason: str = ""


class Context:
    """Per-text helpers: sentence bounds, views, original excerpts."""

    def __init__(self, norm: Normalised, mods: Modifiers) -> None:
        self.norm = norm
        self.mods = mods
        self.text = norm.text
        self.light = norm.light
        self._bounds: dict[str, list[int]] = {}
        self._anywhere: dict[tuple[int, str], bool] = {}

    def view(self, name: str) -> str:
        return self.light if name == "light" else self.text

    def sentence(self, view: str, start: int, end: int) -> tuple[int, int]:
        value = self.view(view)
        bounds = self._bounds.get(view)
        if bounds is None:
            bounds = [m.end() for m in _SENTENCE_END.finditer(value)]
            self._bounds[view] = bounds
        i = bisect.bisect_right(bounds, start)
        s0 = bounds[i - 1] if i > 0 else 0
        j = bisect.bisect_left(bounds, end)
        s1 = bounds[j] if j < len(bounds) else len(value)
        # a "sentence" with no punctuation can be the whole post: look no further than this,
        # so the work per match stays constant however long the text is
        return max(s0, start - _SENTENCE_REACH), min(s1, end + _SENTENCE_REACH)

    def anywhere(self, pattern: re.Pattern[str], view: str = "text") -> bool:
        """Whether ``pattern`` occurs anywhere in a view (searched once per text)."""
        key = (id(pattern), view)
        found = self._anywhere.get(key)
        if found is None:
            found = self._anywhere[key] = pattern.search(self.view(view)) is not None
        return found


def fires(rule: Rule, match: re.Match[str], ctx: Context) -> bool:
    value = ctx.view(rule.view)
    s0, s1 = ctx.sentence(rule.view, match.start(), match.end())
    if rule.unless is not None:
        if rule.unless_anywhere:
            if ctx.anywhere(rule.unless, rule.view):
                return False
        elif rule.unless.search(value, s0, s1):
            return False
    if rule.requires is not None and not ctx.anywhere(rule.requires, rule.view):
        return False
    if rule.check is not None:
        check_context = personal_info.CheckContext(
            light=ctx.light,
            original=ctx.norm.original,
            resources=ctx.mods.resources,
            original_slice=lambda a, b: ctx.norm.excerpt(a, b, "light")[0],
        )
        if not personal_info.CHECKS[rule.check](match, check_context):
            return False
    return True


def _clause_prefix(
    mods: Modifiers, text: str, start: int, *, keep_conditional: bool = False
) -> tuple[str, int]:
    """The text of the clause before ``start`` (at most _NEGATION_WINDOW characters).

    With ``keep_conditional`` a clause opened by "if"/"when" keeps that word ("if you feel...").
    """
    offset = max(0, start - _NEGATION_WINDOW)
    prefix = text[offset:start]
    cut = 0
    for m in mods.clause_break.finditer(prefix):
        keep = keep_conditional and m.group() in _CONDITIONALS
        cut = m.start() if keep else m.end()
    return prefix[cut:], offset + cut


_CONDITIONALS = frozenset({"if", "when", "whenever"})
# "not doing that again", "won't ever do it again": a promise, not a sign the act is recent
_NEGATED_AGAIN = re.compile(
    r"(?<![a-z])(?:never|not|wont|dont|no way|not going to|not gonna)"
    r"(?: [a-z]+){0,3} again(?![a-z])"
)
# A new first-person subject between a cue and the match starts a new clause: in "if this
# doesn't work I'm going to end it" the "doesn't" negates "work", not "end it". Verbs of
# thinking keep the cue's reach: "I don't think I'll hurt myself".
_NEW_SUBJECT = re.compile(r"(?<![a-z])(?:i|im|ive|ill|id)(?![a-z])")
_THINKING = re.compile(r" *(?:think|believe|reckon|feel like|see myself|expect|plan|intend|want)\b")


def _negation(mods: Modifiers, text: str, start: int, end: int) -> str | None:
    """The negation cue governing the match at [start, end), if any."""
    _prefix, offset = _clause_prefix(mods, text, start)
    cues = [m for m in mods.negation.finditer(text, offset, end) if m.end() <= start]
    for cue in reversed(cues):
        if mods.not_negation.match(text, cue.start()):
            continue
        gap = text[cue.end() : start]
        if len(gap.split()) > _NEGATION_WORDS:
            break
        new_subject = _NEW_SUBJECT.search(gap) or (gap.strip() and _NEW_SUBJECT.match(text, start))
        if new_subject and not _THINKING.match(gap):
            break
        return cue.group()
    after = mods.post_negation.match(text, end)
    if after:
        return after.group().strip(" :-=?")
    return None


def _past(ctx: Context, text: str, s0: int, s1: int, start: int, end: int) -> str | None:
    """'recovered', 'past' or 'weak' (past verb + recovery) when the match is about the past."""
    for recent in ctx.mods.recent.finditer(text, s0, s1):
        if not _NEGATED_AGAIN.search(text, max(0, recent.start() - 30), recent.end()):
            return None
    if ctx.anywhere(ctx.mods.recent_anywhere):
        return None

    def related(pattern: re.Pattern[str]) -> bool:
        for m in pattern.finditer(text, s0, s1):
            if m.end() <= start:
                between = text[m.end() : start]
            elif m.start() >= end:
                between = text[end : m.start()]
            else:
                return True
            if not ctx.mods.contrast.search(between):
                return True
        return False

    recovered = ctx.anywhere(ctx.mods.recovery)
    if related(ctx.mods.past):
        return "recovered" if recovered else "past"
    if recovered and related(ctx.mods.past_weak):
        return "weak"
    return None


def _subject(mods: Modifiers, text: str, start: int) -> str:
    prefix, _ = _clause_prefix(mods, text, start, keep_conditional=True)
    last = None
    for m in mods.subject.finditer(prefix):
        last = m
    return last.lastgroup if last is not None else "self"


def _lower(severity: str, to: str) -> str:
    return to if SEVERITY_RANK[to] < SEVERITY_RANK[severity] else severity


def read_in_context(hit: Hit, ctx: Context, idiom_spans: list[tuple[int, int, Lexeme]]) -> None:
    rule = hit.rule
    text = ctx.view(hit.view)
    hit.reason = rule.reason
    s0, s1 = ctx.sentence(hit.view, hit.start, hit.end)
    if rule.downgrade_if is not None:
        found = rule.downgrade_if.search(text, s0, s1)
        if found:
            hit.severity = _lower(hit.severity, rule.downgrade_to)
            hit.notes.append(f"context '{found.group().strip()}' makes it less certain")
    if rule.category == "personal_info" or hit.view != "text":
        return
    for i_start, i_end, idiom in idiom_spans:
        # an idiom must cover the whole match: "fags again ill kill" is not an idiom for
        # "kill myself" in "if I relapse on the fags again I'll kill myself"
        if rule.category in idiom.applies_to and i_start <= hit.start and hit.end <= i_end:
            hit.severity = idiom.severity
            hit.reason = f"{idiom.reason} ({idiom.id}), not: {rule.reason}"
            return
    if not rule.modifiable:
        return
    if rule.third_party:
        hit.notes.append("about someone else: the poster may need help to support them")
    elif rule.subject == "open":
        who = _subject(ctx.mods, text, hit.start)
        if who == "general":
            hit.severity = _lower(hit.severity, "low")
            hit.notes.append("general information or advice, not about the writer")
            return
        if who == "third_party":
            hit.severity = _lower(hit.severity, "high")
            hit.notes.append("about someone else: the poster may need help to support them")
    if (
        rule.category == "crisis"
        and hit.severity == "high"
        and rule.upgradable
        and not rule.third_party
        and not any("someone else" in note for note in hit.notes)
    ):
        found = ctx.mods.escalator.search(text, s0, s1)
        if found:
            hit.severity = "critical"
            hit.notes.append(f"with a time or means ('{found.group()}')")
    cue = _negation(ctx.mods, text, hit.start, hit.end)
    if cue is not None:
        planned = rule.severity == "critical"
        hit.severity = _lower(hit.severity, "medium" if planned else "low")
        hit.notes.append(f"negated ('{cue}')" + ("; it names a plan or means" if planned else ""))
        return
    if rule.category in ("crisis", "harmful_advice"):
        past = _past(ctx, text, s0, s1, hit.start, hit.end)
        if past == "recovered":
            hit.severity = _lower(hit.severity, "low")
            hit.notes.append("in the past, and recovery is described")
        elif past == "past":
            hit.severity = _lower(hit.severity, "medium")
            hit.notes.append("in the past; no current risk stated, a moderator should check")
        elif past == "weak":
            hit.severity = _lower(hit.severity, "medium")
            hit.notes.append("past tense with recovery described; a moderator should check")
