"""Easy-read markup: the small line-based syntax that admins use to write onboarding texts.

One construct per line, so a text reads the same in the admin's text box as on the page:

    # [icon] Heading      a section heading (the icon is optional: "# Heading")
    - item                a list item; items on consecutive lines make one list
    > line                an important callout
    any other line        a paragraph: easy read is one idea per line
    (blank line)          separates, nothing more (it also ends a list)

Everything is HTML-escaped: the texts are typed by admins, and a page for people who have just
left hospital must never run script or markup that someone pasted in. `render` returns a string
the caller marks safe. Pure Python with no Django imports, so it is tested in microseconds and
can also be used by the admin form's validation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from typing import Literal

ICONS: frozenset[str] = frozenset(
    {
        "team",
        "peer",
        "group",
        "trial",
        "lock",
        "clock",
        "ask",
        "stop",
        "phone",
        "heart",
        "warning",
        "check",
        "chat",
        "chart",
        "calendar",
        "eye",
        "key",
        "leaf",
    }
)

# Long lines are hard to follow for someone who is unwell or reads slowly; 200 characters is
# about two lines of a phone screen, a generous ceiling for "one idea per line".
MAX_LINE_LENGTH = 200

_TITLE = re.compile(r"^title:\s*(?P<title>.*)$", re.IGNORECASE)
# "[name]" at the start of a heading; the name is checked against ICONS by problems().
_ICON = re.compile(r"^\[(?P<name>[^\]]*)\]\s*")
_END_PUNCTUATION = ".!?…"
# Closing quotes and brackets may follow a sentence's full stop: 'Press "Get help now."'
_CLOSERS = "\"'”’)]"

Kind = Literal["heading", "item", "callout", "paragraph", "blank"]


@dataclass(frozen=True)
class Line:
    """One line of a text, classified. `icon` is None when a heading has no [icon] part, and
    `bad_bracket` says that a heading opened "[" without closing it."""

    number: int  # counted from 1, as an admin counts lines in a text box
    kind: Kind
    text: str
    icon: str | None = None
    bad_bracket: bool = False
    raw: str = ""


def parse(body: str) -> list[Line]:
    """Classify every line of `body`. Leading and trailing spaces never matter: admins paste
    from documents and e-mails, which indent unpredictably."""
    lines: list[Line] = []
    # splitlines() copes with the \r\n that browsers send from a <textarea>.
    for number, raw in enumerate(body.splitlines(), start=1):
        line = raw.strip()
        if not line:
            lines.append(Line(number, "blank", "", raw=line))
        elif line.startswith("#"):
            rest = line.lstrip("#").strip()
            icon: str | None = None
            bad_bracket = False
            match = _ICON.match(rest)
            if match:
                # Icon names are lower case; forgive "[Team]" rather than show no icon.
                icon = match.group("name").strip().lower()
                rest = rest[match.end() :].strip()
            elif rest.startswith("["):
                bad_bracket = True
            lines.append(Line(number, "heading", rest, icon, bad_bracket, raw=line))
        elif line.startswith("- ") or line == "-":
            lines.append(Line(number, "item", line[1:].strip(), raw=line))
        elif line.startswith(">"):
            lines.append(Line(number, "callout", line[1:].strip(), raw=line))
        else:
            lines.append(Line(number, "paragraph", line, raw=line))
    return lines


def _icon_html(name: str) -> str:
    # aria-hidden: the heading's words say it all; the picture is for people who read pictures
    # more easily than words. focusable="false" stops old Edge/IE tabbing into the SVG.
    return (
        '<svg class="icon" aria-hidden="true" focusable="false">'
        f'<use href="#icon-{escape(name)}"></use></svg>'
    )


def _blocks(lines: list[Line]) -> Iterator[str]:
    """The HTML of the lines, one block at a time, with consecutive items gathered in one list."""
    in_list = False
    for line in lines:
        if in_list and line.kind != "item":
            yield "</ul>"
            in_list = False
        if line.kind == "item":
            if not line.text:
                continue  # an empty "-" would be an empty bullet: a stray keystroke
            if not in_list:
                yield '<ul class="easy-read__list">'
                in_list = True
            yield f"<li>{escape(line.text)}</li>"
        elif line.kind == "callout" and line.text:
            yield f'<p class="callout">{escape(line.text)}</p>'
        elif line.kind == "paragraph":
            yield f"<p>{escape(line.text)}</p>"
    if in_list:
        yield "</ul>"


def render(body: str) -> str:
    """The HTML of an easy-read text. Each heading starts a `<section>`; anything before the
    first heading is rendered on its own, outside any section. An unknown icon is left out
    rather than drawn as an empty box (problems() tells the admin about it)."""
    out: list[str] = []
    section: list[Line] = []
    heading: Line | None = None

    def close() -> None:
        blocks = list(_blocks(section))
        if heading is None:
            out.extend(blocks)
            return
        out.append('<section class="easy-read__section">')
        # A heading with no words gets no <h2>: an empty heading confuses screen readers, and
        # problems() has told the admin.
        if heading.text:
            icon = _icon_html(heading.icon) + " " if heading.icon in ICONS else ""
            out.append(f"<h2>{icon}{escape(heading.text)}</h2>")
        out.extend(blocks)
        out.append("</section>")

    for line in parse(body):
        if line.kind == "heading":
            close()
            heading, section = line, []
        else:
            section.append(line)
    close()
    return "\n".join(out)


def problems(body: str) -> list[str]:
    """What an admin needs to fix before the text is shown to patients, in plain English, one
    sentence or two per problem, in the order of the lines. An empty list means it is fine."""
    if not body.strip():
        return ["The text is empty. Write at least one line."]
    found: list[str] = []
    icons = ", ".join(sorted(ICONS))
    for line in parse(body):
        where = f"Line {line.number}"
        if line.kind == "heading":
            if line.bad_bracket:
                found.append(
                    f"{where} starts an icon with [ but has no ]. "
                    "Write the icon like this: # [team] Your care team."
                )
            elif line.icon is not None and line.icon not in ICONS:
                name = line.icon or "(empty)"
                found.append(
                    f'{where} uses an icon called "{name}", which does not exist. '
                    f"Use one of: {icons}."
                )
            if not line.text:
                found.append(f"{where} is a heading with no words. Write the heading after the #.")
        elif line.kind == "item" and not line.text:
            found.append(f"{where} is a list item with no words. Write the item after the -.")
        elif line.kind == "callout" and not line.text:
            found.append(f"{where} is a callout with no words. Write the words after the >.")
        if len(line.raw) > MAX_LINE_LENGTH:
            found.append(
                f"{where} is {len(line.raw)} characters long. Keep each line under "
                f"{MAX_LINE_LENGTH} characters: split it into shorter sentences, one idea per line."
            )
    return found


def _end_sentence(text: str) -> str:
    """`text` ending as a sentence, so readability scoring counts each line as one: a line's
    end punctuation is kept, a trailing colon, semicolon or comma (a list's lead-in) becomes a
    full stop, and anything else gets one."""
    core = text.rstrip(_CLOSERS)
    if core and core[-1] in _END_PUNCTUATION:
        return text
    if text[-1] in ":;,":
        return text[:-1].rstrip() + "."
    return text + "."


def plain_text(body: str) -> str:
    """The words of the text, one line each, without markup or icons: headings, items, callouts
    and paragraphs alike, each ending as a sentence. For readability scoring, so a heading, which
    a reader reads too, counts as a (short) sentence of its own."""
    return "\n".join(
        _end_sentence(line.text) for line in parse(body) if line.kind != "blank" and line.text
    )


def headings(body: str) -> list[str]:
    """The headings' words in order, without icons; headings with no words are skipped."""
    return [line.text for line in parse(body) if line.kind == "heading" and line.text]


def split_title(text: str) -> tuple[str, str]:
    """Split a standard text file into its title and its body. The file starts with a line
    `title: <Title>`, then a blank line, then the body. Without a title line, the title is ""
    and the whole text is the body, so a file missing one still renders."""
    text = text.removeprefix("\ufeff")  # a byte-order mark from an editor on Windows
    first, _, rest = text.partition("\n")
    match = _TITLE.match(first.strip())
    if not match:
        return "", text.strip()
    return match.group("title").strip(), rest.strip()
