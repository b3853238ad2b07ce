"""Shared helpers for the screening tests: labelled cases and rule-example checks."""

from __future__ import annotations

import json
from pathlib import Path

from safety.screening import context, engine
from safety.screening.normalise import normalise

CASES_DIR = Path(__file__).resolve().parent / "cases"
DEV_CASES = Path(__file__).resolve().parents[4] / "shared" / "screening" / "dev-cases.jsonl"
EXPECTATIONS = {"publish", "hold", "escalate", "not_escalate"}


def load_cases(path: Path) -> list[dict]:
    cases = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                case = json.loads(line)
                assert case["expect"] in EXPECTATIONS, f"{path.name}:{number}: bad expect"
                case["_where"] = f"{path.name}:{number}"
                cases.append(case)
    return cases


def training_cases() -> list[dict]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.jsonl")):
        if path.name != "holdout.jsonl":
            cases.extend(load_cases(path))
    return cases


def holdout_cases() -> list[dict]:
    return load_cases(CASES_DIR / "holdout.jsonl")


def dev_cases() -> list[dict]:
    return load_cases(DEV_CASES) if DEV_CASES.exists() else []


def action_ok(expect: str, action: str) -> bool:
    if expect == "not_escalate":
        return action in ("publish", "hold")
    return action == expect


def case_ok(case: dict, verdict) -> bool:
    """The action is as expected, and a held/escalated case names the expected category."""
    if not action_ok(case["expect"], verdict.action):
        return False
    category = case.get("category", "none")
    if case["expect"] in ("hold", "escalate") and category != "none":
        return category in verdict.categories
    return True


def rule_fires(rule, text: str) -> bool:
    """Whether ``rule`` on its own fires on ``text`` (pattern, unless, requires and check)."""
    norm = normalise(text)
    ctx = context.Context(norm, engine._ENGINE.mods)
    value = ctx.view(rule.view)
    return any(context.fires(rule, match, ctx) for match in rule.regex.finditer(value))


def lexeme_matches(lexeme, text: str) -> bool:
    return bool(lexeme.regex.search(normalise(text).text))
