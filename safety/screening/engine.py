"""The screening engine: text in, a verdict out (action, severity, categories, evidence).

How a text is decided (docs/screening.md explains it for clinicians):

1. The input is made safe to read: bytes are decoded (undecodable input is held), lone surrogates
   replaced, text over the cap is cut and held "too long to screen fully".
2. ``normalise`` builds a lower-case view with apostrophes, hyphens, stretched letters and white
   space tidied, and a light view for personal information, both mapped to the original.
3. Each rule whose trigger words occur is tried; a match becomes a "hit" unless the rule's
   ``unless`` pattern is in the same sentence, its ``requires`` pattern is missing, or its check
   (mod-11, phone shape...) says no.
4. Each hit is then read in context, in this order: an overlapping idiom ("dying for a fag")
   replaces its severity; for bare mentions, the subject (general advice / someone else / the
   writer); a time or means in the sentence makes high crisis critical; negation ("I'm NOT going
   to hurt myself") makes it low (medium when the rule itself named a plan or means); the past of
   recovery makes it low (or medium, held, when no recovery is stated).
   (``context.py``; which rules are even tried is decided by ``triggers.py``, for speed only.)
5. The verdict takes the highest severity: critical/high -> escalate, medium -> hold,
   low/none -> publish. Any exception, unreadable input or over-long text holds: the engine never
   publishes a state it does not know.
"""

from __future__ import annotations

import bisect
import logging
from dataclasses import dataclass, field

from . import personal_info, rules
from .context import Context, Hit, Modifiers, fires, read_in_context
from .normalise import normalise, replace_surrogates
from .rules import CATEGORIES, SEVERITIES, SEVERITY_RANK, Lexeme, Rule
from .triggers import Gate, windows

logger = logging.getLogger(__name__)

__all__ = ["MAX_CHARS", "Evidence", "Verdict", "screen_text"]

MAX_CHARS = 10_000
_ACTION_FOR_RANK = {0: "publish", 1: "publish", 2: "hold", 3: "escalate", 4: "escalate"}
_CATEGORY_LABEL = {
    "crisis": "Possible crisis",
    "abuse": "Abuse",
    "harmful_advice": "Harmful advice",
    "personal_info": "Personal information",
    "system": "Not fully screened",
}
_MAX_MATCHES_PER_RULE = 25  # repetition adds nothing but time


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason for a verdict: which rule matched which words, and what that means."""

    category: str
    rule_id: str
    excerpt: str
    start: int
    end: int
    reason: str
    severity: str

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "rule_id": self.rule_id,
            "excerpt": self.excerpt,
            "start": self.start,
            "end": self.end,
            "reason": self.reason,
            "severity": self.severity,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a text.

    ``hold`` is true for hold and escalate; ``escalate`` only for escalate.
    """

    action: str
    severity: str
    categories: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    summary: str = field(default="")

    @property
    def hold(self) -> bool:
        return self.action in ("hold", "escalate")

    @property
    def escalate(self) -> bool:
        return self.action == "escalate"

    def as_dict(self) -> dict:
        """JSON-ready, with the keys of ``manage.py screen_text`` output (without ``id``)."""
        return {
            "action": self.action,
            "severity": self.severity,
            "categories": list(self.categories),
            "evidence": [item.as_dict() for item in self.evidence],
        }


# --- compiled state, built once at import ---------------------------------------------------------


class _Engine:
    """The rule files loaded and compiled, rules indexed by trigger, modifiers combined."""

    def __init__(self) -> None:
        self.ruleset = rules.load(checks=personal_info.CHECKS)
        self.rules = self.ruleset.rules
        self.idioms = self.ruleset.idioms
        self.mods = Modifiers(self.ruleset)
        self.resources = self.mods.resources
        # a rule with a gate pattern is selected by it; every other rule by its trigger strings
        self.rule_gate = Gate([None if r.gate is not None else r.triggers for r in self.rules])
        self.idiom_gate = Gate([idiom.triggers for idiom in self.idioms])
        self.gated = [i for i, rule in enumerate(self.rules) if rule.gate is not None]

    def candidate_rules(self, text: str, light: str) -> tuple[list[Rule], tuple[set, set]]:
        """The rules that can match this text (normalised and light views)."""
        grams = windows(text)
        chosen = [self.rules[i] for i in self.rule_gate.select(text, grams)]
        for i in self.gated:
            rule = self.rules[i]
            if rule.gate is not None and rule.gate.search(light if rule.view == "light" else text):
                chosen.append(rule)
        return chosen, grams

    def candidate_idioms(self, text: str, grams: tuple[set, set]) -> list[Lexeme]:
        return [self.idioms[i] for i in self.idiom_gate.select(text, grams)]


_ENGINE = _Engine()


# --- screening ------------------------------------------------------------------------------


def _system_evidence(rule_id: str, reason: str, start: int = 0, end: int = 0) -> Evidence:
    return Evidence("system", rule_id, "", start, end, reason, "medium")


def _coerce(value: object) -> tuple[str, list[Evidence]]:
    """Turn any input into text, with evidence for anything that could not be read."""
    problems: list[Evidence] = []
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            problems.append(
                _system_evidence("system.undecodable", "could not be read as text (not UTF-8)")
            )
    elif isinstance(value, str):
        text = value
    else:
        kind = type(value).__name__
        return "", [_system_evidence("system.not_text", f"not text ({kind}); cannot be screened")]
    cleaned = replace_surrogates(text)
    if cleaned != text:
        problems.append(
            _system_evidence(
                "system.undecodable", "contains characters that could not be read (surrogates)"
            )
        )
    return cleaned, problems


def _evidence_from(hit: Hit, ctx: Context) -> Evidence:
    excerpt, start, end = ctx.norm.excerpt(hit.start, hit.end, hit.view)
    reason = hit.reason or hit.rule.reason
    if hit.notes:
        reason = f"{reason} - " + "; ".join(hit.notes)
    return Evidence(
        category=hit.rule.category,
        rule_id=hit.rule.id,
        excerpt=excerpt,
        start=start,
        end=end,
        reason=reason,
        severity=hit.severity,
    )


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    """Within a category, drop evidence overlapped by stronger (or equal and longer) evidence."""
    ranked = sorted(
        evidence, key=lambda e: (-SEVERITY_RANK[e.severity], -(e.end - e.start), e.start)
    )
    kept: list[Evidence] = []
    taken: dict[str, list[tuple[int, int]]] = {}  # per category, sorted kept spans
    for item in ranked:
        spans = taken.setdefault(item.category, [])
        i = bisect.bisect_left(spans, (item.start, item.end))
        neighbours = spans[max(0, i - 1) : i + 1]
        # kept spans of one category never overlap (so their ends rise with their starts): only
        # the neighbours either side can overlap this one
        if any(s < item.end and item.start < e for s, e in neighbours):
            continue
        spans.insert(i, (item.start, item.end))
        kept.append(item)
    return sorted(kept, key=lambda e: (e.start, e.end, e.rule_id))


def _summary(action: str, evidence: tuple[Evidence, ...]) -> str:
    if not evidence:
        return "Nothing of concern found"
    top = max(evidence, key=lambda e: (SEVERITY_RANK[e.severity], e.category == "crisis"))
    label = _CATEGORY_LABEL.get(top.category, top.category)
    if action == "publish":
        return f"Published; noted: {top.reason.split(' - ')[0]} ({top.rule_id})"
    return f"{label}: {top.reason.split(' - ')[0]} ({top.rule_id})"


def _verdict(evidence: list[Evidence]) -> Verdict:
    evidence = _dedupe(evidence)
    rank = max((SEVERITY_RANK[e.severity] for e in evidence), default=0)
    action = _ACTION_FOR_RANK[rank]
    categories = tuple(
        sorted(
            {
                e.category
                for e in evidence
                if e.category in CATEGORIES and SEVERITY_RANK[e.severity] >= 2
            }
        )
    )
    frozen = tuple(evidence)
    return Verdict(action, SEVERITIES[rank], categories, frozen, _summary(action, frozen))


def _screen(value: object) -> Verdict:
    text, evidence = _coerce(value)
    if not text.strip():
        return _verdict(evidence)
    if len(text) > MAX_CHARS:
        evidence.append(
            _system_evidence(
                "system.too_long",
                f"too long to screen fully: only the first {MAX_CHARS:,} of "
                f"{len(text):,} characters were screened",
                MAX_CHARS,
                len(text),
            )
        )
        text = text[:MAX_CHARS]
    norm = normalise(text)
    ctx = Context(norm, _ENGINE.mods)
    hits: list[Hit] = []
    candidates, grams = _ENGINE.candidate_rules(norm.text, norm.light)
    for rule in candidates:
        value_ = ctx.view(rule.view)
        found = 0
        for match in rule.regex.finditer(value_):
            if fires(rule, match, ctx):
                hits.append(Hit(rule, match.start(), match.end(), rule.view, rule.severity, []))
                found += 1
                if found == _MAX_MATCHES_PER_RULE:  # repetition adds nothing but time
                    break
    if hits:
        idiom_spans = [
            (m.start(), m.end(), idiom)
            for idiom in _ENGINE.candidate_idioms(norm.text, grams)
            for m in idiom.regex.finditer(norm.text)
        ]
        for hit in hits:
            read_in_context(hit, ctx, idiom_spans)
            evidence.append(_evidence_from(hit, ctx))
    return _verdict(evidence)


def screen_text(text: str) -> Verdict:
    """Screen one text. Never raises: on any internal fault the verdict is hold."""
    try:
        return _screen(text)
    except Exception:
        logger.exception("screening failed; holding the text")
        return _verdict(
            [_system_evidence("system.error", "screening failed; held for a moderator to read")]
        )
