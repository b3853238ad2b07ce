"""Loading, checking and compiling the rule files in ``rules/*.toml``.

Clinicians review the TOML files; this module turns them into compiled regular expressions once, at
import. Each pattern may use macros from ``rules/macros.toml`` written ``{NAME}`` (for example
``{MYSELF}`` for "myself", "my self", "meself", "myslef"). Every pattern is matched as whole words
against the normalised text (see ``normalise.py``), so ``kill`` never matches inside "skill".

A rule that names no literal words would run on every post; to keep screening fast, each rule is
given "trigger" strings worked out from its pattern (at least one must occur in the text before the
pattern is tried at all). Working them out is automatic: nobody writes triggers by hand.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .triggers import triggers_for

RULES_DIR = Path(__file__).resolve().parent / "rules"
SEVERITIES = ("none", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
CATEGORIES = ("crisis", "personal_info", "harmful_advice", "abuse")
SIGNAL_FILES = {
    "crisis.toml": "crisis",
    "abuse.toml": "abuse",
    "harmful_advice.toml": "harmful_advice",
    "personal_info.toml": "personal_info",
}
MODIFIER_KINDS = (
    "negation",
    "not_negation",
    "post_negation",
    "past",
    "past_weak",
    "recent",
    "recent_anywhere",
    "contrast",
    "recovery",
    "general_subject",
    "self_subject",
    "third_party_subject",
    "escalator",
    "clause_break",
)
_MACRO_REF = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_FLAGS = 0  # texts are lower-cased by normalise(); patterns are written in lower case


class RuleError(ValueError):
    """A rule file is malformed: the engine refuses to start rather than screen with it."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A signal rule: a pattern that, when it fires, is evidence of one category."""

    id: str
    category: str
    severity: str
    reason: str
    comment: str
    source: str
    regex: re.Pattern[str]
    examples: tuple[str, ...]
    not_examples: tuple[str, ...]
    unless: re.Pattern[str] | None = None
    requires: re.Pattern[str] | None = None
    downgrade_if: re.Pattern[str] | None = None
    downgrade_to: str = "medium"
    check: str | None = None
    view: str = "text"
    subject: str = "self"
    third_party: bool = False
    upgradable: bool = True
    modifiable: bool = True
    unless_anywhere: bool = False
    gate: re.Pattern[str] | None = None
    triggers: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Lexeme:
    """A modifier or idiom pattern: changes how nearby evidence is read, never evidence itself."""

    id: str
    kind: str
    comment: str
    source: str
    regex: re.Pattern[str]
    examples: tuple[str, ...]
    not_examples: tuple[str, ...]
    applies_to: tuple[str, ...] = ()
    severity: str = "none"
    reason: str = ""
    triggers: tuple[tuple[str, ...], ...] = ()


@dataclass(slots=True)
class RuleSet:
    """Everything loaded from the rule files."""

    rules: list[Rule] = field(default_factory=list)
    idioms: list[Lexeme] = field(default_factory=list)
    modifiers: dict[str, list[Lexeme]] = field(default_factory=dict)
    resources: list[dict] = field(default_factory=list)
    macros: dict[str, str] = field(default_factory=dict)
    raw_patterns: list[str] = field(default_factory=list)


# --- macros -----------------------------------------------------------------------------------


def expand_macros(pattern: str, macros: dict[str, str], where: str = "") -> str:
    """Replace each ``{NAME}`` with its macro (macros may use other macros), as a group."""
    for _ in range(10):
        if not _MACRO_REF.search(pattern):
            return pattern

        def _one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in macros:
                raise RuleError(f"{where}: unknown macro {{{name}}}")
            return f"(?:{macros[name]})"

        pattern = _MACRO_REF.sub(_one, pattern)
    raise RuleError(f"{where}: macros nest too deeply")


def compile_pattern(pattern: str, where: str, *, bounded: bool = True) -> re.Pattern[str]:
    """Compile a pattern as whole words (no letter or digit just before or after it)."""
    body = f"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])" if bounded else pattern
    try:
        return re.compile(body, _FLAGS)
    except re.error as error:
        raise RuleError(f"{where}: bad pattern: {error}") from error


# --- loading ----------------------------------------------------------------------------------


def _strings(entry: dict, key: str, where: str, *, required: bool = False) -> tuple[str, ...]:
    value = entry.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{where}: {key} must be a list of strings")
    if required and not value:
        raise RuleError(f"{where}: needs at least one {key[:-1] if key.endswith('s') else key}")
    return tuple(value)


def _text(entry: dict, key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise RuleError(f"{where}: needs a non-empty {key}")
    return value


def _optional_regex(entry: dict, key: str, macros: dict[str, str], where: str):
    value = entry.get(key)
    if value is None:
        return None
    return compile_pattern(expand_macros(value, macros, where), f"{where}.{key}")


def _load_signal_rule(entry: dict, category: str, macros: dict, source: str, checks) -> Rule:
    rule_id = _text(entry, "id", source)
    where = f"{source}:{rule_id}"
    if not rule_id.startswith(category.split("_")[0]) and not rule_id.startswith(category):
        raise RuleError(f"{where}: id must start with its category")
    severity = _text(entry, "severity", where)
    if severity not in SEVERITIES:
        raise RuleError(f"{where}: unknown severity {severity!r}")
    pattern = expand_macros(_text(entry, "pattern", where), macros, where)
    check = entry.get("check")
    if check is not None and check not in checks:
        raise RuleError(f"{where}: unknown check {check!r}")
    view = entry.get("view", "text")
    if view not in ("text", "light"):
        raise RuleError(f"{where}: view must be text or light")
    subject = entry.get("subject", "self")
    if subject not in ("self", "open", "other"):
        raise RuleError(f"{where}: subject must be self, open or other")
    downgrade_to = entry.get("downgrade_to", "medium")
    if downgrade_to not in SEVERITIES:
        raise RuleError(f"{where}: unknown downgrade_to")
    return Rule(
        id=rule_id,
        category=category,
        severity=severity,
        reason=_text(entry, "reason", where),
        comment=_text(entry, "comment", where),
        source=source,
        regex=compile_pattern(pattern, where),
        examples=_strings(entry, "examples", where, required=True),
        not_examples=_strings(entry, "not_examples", where),
        unless=_optional_regex(entry, "unless", macros, where),
        requires=_optional_regex(entry, "requires", macros, where),
        downgrade_if=_optional_regex(entry, "downgrade_if", macros, where),
        downgrade_to=downgrade_to,
        check=check,
        view=view,
        subject=subject,
        third_party=bool(entry.get("third_party", False)),
        upgradable=bool(entry.get("upgradable", True)),
        modifiable=bool(entry.get("modifiable", True)),
        unless_anywhere=entry.get("unless_scope", "sentence") == "text",
        gate=re.compile(entry["gate"]) if "gate" in entry else None,
        triggers=() if "gate" in entry else triggers_for(pattern),
    )


def _load_lexeme(entry: dict, kind: str, macros: dict, source: str) -> Lexeme:
    lexeme_id = _text(entry, "id", source)
    where = f"{source}:{lexeme_id}"
    pattern = expand_macros(_text(entry, "pattern", where), macros, where)
    severity = entry.get("severity", "none")
    if severity not in SEVERITIES:
        raise RuleError(f"{where}: unknown severity {severity!r}")
    applies_to = _strings(entry, "applies_to", where)
    if any(category not in CATEGORIES for category in applies_to):
        raise RuleError(f"{where}: applies_to names an unknown category")
    return Lexeme(
        id=lexeme_id,
        kind=kind,
        comment=_text(entry, "comment", where),
        source=source,
        regex=compile_pattern(pattern, where, bounded=entry.get("bounded", True)),
        examples=_strings(entry, "examples", where, required=True),
        not_examples=_strings(entry, "not_examples", where),
        applies_to=applies_to or ("crisis",),
        severity=severity,
        reason=entry.get("reason", ""),
        triggers=triggers_for(pattern),
    )


def load(rules_dir: Path = RULES_DIR, checks: dict[str, Callable] | None = None) -> RuleSet:
    """Read and compile every rule file; raise RuleError on any mistake in them."""
    checks = checks or {}
    ruleset = RuleSet()
    with open(rules_dir / "macros.toml", "rb") as handle:
        macros_doc = tomllib.load(handle)
    macros = {name: entry["pattern"] for name, entry in macros_doc.get("macro", {}).items()}
    ruleset.macros = macros
    seen: set[str] = set()

    def remember(identifier: str, source: str) -> None:
        if identifier in seen:
            raise RuleError(f"{source}: duplicate id {identifier}")
        seen.add(identifier)

    for name, category in SIGNAL_FILES.items():
        with open(rules_dir / name, "rb") as handle:
            document = tomllib.load(handle)
        for entry in document.get("rule", []):
            rule = _load_signal_rule(entry, category, macros, name, checks)
            remember(rule.id, name)
            ruleset.rules.append(rule)
            ruleset.raw_patterns.append(expand_macros(entry["pattern"], macros, rule.id))
        ruleset.resources.extend(document.get("resource", []))
    with open(rules_dir / "idioms.toml", "rb") as handle:
        document = tomllib.load(handle)
    for entry in document.get("idiom", []):
        lexeme = _load_lexeme(entry, "idiom", macros, "idioms.toml")
        remember(lexeme.id, "idioms.toml")
        ruleset.idioms.append(lexeme)
        ruleset.raw_patterns.append(expand_macros(entry["pattern"], macros, lexeme.id))
    with open(rules_dir / "modifiers.toml", "rb") as handle:
        document = tomllib.load(handle)
    unknown = set(document) - set(MODIFIER_KINDS)
    if unknown:
        raise RuleError(f"modifiers.toml: unknown sections {sorted(unknown)}")
    for kind in MODIFIER_KINDS:
        ruleset.modifiers[kind] = []
        for entry in document.get(kind, []):
            lexeme = _load_lexeme(entry, kind, macros, "modifiers.toml")
            remember(lexeme.id, "modifiers.toml")
            ruleset.modifiers[kind].append(lexeme)
    return ruleset


def combine(lexemes: list[Lexeme]) -> re.Pattern[str]:
    """One alternation of several lexemes' patterns, for a single search (never matches if none)."""
    if not lexemes:
        return re.compile("(?!)")
    return re.compile("|".join(f"(?:{lexeme.regex.pattern})" for lexeme in lexemes), _FLAGS)
