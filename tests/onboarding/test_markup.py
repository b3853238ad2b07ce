"""The easy-read markup (onboarding/markup.py): rendering, escaping, the admin's problem list,
the plain text for readability scoring, headings, titles, and the icon sprite that the rendered
icons refer to. Pure functions, no database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onboarding import markup
from onboarding.markup import ICONS, headings, plain_text, problems, render, split_title

ROOT = Path(__file__).resolve().parents[2]
ICON_HTML = (
    '<svg class="icon" aria-hidden="true" focusable="false"><use href="#icon-{}"></use></svg>'
)


def test_the_icon_names_are_the_eighteen_agreed():
    assert sorted(ICONS) == sorted([
        "team", "peer", "group", "trial", "lock", "clock", "ask", "stop", "phone",
        "heart", "warning", "check", "chat", "chart", "calendar", "eye", "key", "leaf",
    ])  # fmt: skip
    assert isinstance(ICONS, frozenset)


def test_a_heading_with_an_icon_starts_a_section_with_the_icon_before_its_words():
    html = render("# [team] Your care team\nThey see your check-ins.")
    assert html == "\n".join(
        [
            '<section class="easy-read__section">',
            f"<h2>{ICON_HTML.format('team')} Your care team</h2>",
            "<p>They see your check-ins.</p>",
            "</section>",
        ]
    )


def test_a_heading_without_an_icon_has_no_svg():
    assert render("# Your choices") == "\n".join(
        ['<section class="easy-read__section">', "<h2>Your choices</h2>", "</section>"]
    )


def test_each_heading_starts_a_new_section():
    html = render("# [lock] One\nFirst.\n# Two\nSecond.")
    assert html.count('<section class="easy-read__section">') == 2
    assert html.count("</section>") == 2
    # The second section opens only after the first is closed.
    assert html.index("</section>") < html.index("<h2>Two</h2>")
    assert "<p>Second.</p>\n</section>" in html


def test_lines_before_the_first_heading_stand_outside_any_section():
    html = render("An introduction.\n\n# [ask] Questions\nAsk us.")
    assert html.startswith("<p>An introduction.</p>\n<section")


def test_consecutive_items_make_one_list():
    html = render("- one\n- two\n- three")
    assert html == '<ul class="easy-read__list">\n<li>one</li>\n<li>two</li>\n<li>three</li>\n</ul>'


def test_a_blank_line_or_another_line_ends_a_list():
    assert render("- one\n\n- two").count("<ul") == 2
    html = render("- one\nA paragraph.\n- two")
    assert html.count("<ul") == 2
    assert html.count("</ul>") == 2
    assert "</ul>\n<p>A paragraph.</p>\n<ul" in html


def test_a_list_at_the_end_of_a_section_is_closed_inside_it():
    html = render("# A\n- one\n# B\n- two")
    assert "<li>one</li>\n</ul>\n</section>" in html
    assert html.endswith("<li>two</li>\n</ul>\n</section>")


def test_a_callout_and_paragraphs():
    html = render("> Stopping does not change your care.\nOne idea.\nAnother idea.")
    assert html == (
        '<p class="callout">Stopping does not change your care.</p>\n'
        "<p>One idea.</p>\n<p>Another idea.</p>"
    )


def test_blank_lines_only_separate_and_spaces_around_lines_do_not_matter():
    assert render("\n\n   First.   \n\n\n  Second.\n\n") == "<p>First.</p>\n<p>Second.</p>"


def test_windows_line_endings_from_a_text_box_render_the_same():
    assert render("# [eye] Who\r\n- one\r\n- two\r\n") == render("# [eye] Who\n- one\n- two\n")


def test_everything_the_admin_types_is_escaped():
    html = render(
        '# [team] <b>Bold</b> & "quoted"\n'
        "<script>alert(1)</script>\n"
        "- <img src=x onerror=alert(1)>\n"
        "> it's <i>important</i>"
    )
    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "<i>" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;" in html
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>" in html
    assert "<li>&lt;img src=x onerror=alert(1)&gt;</li>" in html
    assert '<p class="callout">it&#x27;s &lt;i&gt;important&lt;/i&gt;</p>' in html


def test_an_unknown_or_hostile_icon_name_is_left_out_not_injected():
    html = render('# [nope] Heading\n# [x"><script>] Another')
    assert "<svg" not in html
    assert "<script>" not in html
    assert "<h2>Heading</h2>" in html
    assert "<h2>Another</h2>" in html


def test_an_icon_name_in_capitals_is_forgiven():
    assert ICON_HTML.format("team") in render("# [Team] Your care team")


def test_a_heading_with_no_words_gets_no_empty_h2():
    html = render("# [team]\nText.")
    assert "<h2>" not in html
    assert "<p>Text.</p>" in html


def test_an_empty_item_or_callout_draws_nothing():
    assert render("-\n>") == ""
    assert render("") == ""


def test_a_line_starting_with_a_dash_but_no_space_is_a_paragraph():
    assert render("-5 degrees outside") == "<p>-5 degrees outside</p>"


# ---- problems() ------------------------------------------------------------------------------


def test_a_well_formed_text_has_no_problems():
    body = "Intro.\n\n# [team] Care team\n- one\n- two\n> Important.\n# Plain heading\nText."
    assert problems(body) == []


@pytest.mark.parametrize("body", ["", "   ", "\n\n \n"])
def test_an_empty_text_is_a_problem(body):
    assert problems(body) == ["The text is empty. Write at least one line."]


def test_an_unknown_icon_is_named_with_the_icons_to_choose_from():
    found = problems("Intro.\n# [smoke] Stopping")
    assert len(found) == 1
    assert found[0].startswith('Line 2 uses an icon called "smoke", which does not exist.')
    assert "calendar, chart, chat, check" in found[0]


def test_an_empty_icon_name_is_a_problem():
    assert problems("# [] Heading")[0].startswith('Line 1 uses an icon called "(empty)"')


def test_an_unclosed_icon_bracket_is_a_problem():
    assert problems("# [team Heading") == [
        "Line 1 starts an icon with [ but has no ]. "
        "Write the icon like this: # [team] Your care team."
    ]


@pytest.mark.parametrize("line", ["#", "# ", "# [team]", "##  "])
def test_a_heading_with_no_words_is_a_problem(line):
    assert problems(f"Intro.\n{line}") == [
        "Line 2 is a heading with no words. Write the heading after the #."
    ]


def test_empty_items_and_callouts_are_problems():
    assert problems("Intro.\n-\n>") == [
        "Line 2 is a list item with no words. Write the item after the -.",
        "Line 3 is a callout with no words. Write the words after the >.",
    ]


def test_a_line_over_200_characters_is_a_problem_and_200_is_not():
    assert problems("a" * 200) == []
    found = problems("Fine.\n\n" + "a" * 201)
    assert found == [
        "Line 3 is 201 characters long. Keep each line under 200 characters: "
        "split it into shorter sentences, one idea per line."
    ]


def test_problems_come_in_line_order():
    found = problems("# [bad]\n" + "- " + "b" * 250)
    assert [p.split(" ", 2)[1] for p in found] == ["1", "1", "2"]


# ---- plain_text(), headings(), split_title() --------------------------------------------------


def test_plain_text_strips_the_markup_and_ends_each_line_as_a_sentence():
    body = (
        "# [team] Your care team\n"
        "- They see your check-ins\n"
        "\n"
        "> Call 999!\n"
        "Is that right?\n"
        "Who can see:\n"
        'Press "Get help now."\n'
        "It ends here."
    )
    assert plain_text(body) == (
        "Your care team.\n"
        "They see your check-ins.\n"
        "Call 999!\n"
        "Is that right?\n"
        "Who can see.\n"
        'Press "Get help now."\n'
        "It ends here."
    )


def test_plain_text_leaves_out_empty_constructs_and_icons():
    assert plain_text("# [team]\n-\n>\n# [lock] Safe") == "Safe."
    assert "lock" not in plain_text("# [lock] Safe")


def test_headings_are_the_words_without_icons_in_order():
    body = "Intro.\n# [team] Care team\nText.\n# [] \n# Your choices\n## [lock] Safe"
    assert headings(body) == ["Care team", "Your choices", "Safe"]


def test_split_title_takes_the_first_line():
    assert split_title("title: Who can see what\n\n# [team] Care\nText.\n") == (
        "Who can see what",
        "# [team] Care\nText.",
    )


def test_split_title_copes_with_a_byte_order_mark_windows_endings_and_case():
    assert split_title("\ufeffTitle:  Welcome \r\n\r\nHello.\r\n") == ("Welcome", "Hello.")


def test_split_title_without_a_title_line_keeps_the_whole_text_as_the_body():
    assert split_title("# [team] Care\nText.") == ("", "# [team] Care\nText.")


def test_every_standard_text_has_a_title_and_renders_sections():
    files = sorted((ROOT / "onboarding" / "content").glob("*.txt"))
    assert {f.name for f in files} >= {
        "welcome.txt",
        "privacy_easy.txt",
        "privacy_full.txt",
        "consent_programme.txt",
        "consent_trial.txt",
    }
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert re.match(r"title: \S", text), path.name
        title, body = split_title(text)
        assert title, path.name
        assert not body.startswith("title:"), path.name
        html = render(body)
        assert '<section class="easy-read__section">' in html, path.name
        # Every heading in the standard texts has a known icon.
        assert html.count("<h2>") == html.count('<svg class="icon"'), path.name


# ---- the icon sprite --------------------------------------------------------------------------


def test_the_sprite_draws_exactly_the_icons_the_markup_knows():
    sprite = (ROOT / "templates" / "onboarding" / "_icons.html").read_text(encoding="utf-8")
    ids = re.findall(r'<symbol id="icon-([a-z]+)" viewBox="0 0 24 24"', sprite)
    assert sorted(ids) == sorted(ICONS)
    assert sprite.count("<symbol ") == len(ICONS)
    assert sprite.count("</symbol>") == len(ICONS)


def test_the_sprite_is_hidden_and_its_icons_are_strokes_in_the_text_colour():
    sprite = (ROOT / "templates" / "onboarding" / "_icons.html").read_text(encoding="utf-8")
    opening = re.search(r"<svg\b[^>]*>", sprite)
    assert opening is not None
    for attribute in (
        'xmlns="http://www.w3.org/2000/svg"',
        'class="visually-hidden"',
        'aria-hidden="true"',
        'focusable="false"',
    ):
        assert attribute in opening.group(0)
    for symbol in re.findall(r"<symbol\b[^>]*>", sprite):
        assert 'fill="none" stroke="currentColor" stroke-width="2"' in symbol
        assert 'stroke-linecap="round" stroke-linejoin="round"' in symbol


def test_the_module_says_what_it_is_on_its_first_line():
    assert markup.__doc__ is not None
    assert markup.__doc__.startswith("Easy-read markup")
