"""Personal information: the NHS mod-11 check, the shapes of UK phone numbers, and numbers that
must not look like personal information (crisis lines, times, money, CO readings, counts)."""

from __future__ import annotations

import pytest

from safety.screening import screen_text
from safety.screening.personal_info import is_nhs_number, phone_kind


@pytest.mark.parametrize("digits", ["4010232137", "9434765919", "4857773457"])
def test_valid_nhs_numbers_pass_mod_11(digits):
    assert is_nhs_number(digits)


@pytest.mark.parametrize("digits", ["4010232138", "1234567890", "0000000001", "401023213", "abc"])
def test_invalid_nhs_numbers_fail_mod_11(digits):
    assert not is_nhs_number(digits)


def test_a_check_digit_of_ten_is_never_valid():
    # 1000000005: weighted sum 10 -> 11 - 10 = 1 ... search for a number whose check would be 10
    candidates = [f"{n:09d}" for n in range(100000000, 100001000)]
    ten = next(
        c
        for c in candidates
        if 11 - sum(int(d) * w for d, w in zip(c, range(10, 1, -1), strict=True)) % 11 == 10
    )
    assert not any(is_nhs_number(ten + str(d)) for d in range(10))


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("07911 123456", "uk"),
        ("07911123456", "uk"),
        ("+44 7911 123456", "uk"),
        ("0044 7911 123456", "uk"),
        ("+44 (0)20 7946 0018", "uk"),
        ("020 7946 0018", "uk"),
        ("(0113) 496 0000", "uk"),
        ("01632 960123", "uk"),
        ("0800 123 4567", "uk"),
        ("+1 415 555 0132", "international"),
        ("116 123", None),
        ("0800 58 58 58", None),
        ("0300 123 1044", None),
        ("12 03 2024", None),
        ("123456789", None),
    ],
)
def test_phone_shapes(raw, kind):
    resources = frozenset({"116123", "0800585858", "03001231044"})
    assert phone_kind(raw, resources) == kind


@pytest.mark.parametrize(
    "text",
    [
        "call me on 07911 123456",
        "ring me 0161 496 0753",
        "my mob: 07700-900-461",
        "text +447700900123",
        "NHS no. 401 023 2137",
        "nhs number 123 456 7890",
        "email me jo.bloggs@gmail.com",
        "sarah dot jones at gmail dot com",
        "I'm at 7 Church Lane, Bristol",
        "my postcode is BS1 5TR",
        "sw1a 1aa",
        "find me on facebook",
        "add me on snap, kirsty_92",
        "follow @dave_1984",
        "@lucy on insta",
        "my name's John Whitaker, look me up",
    ],
)
def test_personal_information_is_held(text):
    verdict = screen_text(text)
    assert (verdict.action, verdict.categories) == ("hold", ("personal_info",)), verdict


@pytest.mark.parametrize(
    "text",
    [
        "call the Samaritans on 116 123",
        "NHS 111 were brilliant",
        "text SHOUT to 85258",
        "ring 999 if you are in danger",
        "CALM helpline 0800 58 58 58",
        "the smokefree helpline is 0300 123 1044",
        "group at 10:30",
        "it costs £12.50 now",
        "CO was 4",
        "day 21",
        "smoked 20 a day for 15 years",
        "quit date 14/03/2025",
        "took my 10mg at 9pm",
        "saved £1,250 since 1 January",
        "4010232138 is not an nhs number",
        "@mike thanks!",
        "10 minute walk round the block",
        "I live in BS1",
        "my name is Dave and I'm on day 3",
    ],
)
def test_numbers_and_resources_that_are_not_personal_information_publish(text):
    verdict = screen_text(text)
    assert verdict.action == "publish", verdict


def test_a_ten_digit_number_failing_mod_11_may_still_be_a_phone_number():
    verdict = screen_text("ring 0207 946 0018")
    assert verdict.categories == ("personal_info",)
    assert verdict.evidence[0].rule_id == "personal_info.phone"
