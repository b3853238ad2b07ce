"""Onboarding's words can be translated: every template's visible words are marked (so
`makemessages` finds them), a language with a catalogue shows its words on a step page, and the
catalogues committed under locale/ are compiled from their .po files.

The catalogue these tests translate with is written here, as a .mo file, in Python (the GNU
format that msgfmt writes), so they need no gettext tools on the machine that runs them.
"""

from __future__ import annotations

import array
import gettext
import html
import re
import struct
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from core.templatetags import fragments
from onboarding.models import ContentVersion
from onboarding.registry import steps
from onboarding.steps import ABOUT_YOU, WELCOME
from tests.onboarding.helpers import a_new_patient, at_step

pytestmark = pytest.mark.django_db

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"
ONBOARDING_TEMPLATES = sorted(
    [
        *(TEMPLATES / "onboarding").rglob("*.html"),
        *(TEMPLATES / "admin" / "onboarding").rglob("*.html"),
    ]
)
LOCALE = Path(django_settings.BASE_DIR) / "locale"

# --- Reading templates ---------------------------------------------------------------------------

COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
BLOCK_TRANSLATED = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?{%\s*endblocktrans(?:late)?\s*%}", re.S
)
TAGS_AND_VARIABLES = re.compile(r"{%.*?%}|{{.*?}}", re.S)
NOT_TEXT = re.compile(r"<(script|style|svg)\b.*?</\1>", re.S | re.I)
READ_ALOUD = re.compile(r"""\b(?:aria-label|title|alt|placeholder|value)\s*=\s*(["'])(.*?)\1""")
HTML_TAGS = re.compile(r"<[^>]*>", re.S)
A_WORD = re.compile(r"[^\W\d_]{2,}")
USES_TRANSLATION = re.compile(r"{%\s*(?:translate|trans|blocktranslate|blocktrans)\b")
LOADS_I18N = re.compile(r"{%\s*load\b[^%]*\bi18n\b[^%]*%}")
TRANSLATE_LITERAL = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.+?)\1\s*(?:noop\s*)?%}""")


def hard_coded_words(source: str) -> list[str]:
    """The words a person would see or hear that are not inside a translation tag: text between
    tags, and the attributes read aloud or shown (aria-label, title, alt, placeholder, value)."""
    text = COMMENTS.sub(" ", source)
    text = BLOCK_TRANSLATED.sub(" ", text)
    text = TAGS_AND_VARIABLES.sub(" ", text)
    text = NOT_TEXT.sub(" ", text)
    attributes = [value for _quote, value in READ_ALOUD.findall(text)]
    text = html.unescape(HTML_TAGS.sub(" ", text))
    return A_WORD.findall(text) + [w for value in attributes for w in A_WORD.findall(value)]


def translate_literals(path: Path) -> list[str]:
    return [msgid for _quote, msgid in TRANSLATE_LITERAL.findall(path.read_text())]


def _name(path: Path) -> str:
    return str(path.relative_to(TEMPLATES))


def test_the_template_reader_finds_hard_coded_words_and_ignores_marked_ones():
    source = (
        "{% load i18n %}{% comment %}Notes for developers{% endcomment %}"
        '<h1>{% translate "Marked" %}</h1><p aria-label="Unmarked label">{{ name }}</p>'
        "{% blocktranslate with n=3 %}Marked {{ n }} times{% endblocktranslate %}"
        "<p>Forgotten words</p><svg><title>drawn</title></svg> 12 &middot; —"
    )

    assert hard_coded_words(source) == ["Forgotten", "words", "Unmarked", "label"]


@pytest.mark.parametrize("path", ONBOARDING_TEMPLATES, ids=_name)
def test_every_word_of_an_onboarding_template_is_marked_for_translation(path):
    assert hard_coded_words(path.read_text()) == [], (
        f"{_name(path)} shows words outside {{% translate %}} / {{% blocktranslate %}}"
    )


@pytest.mark.parametrize("path", ONBOARDING_TEMPLATES, ids=_name)
def test_an_onboarding_template_with_words_loads_i18n(path):
    source = COMMENTS.sub(" ", path.read_text())
    if USES_TRANSLATION.search(source):
        assert LOADS_I18N.search(source), f"{_name(path)} translates without {{% load i18n %}}"


# --- A language with a catalogue -----------------------------------------------------------------


def write_mo(path: Path, messages: dict[str, str]) -> None:
    """A GNU .mo catalogue, as msgfmt writes it (CPython's Tools/i18n/msgfmt.py)."""
    header = "Content-Type: text/plain; charset=UTF-8\nPlural-Forms: nplurals=2; plural=(n != 1);\n"
    catalogue = {"": header, **messages}
    keys = sorted(catalogue)
    ids = strs = b""
    offsets = []
    for key in keys:
        key_bytes, value_bytes = key.encode(), catalogue[key].encode()
        offsets.append((len(ids), len(key_bytes), len(strs), len(value_bytes)))
        ids += key_bytes + b"\0"
        strs += value_bytes + b"\0"
    key_start = 7 * 4 + 16 * len(keys)
    value_start = key_start + len(ids)
    key_offsets, value_offsets = [], []
    for id_at, id_length, str_at, str_length in offsets:
        key_offsets += [id_length, id_at + key_start]
        value_offsets += [str_length, str_at + value_start]
    output = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    output += array.array("i", key_offsets + value_offsets).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(output + ids + strs)


def _clear_translation_caches() -> None:
    trans_real._translations = {}
    trans_real._default = None
    # Markup kept per language (the page frame): a catalogue never changes under a running
    # process outside these tests.
    fragments.kept.clear()


@pytest.fixture
def in_welsh(tmp_path, settings):
    """Welsh, with a catalogue built here: each msgid shown as "[cy] msgid". Yields a function
    that puts msgids in the catalogue and makes Welsh the language in use."""
    messages: dict[str, str] = {}
    mo = tmp_path / "cy" / "LC_MESSAGES" / "django.mo"
    settings.LANGUAGES = [("en-gb", "English"), ("cy", "Cymraeg")]
    settings.LOCALE_PATHS = [tmp_path]
    settings.LANGUAGE_CODE = "cy"

    def translate(*msgids: str) -> None:
        messages.update({msgid: f"[cy] {msgid}" for msgid in msgids})
        write_mo(mo, messages)
        # Loaded catalogues are cached per language, and the active one is held per thread.
        _clear_translation_caches()
        translation.activate("cy")

    yield translate
    translation.deactivate()
    _clear_translation_caches()


def _shown_whole(msgid: str, page: str) -> bool:
    """Whether the words are a whole text or attribute value on the page (not part of others)."""
    return re.search(rf"[>\"]\s*{re.escape(msgid)}\s*[<\"]", page) is not None


@pytest.mark.parametrize("step", [WELCOME, ABOUT_YOU])
def test_a_step_page_shows_the_words_of_the_language_in_use(client, in_welsh, step):
    client.force_login(at_step(a_new_patient(), step))
    url = reverse(steps.get(step).url_name)
    with translation.override("en-gb"):
        english = html.unescape(client.get(url).text)
        title = str(steps.get(step).title)  # the registry's words, marked lazily
    # The words the step's templates mark that this page shows (some are shown only in some
    # cases), leaving out any that an admin-edited text on the page says too.
    texts = "\n".join(f"{v.title}\n{v.body}" for v in ContentVersion.objects.all())
    shown = [
        msgid
        for template in (f"steps/{step}.html", "step_base.html", "_progress.html")
        for msgid in translate_literals(TEMPLATES / "onboarding" / template)
        if _shown_whole(msgid, english) and msgid not in texts
    ]
    assert len(shown) >= 3, f"the {step} step shows too few {{% translate %}} strings to test"
    in_welsh(title, *shown)

    response = client.get(url)

    page = html.unescape(response.text)
    assert response.status_code == HTTPStatus.OK
    assert f"[cy] {title}" in page
    for msgid in shown:
        assert f"[cy] {msgid}" in page, msgid


def test_without_a_translation_the_english_words_show(client, in_welsh):
    patient = a_new_patient()
    client.force_login(patient)
    in_welsh()  # a Welsh catalogue with nothing in it yet

    response = client.get(reverse("onboarding:welcome"))

    assert "[cy]" not in response.text
    assert str(steps.get(WELCOME).title) in response.text


# --- The committed catalogues --------------------------------------------------------------------


def parse_po(text: str) -> dict[str, str]:
    """The translated entries of a .po file as a .mo holds them (msgctxt joined with \\x04,
    plural forms as (msgid, n)); fuzzy and obsolete entries are left out, as msgfmt does."""
    entries: list[dict] = []
    entry: dict = {}
    field = None
    fuzzy = False
    for raw in [*text.splitlines(), ""]:
        line = raw.strip()
        if not line or line.startswith("#"):
            if entry:
                entry["fuzzy"] = fuzzy
                entries.append(entry)
                entry, field, fuzzy = {}, None, False
            if line.startswith("#,") and "fuzzy" in line:
                fuzzy = True
            continue
        if line.startswith('"'):
            entry[field] += _unquote(line)
            continue
        field, _space, value = line.partition(" ")
        entry[field] = _unquote(value)
    catalogue = {}
    for entry in entries:
        if entry.get("fuzzy") and entry.get("msgid"):
            continue
        key = entry.get("msgid", "")
        if "msgctxt" in entry:
            key = f"{entry['msgctxt']}\x04{key}"
        if "msgid_plural" in entry:
            forms = {k: v for k, v in entry.items() if k.startswith("msgstr[")}
            if all(forms.values()):
                for name, value in forms.items():
                    catalogue[(key, int(name[7:-1]))] = value
        elif entry.get("msgstr") and key:
            catalogue[key] = entry["msgstr"]
    return catalogue


def _unquote(value: str) -> str:
    return value[1:-1].encode("raw_unicode_escape").decode("unicode_escape")


CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/django.po"))


def test_there_is_a_british_english_catalogue():
    assert LOCALE / "en_GB" / "LC_MESSAGES" / "django.po" in CATALOGUES


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: po.parts[-3])
def test_each_committed_catalogue_is_compiled_from_its_po_file(po):
    """Django reads the .mo, not the .po: a .po edited without `compilemessages` (or a .mo
    forgotten in the commit) would silently show the old words."""
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"run compilemessages: {mo.relative_to(LOCALE)} is missing"
    with mo.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    compiled = {key: value for key, value in compiled.items() if key != ""}

    assert compiled == parse_po(po.read_text(encoding="utf-8"))


def test_the_po_reader_reads_what_msgfmt_compiles():
    po = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\nmsgid "Hello"\nmsgstr "Shwmae"\n\n'
        'msgid "Untranslated"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Guess"\nmsgstr "Dyfalu"\n\n'
        'msgctxt "button"\nmsgid "Save"\nmsgstr "Cadw"\n\n'
        'msgid "one step"\nmsgid_plural "%(n)s steps"\nmsgstr[0] "un cam"\n'
        'msgstr[1] ""\n"%(n)s cam"\n'
    )

    assert parse_po(po) == {
        "Hello": "Shwmae",
        "button\x04Save": "Cadw",
        ("one step", 0): "un cam",
        ("one step", 1): "%(n)s cam",
    }
