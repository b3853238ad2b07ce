"""The rule files are data clinicians review: every pattern carries an id, a comment and examples,
and every example (and not-example) behaves as the file says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from safety.screening import engine, rules
from safety.screening.normalise import normalise
from tests.safety.screening.helpers import lexeme_matches, rule_fires

ENGINE = engine._ENGINE
RULES = ENGINE.rules
LEXEMES = ENGINE.idioms + [x for kind in ENGINE.ruleset.modifiers.values() for x in kind]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_fires_on_each_of_its_examples(rule):
    failing = [example for example in rule.examples if not rule_fires(rule, example)]
    assert not failing, f"{rule.id} does not fire on {failing}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_does_not_fire_on_its_not_examples(rule):
    firing = [example for example in rule.not_examples if rule_fires(rule, example)]
    assert not firing, f"{rule.id} fires on {firing}"


@pytest.mark.parametrize("lexeme", LEXEMES, ids=lambda x: x.id)
def test_idiom_and_modifier_examples_match_and_not_examples_do_not(lexeme):
    assert all(lexeme_matches(lexeme, e) for e in lexeme.examples), lexeme.examples
    assert not any(lexeme_matches(lexeme, e) for e in lexeme.not_examples), lexeme.not_examples


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_a_comment_a_reason_and_a_category_prefix(rule):
    assert rule.comment.strip()
    assert rule.reason.strip()
    assert rule.id.startswith(rule.category + ".")
    assert rule.severity in rules.SEVERITIES


def test_every_entry_in_the_rule_files_has_an_id_a_comment_and_an_example():
    for path in sorted(rules.RULES_DIR.glob("*.toml")):
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        for section, entries in document.items():
            if section == "macro":
                assert all(entry.get("comment") for entry in entries.values()), path.name
                continue
            for entry in entries:
                where = f"{path.name}:{entry.get('id')}"
                assert entry.get("id"), where
                assert entry.get("comment"), where
                assert entry.get("examples") or entry.get("example"), where


def test_ids_are_unique_across_all_files():
    ids = [r.id for r in RULES] + [x.id for x in LEXEMES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_patterns_are_written_in_lower_case(rule):
    # normalised text is lower case, so an upper-case letter in a pattern could never match
    literal_text = re.sub(r"\\[A-Za-z]|\(\?P?<[^>]*>|\(\?[a-zA-Z]", "", rule.regex.pattern)
    assert literal_text == literal_text.lower(), rule.id


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_is_gated_so_it_does_not_run_on_every_post(rule):
    # speed: a rule runs only when its trigger words (worked out from its pattern) or its gate
    # pattern occur in the text
    assert rule.triggers or rule.gate is not None, f"{rule.id} would run on every post"


def test_triggers_never_hide_a_match():
    """The trigger gate is a pre-filter: it must select every rule that fires."""
    texts = [e for r in RULES for e in r.examples] + [e for x in LEXEMES for e in x.examples]
    for text in texts:
        norm = normalise(text)
        selected = {r.id for r in ENGINE.candidate_rules(norm.text, norm.light)[0]}
        for rule in RULES:
            if rule_fires(rule, text):
                assert rule.id in selected, f"gate hides {rule.id} for {text!r}"


def test_crisis_resources_are_listed_with_numbers_and_examples():
    assert ENGINE.resources >= {"116123", "111", "999", "85258"}
    for resource in ENGINE.ruleset.resources:
        assert resource["id"]
        assert resource["comment"]
        assert resource["example"]


def test_a_malformed_rule_file_is_refused(tmp_path: Path):
    for name in ("macros.toml", "idioms.toml", "modifiers.toml", *rules.SIGNAL_FILES):
        (tmp_path / name).write_text((rules.RULES_DIR / name).read_text(encoding="utf-8"))
    broken = (tmp_path / "abuse.toml").read_text(encoding="utf-8")
    broken += '\n[[rule]]\nid = "abuse.broken"\nseverity = "medium"\nreason = "x"\n'
    broken += 'comment = "x"\npattern = \'(unclosed\'\nexamples = ["x"]\n'
    (tmp_path / "abuse.toml").write_text(broken)
    with pytest.raises(rules.RuleError, match=r"abuse\.broken"):
        rules.load(tmp_path)
