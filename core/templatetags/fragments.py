"""`{% fragment %}`: a part of a page drawn once per process for each set of values it shows.

    {% load fragments %}
    {% fragment post.pk post.status post.body reader_is_author %} ...markup... {% endfragment %}
    {% fragment form.initial unless form.is_bound %} ...fields... {% endfragment %}

The markup between the tags is drawn from the values named on the tag and nothing else that
changes: they are the fragment's key, with the tag itself (as parsed: a template edited and
loaded again is a new tag), the language, the time zone and the URL prefix. The same key gives
the same HTML, so it is drawn once and kept in this process's memory (least recently used first
out, up to `EXHALE_FRAGMENT_CHARS` characters). Nothing is ever stale, because nothing is
invalidated: a change to anything shown is a change to the key. A value missing from the key
would show one reader's markup to another: with `EXHALE_FRAGMENT_VERIFY` on (the test suite,
development), every fragment is drawn afresh and compared with what is kept for its key, and a
difference raises `FragmentKeyIncomplete`.

`unless <value>`: when the value is true, the markup is drawn for this request only, neither
kept nor taken from what is kept (a form sent back with its answers and errors, say).

What differs per request without being data is left out of the kept HTML: `{% csrf_token %}`
inside a fragment draws a placeholder, replaced by the request's token on the way out. A
fragment must not hold a CSP nonce or the request's messages (they are per request; the check
above finds them). Key values are plain values (str, numbers, dates, bools, None, and lists,
tuples, sets and dicts of them); a model instance is refused, since it compares by primary key
only, whatever its fields hold.

Why: the page frame and the long lists (a thread's posts, the flag queue's rows) cost most of
the key pages' time in Django's template language (docs/performance.md, "Pages").
"""

from __future__ import annotations

import datetime
import itertools
import threading
from collections import OrderedDict
from decimal import Decimal

from django import template
from django.conf import settings
from django.db.models import Model
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Drawn by {% csrf_token %} inside a fragment, in place of the request's token; no user value
# holds it (Django's forms and DRF's fields refuse NUL characters in what people type).
CSRF_PLACEHOLDER = "\x00exhale-csrf\x00"

_PLAIN = (str, int, float, bool, Decimal, datetime.date, datetime.time, datetime.timedelta)


class FragmentKeyIncomplete(AssertionError):
    """A fragment drew different HTML for the same key: the key misses a value it shows."""


def _frozen(value):
    """A hashable, comparable copy of a key value."""
    if value is None or isinstance(value, _PLAIN):
        return (type(value).__name__, value)
    if isinstance(value, Promise):  # a lazy translation: its words in the language in use
        return ("str", str(value))
    if isinstance(value, Model):
        raise TypeError(
            f"A fragment key cannot hold a model instance ({type(value).__name__}): it compares "
            "by primary key only. Name the fields the fragment shows."
        )
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(_frozen(v)) for v in value)))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_frozen(v) for v in value))
    raise TypeError(f"A fragment key cannot hold a {type(value).__name__}.")


class _Kept:
    """The fragments this process drew, least recently used first out, bounded in characters."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, str] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        with self._lock:
            html = self._entries.get(key)
            if html is not None:
                self._entries.move_to_end(key)
            return html

    def put(self, key: tuple, html: str, limit: int) -> None:
        if len(html) > limit:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._chars -= len(old)
            self._entries[key] = html
            self._chars += len(html)
            while self._chars > limit and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._chars -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0

    def __len__(self) -> int:
        return len(self._entries)


kept = _Kept()
_serials = itertools.count()


class FragmentNode(template.Node):
    def __init__(self, nodelist: template.NodeList, values: list, unless=None) -> None:
        self.nodelist = nodelist
        self.values = values
        self.unless = unless
        self.serial = next(_serials)

    def _draw(self, context, with_token: bool) -> str:
        if not with_token:  # drawn without a request: {% csrf_token %} draws nothing anyway
            return self.nodelist.render(context)
        with context.push(csrf_token=CSRF_PLACEHOLDER):
            return self.nodelist.render(context)

    def render(self, context) -> SafeString:
        if self.unless is not None and self.unless.resolve(context):
            return self.nodelist.render(context)
        token = context.get("csrf_token")
        key = (
            self.serial,
            token is not None,
            translation.get_language(),
            timezone.get_current_timezone_name(),
            get_script_prefix(),
            context.autoescape,
            context.use_l10n,
            context.use_tz,
            tuple(_frozen(value.resolve(context)) for value in self.values),
        )
        limit = settings.EXHALE_FRAGMENT_CHARS
        html = kept.get(key)
        if settings.EXHALE_FRAGMENT_VERIFY:
            fresh = self._draw(context, token is not None)
            if html is not None and html != fresh:
                raise FragmentKeyIncomplete(
                    f"{self.origin.name}, line {self.token.lineno}: the same key drew different "
                    "HTML; name every value the fragment shows on its tag."
                )
            html = fresh
            kept.put(key, html, limit)
        elif html is None:
            html = self._draw(context, token is not None)
            kept.put(key, html, limit)
        if token is not None and CSRF_PLACEHOLDER in html:
            html = html.replace(CSRF_PLACEHOLDER, str(token))
        # The markup was drawn by the template engine, autoescaped there.
        return mark_safe(html)  # noqa: S308


@register.tag("fragment")
def do_fragment(parser, token) -> FragmentNode:
    """{% fragment value1 value2 ... [unless value] %} markup {% endfragment %}"""
    bits = token.split_contents()[1:]
    unless = None
    if "unless" in bits:
        at = bits.index("unless")
        if at != len(bits) - 2:
            raise template.TemplateSyntaxError("'fragment': 'unless' takes one value, last.")
        unless = parser.compile_filter(bits[-1])
        bits = bits[:at]
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, [parser.compile_filter(bit) for bit in bits], unless)
