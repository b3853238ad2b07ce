"""The pseudonym rules (pure): what may and may not be a name in the groups, and why."""

from __future__ import annotations

import pytest

from peersupport.pseudonyms import PseudonymError, canonical, check


@pytest.mark.parametrize(
    "name", ["Quiet Fox", "SunnyDays", "walker_22", "Mrs. Tea", "Blue-Heron", "Day 21", "Ann"]
)
def test_names_that_say_nothing_about_who_someone_is_are_accepted(name):
    assert check(name) == name


def test_spacing_is_tidied_and_the_name_shown_as_typed():
    assert check("  Quiet   Fox ") == "Quiet Fox"


def test_names_compare_whatever_their_case_or_spacing():
    assert canonical("Quiet  FOX") == canonical("quiet fox") == "quiet fox"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Jo", "at least 3 characters"),
        ("A" * 25, "at most 24 characters"),
        ("jo@example.com", "email address"),
        ("@quietfox", "@handle"),
        ("www.quietfox", "web address"),
        ("quietfox.com", "web address"),
        ("fox 07700900123", "Long numbers"),
        ("fox 0161 496 0753", "Long numbers"),
        ("<script>", "Use letters, numbers"),
        ("Fox!!", "Use letters, numbers"),
        ("Jane Smith", "a person's real name"),
        ("sarah jones", "a person's real name"),
    ],
)
def test_names_that_could_identify_someone_are_refused_with_the_reason(name, why):
    with pytest.raises(PseudonymError, match=why):
        check(name)


@pytest.mark.parametrize("name", ["Philippa Fox", "fox quarrington", "PippaQ", "QuarringtonFan"])
def test_a_name_containing_the_persons_own_name_is_refused(name):
    own = ["Philippa Quarrington", "Pippa", "pippaq"]

    with pytest.raises(PseudonymError, match="your real name"):
        check(name, own_names=own)


def test_short_parts_of_a_real_name_do_not_block_ordinary_words():
    # "Jo Li" must not stop "Jolly" or "Lime": only parts of three letters or more count.
    assert check("Jolly Lime", own_names=["Jo Li"]) == "Jolly Lime"


def test_a_common_first_name_alone_or_with_a_number_is_not_a_full_name():
    assert check("Emma 2") == "Emma 2"
    assert check("grace") == "grace"
