"""The public API, how context changes a verdict, bad input, and a guard against slow patterns."""

from __future__ import annotations

import dataclasses
import json
import time

import pytest

from safety.screening import MAX_CHARS, Evidence, Verdict, engine, screen_text

KEYS = {"action", "severity", "categories", "evidence"}
EVIDENCE_KEYS = {"category", "rule_id", "excerpt", "start", "end", "reason", "severity"}


# --- the public API -------------------------------------------------------------------------------


def test_verdict_and_evidence_are_frozen_dataclasses():
    verdict = screen_text("I'm going to kill myself this weekend")
    assert dataclasses.is_dataclass(verdict)
    assert dataclasses.is_dataclass(verdict.evidence[0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.action = "publish"
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.evidence[0].severity = "none"
    assert isinstance(verdict, Verdict)
    assert isinstance(verdict.evidence[0], Evidence)


def test_escalation_verdict_carries_everything_a_moderator_needs():
    text = "I'm going to kill myself this weekend"
    verdict = screen_text(text)
    assert (verdict.action, verdict.severity, verdict.categories) == (
        "escalate",
        "critical",
        ("crisis",),
    )
    assert verdict.hold
    assert verdict.escalate
    evidence = verdict.evidence[0]
    assert evidence.rule_id == "crisis.intent.kill_myself"
    assert evidence.excerpt == "kill myself" == text[evidence.start : evidence.end]
    assert "this weekend" in evidence.reason
    assert verdict.summary == (
        "Possible crisis: talks about killing themselves (crisis.intent.kill_myself)"
    )


def test_as_dict_is_json_ready_with_the_command_keys():
    verdict = screen_text("call me on 07911 123456, you absolute moron")
    data = json.loads(json.dumps(verdict.as_dict()))
    assert set(data) == KEYS
    assert data["categories"] == ["abuse", "personal_info"]  # sorted and unique
    assert all(set(item) == EVIDENCE_KEYS for item in data["evidence"])


@pytest.mark.parametrize(
    ("text", "action", "severity"),
    [
        ("Day 5 smoke free, feeling good", "publish", "none"),
        ("my email is tom.r@outlook.com", "hold", "medium"),
        ("You don't need your antipsychotics", "hold", "medium"),
        ("you absolute moron", "hold", "medium"),
        ("why don't you just end it then", "escalate", "high"),
        ("I want to die", "escalate", "high"),
        ("how many paracetamol would it take", "escalate", "critical"),
        ("the voices keep telling me to end it", "escalate", "critical"),
        ("I'm not going to hurt myself", "publish", "low"),
    ],
)
def test_action_follows_severity(text, action, severity):
    verdict = screen_text(text)
    assert (verdict.action, verdict.severity) == (action, severity)
    assert verdict.hold == (action != "publish")
    assert verdict.escalate == (action == "escalate")


def test_evidence_quotes_the_original_text_even_after_normalisation():
    text = "I CAN’T do this anymore!!! I waaaant to DIE"
    verdict = screen_text(text)
    assert verdict.escalate
    for item in verdict.evidence:
        assert text[item.start : item.end] == item.excerpt
    assert any(item.excerpt == "waaaant to DIE" for item in verdict.evidence)


# --- context: idioms, negation, the past, other people ---------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "I could murder a cigarette",
        "these cravings are killing me",
        "dying for a fag",
        "dead proud of you",
        "I'm dead 😂",
        "smoking kills",
        "my lungs are killing me",
        "slay",
        "killing time before group",
    ],
)
def test_idioms_publish(text):
    assert screen_text(text).action == "publish"


def test_negated_crisis_publishes_low_with_the_evidence_kept():
    verdict = screen_text("I'm not going to hurt myself, don't worry, just venting")
    assert (verdict.action, verdict.severity, verdict.categories) == ("publish", "low", ())
    assert verdict.evidence
    assert "negated" in verdict.evidence[0].reason


def test_negation_does_not_flip_a_wish_not_to_live():
    assert screen_text("I don't want to live anymore").escalate
    assert screen_text("not sure I want to live").escalate


def test_negation_stops_at_the_clause():
    assert screen_text("I'm not ok, I want to die").escalate
    assert screen_text("not gonna lie i want to die").escalate
    assert screen_text("if this doesn't work I'm going to end it").escalate


def test_a_negated_plan_is_still_held():
    verdict = screen_text("I'm not going to take an overdose")
    assert verdict.action == "hold"  # names the means: a moderator should read it


def test_past_recovery_publishes_and_past_without_recovery_holds():
    recovered = screen_text("years ago I self-harmed, I'm well now")
    assert (recovered.action, recovered.severity) == ("publish", "low")
    assert screen_text("when I was in hospital I wanted to die").action == "hold"


def test_recency_overrides_the_past():
    assert screen_text("I used to cut, but last night I did it again").escalate
    assert screen_text("I self harmed this morning, first time in months").escalate


def test_conditional_intent_is_crisis():
    assert screen_text("if I relapse I'll kill myself").escalate


def test_someone_else_at_risk_is_escalated_and_says_so():
    verdict = screen_text("my friend says she wants to die")
    assert verdict.escalate
    assert "someone else" in verdict.evidence[0].reason


def test_advice_about_crisis_lines_publishes():
    verdict = screen_text("if you feel suicidal please call the Samaritans on 116 123")
    assert verdict.action == "publish"


def test_ambiguous_hopelessness_is_held_not_escalated():
    assert screen_text("sometimes I wonder if it's worth it").action == "hold"


def test_telling_someone_to_harm_themselves_escalates_as_abuse():
    verdict = screen_text("kys")
    assert (verdict.action, verdict.categories) == ("escalate", ("abuse",))


# --- bad input fails safe -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_empty_text_publishes(text):
    verdict = screen_text(text)
    assert (verdict.action, verdict.severity, verdict.evidence) == ("publish", "none", ())


def test_text_over_the_cap_is_screened_as_far_as_possible_then_held():
    verdict = screen_text("feeling good today. " * 1000)
    assert len("feeling good today. " * 1000) > MAX_CHARS
    assert verdict.action == "hold"
    assert any(e.rule_id == "system.too_long" for e in verdict.evidence)
    assert "too long to screen fully" in verdict.evidence[-1].reason
    assert verdict.categories == ()


def test_crisis_early_in_a_long_text_still_escalates():
    assert screen_text("I want to die. " + "blah " * 5000).escalate


def test_undecodable_bytes_are_held():
    verdict = screen_text(b"caf\xff\xfe hello")
    assert verdict.action == "hold"
    assert any(e.rule_id == "system.undecodable" for e in verdict.evidence)


def test_utf8_bytes_are_screened():
    assert screen_text(b"I want to die").escalate


@pytest.mark.parametrize("value", [None, 42, 3.5, ["text"], {"text": "hi"}, object()])
def test_anything_that_is_not_text_is_held(value):
    verdict = screen_text(value)
    assert verdict.action == "hold"
    assert verdict.evidence[0].rule_id == "system.not_text"


def test_lone_surrogates_are_held_never_crash():
    verdict = screen_text("hello \udcff\ud800 there")
    assert verdict.action == "hold"


@pytest.mark.parametrize(
    "text",
    [
        "💪💪💪 🚭 week 2 ❤️",
        "¿alguien habla español? estoy dejando de fumar",
        "مرحبا بالجميع",
        "你好，我今天没有抽烟",
        "hello\x00\x01\x02\x1b[31m world\x7f",
        "zero\u200bwidth\u200d and \ufeff bom",
        "ﬁne ＦＵＬＬＷＩＤＴＨ ① ²",
        "a\u0301\u0302\u0303" * 50,
        "\U0001f600" * 500,
    ],
)
def test_unusual_characters_never_crash(text):
    verdict = screen_text(text)
    assert verdict.action in ("publish", "hold", "escalate")


def test_hidden_characters_do_not_hide_crisis():
    assert screen_text("I want to k\u200bill my\u00adself").escalate  # zero-width, soft hyphen
    assert screen_text("Ｉ ｗａｎｔ ｔｏ ｄｉｅ").escalate  # full-width forms
    assert screen_text("I want to die\x00").escalate
    assert screen_text("I w\u0430nt to die").escalate  # Cyrillic a


def test_an_internal_fault_holds(monkeypatch):
    def broken(_value):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "_screen", broken)
    verdict = screen_text("Day 5 smoke free")
    assert verdict.action == "hold"
    assert verdict.evidence[0].rule_id == "system.error"


# --- speed guard (not a benchmark: see bench/screening.py) ------------------------------------


ADVERSARIAL = [
    "a" * MAX_CHARS,
    " " * MAX_CHARS,
    "i " * (MAX_CHARS // 2),
    "no " * (MAX_CHARS // 3),
    "kill " * (MAX_CHARS // 5),
    "my self " * (MAX_CHARS // 8),
    "0 " * (MAX_CHARS // 2),
    "07" * (MAX_CHARS // 2),
    "1." * (MAX_CHARS // 2),
    "@" * MAX_CHARS,
    "a@" * (MAX_CHARS // 2),
    "want to " * (MAX_CHARS // 8),
    "i want to die " * (MAX_CHARS // 14),
    "the voices " * (MAX_CHARS // 11),
    "not not not want " * (MAX_CHARS // 17),
    ("x" * 30 + " ") * (MAX_CHARS // 31),
    "ab1 2cd " * (MAX_CHARS // 8),
    "7 church " * (MAX_CHARS // 9),
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:12]))
def test_a_ten_thousand_character_adversarial_text_screens_quickly(text):
    screen_text(text[:200])  # warm up
    # CPU time, not the clock: backtracking burns CPU, while a busy machine (CI runs two test
    # processes per two cores) only makes the clock run on (206-415 ms measured at load 20).
    started = time.process_time()
    screen_text(text)
    elapsed = time.process_time() - started
    # generous: a guard against catastrophic backtracking (seconds), not a timing assertion
    assert elapsed < 0.2, f"{elapsed * 1000:.0f} ms"  # measured worst case: under 10 ms


def test_a_typical_post_screens_in_well_under_a_millisecond():
    post = "day 12 smoke free, cravings bad after tea but the patch helps. group at 10:30 x"
    screen_text(post)
    timings = []
    for _ in range(50):
        started = time.perf_counter()
        screen_text(post)
        timings.append(time.perf_counter() - started)
    assert sorted(timings)[len(timings) // 2] < 0.005
