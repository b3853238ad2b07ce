"""{% fragment %} (core/templatetags/fragments.py): markup drawn once per set of values it shows,
kept in the process; the check that catches a key missing a value; the request's own CSRF
token in kept markup; and the pages that use it showing each change at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.middleware.csrf import _unmask_cipher_token, get_token
from django.template import Context, Engine, RequestContext, TemplateSyntaxError
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from core.models import Notification
from core.templatetags import fragments
from core.templatetags.fragments import FragmentKeyIncomplete
from peersupport import services
from peersupport.models import Post
from tests.peersupport.helpers import a_group, member_of
from tests.peersupport.test_posts import post

ENGINE = Engine(libraries={"fragments": "core.templatetags.fragments"})


def template(source: str):
    return ENGINE.from_string("{% load fragments %}" + source)


@pytest.fixture(autouse=True)
def _empty():
    fragments.kept.clear()
    yield
    fragments.kept.clear()


@override_settings(EXHALE_FRAGMENT_VERIFY=False)
def test_the_same_key_gives_the_kept_markup_without_drawing_it_again():
    page = template("{% fragment a %}{{ a }} {{ b }}{% endfragment %}")
    assert page.render(Context({"a": 1, "b": "first"})) == "1 first"
    # b is not on the key: what was kept for a=1 is served (this is why the check below exists).
    assert page.render(Context({"a": 1, "b": "second"})) == "1 first"
    assert page.render(Context({"a": 2, "b": "second"})) == "2 second"
    assert len(fragments.kept) == 2


@override_settings(EXHALE_FRAGMENT_VERIFY=True)
def test_the_check_fails_loudly_when_the_key_misses_a_value_the_markup_shows():
    page = template("{% fragment a %}{{ a }} {{ b }}{% endfragment %}")
    page.render(Context({"a": 1, "b": "first"}))
    with pytest.raises(FragmentKeyIncomplete, match="name every value"):
        page.render(Context({"a": 1, "b": "second"}))


@override_settings(EXHALE_FRAGMENT_VERIFY=True)
def test_the_check_passes_a_complete_key_and_serves_fresh_markup():
    page = template("{% fragment a b %}{{ a }} {{ b }}{% endfragment %}")
    assert page.render(Context({"a": 1, "b": "x"})) == "1 x"
    assert page.render(Context({"a": 1, "b": "x"})) == "1 x"
    assert page.render(Context({"a": 1, "b": "y"})) == "1 y"


@override_settings(EXHALE_FRAGMENT_VERIFY=False)
def test_each_tag_keeps_its_own_markup_even_with_the_same_values():
    one = template("{% fragment a %}one {{ a }}{% endfragment %}")
    other = template("{% fragment a %}other {{ a }}{% endfragment %}")
    assert one.render(Context({"a": 1})) == "one 1"
    assert other.render(Context({"a": 1})) == "other 1"
    # A template edited and loaded again is a new tag: never the old markup.
    again = template("{% fragment a %}edited {{ a }}{% endfragment %}")
    assert again.render(Context({"a": 1})) == "edited 1"


@override_settings(EXHALE_FRAGMENT_VERIFY=False)
def test_the_time_zone_is_part_of_the_key():
    page = template('{% fragment when %}{{ when|date:"H:i" }}{% endfragment %}')
    when = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    with timezone.override("Europe/London"):
        assert page.render(Context({"when": when})) == "12:00"
    with timezone.override("America/New_York"):
        assert page.render(Context({"when": when})) == "07:00"


@override_settings(EXHALE_FRAGMENT_VERIFY=False)
def test_unless_draws_for_this_request_only():
    page = template("{% fragment a unless sent %}{{ a }} {{ b }}{% endfragment %}")
    assert page.render(Context({"a": 1, "b": "typed", "sent": True})) == "1 typed"
    assert len(fragments.kept) == 0
    assert page.render(Context({"a": 1, "b": "first", "sent": False})) == "1 first"
    assert page.render(Context({"a": 1, "b": "again", "sent": True})) == "1 again"


@override_settings(EXHALE_FRAGMENT_VERIFY=False)
def test_kept_markup_carries_each_requests_own_csrf_token():
    engine = Engine(
        libraries={"fragments": "core.templatetags.fragments"},
        context_processors=["django.template.context_processors.csrf"],
    )
    page = engine.from_string(
        "{% load fragments %}{% fragment %}<form>{% csrf_token %}</form>{% endfragment %}"
    )
    factory = RequestFactory()
    secrets = []
    for _ in range(2):
        request = factory.get("/")
        secret = _unmask_cipher_token(get_token(request))
        html = page.render(RequestContext(request, {}))
        assert fragments.CSRF_PLACEHOLDER not in html
        token = html.split('value="')[1].split('"')[0]
        assert _unmask_cipher_token(token) == secret
        secrets.append(secret)
    assert secrets[0] != secrets[1]  # two visitors, two secrets, from one kept fragment
    assert len(fragments.kept) == 1


@override_settings(EXHALE_FRAGMENT_VERIFY=False)
def test_without_a_request_the_csrf_tag_draws_nothing_as_it_would_outside():
    page = template("{% fragment %}<form>{% csrf_token %}</form>{% endfragment %}")
    assert page.render(Context({})) == "<form></form>"


def test_a_model_instance_cannot_be_a_key_value(patient):
    page = template("{% fragment who %}{{ who.full_name }}{% endfragment %}")
    with pytest.raises(TypeError, match="model instance"):
        page.render(Context({"who": patient}))


def test_lists_dicts_and_sets_are_compared_by_what_they_hold():
    frozen = fragments._frozen
    assert frozen([{"kind": "hug", "count": 1}]) == frozen([{"count": 1, "kind": "hug"}])
    assert frozen([{"kind": "hug", "count": 1}]) != frozen([{"kind": "hug", "count": 2}])
    assert frozen({1, 2}) == frozen({2, 1})
    assert frozen(gettext_lazy("Hug")) == frozen("Hug")  # lazy words, as the language gives them
    assert frozen(1) != frozen(True)
    assert frozen(1) != frozen("1")


def test_unless_must_come_last_with_one_value():
    with pytest.raises(TemplateSyntaxError):
        template("{% fragment a unless b c %}{% endfragment %}")


def test_what_is_kept_is_bounded_in_characters_oldest_out_first():
    box = fragments._Kept()
    box.put(("a",), "x" * 40, limit=100)
    box.put(("b",), "y" * 40, limit=100)
    box.get(("a",))  # used: now the newest
    box.put(("c",), "z" * 40, limit=100)
    assert box.get(("b",)) is None
    assert box.get(("a",)) == "x" * 40
    assert box.get(("c",)) == "z" * 40
    box.put(("d",), "w" * 101, limit=100)  # larger than the whole allowance: never kept
    assert box.get(("d",)) is None


# --- The pages that keep fragments show every change at once ------------------------------------


@override_settings(EXHALE_FRAGMENT_VERIFY=False)
def test_the_header_shows_a_new_unread_notice_at_once(client, patient):
    client.force_login(patient)
    page = reverse("safety:crisis")
    assert "unread</span>" not in client.get(page).content.decode()
    Notification.objects.create(recipient=patient, kind="test", title="Hello")
    assert '1<span class="visually-hidden"> unread</span>' in client.get(page).content.decode()


@override_settings(EXHALE_FRAGMENT_VERIFY=False)
def test_a_thread_shows_new_reactions_an_edit_and_a_removal_at_once(client, db):
    group = a_group()
    reader, writer = member_of(group), member_of(group)
    opening = post(writer, group, "Day three and still going.").post
    reply = post(reader, group, "Keep going, pal.", parent=opening).post
    client.force_login(reader)
    url = reverse("peersupport:thread", args=[group.slug, opening.pk])

    def count_on(page: str, post_pk: int, kind: str) -> str:
        return page.split(f'id="react-{post_pk}-{kind}"')[1].split('reaction__count">')[1][:1]

    first = client.get(url).content.decode()
    assert count_on(first, opening.pk, "heart") == "0"
    services.reaction_add(member=writer, post=opening, kind="heart")
    assert count_on(client.get(url).content.decode(), opening.pk, "heart") == "1"

    Post.objects.filter(pk=reply.pk).update(body="Keep going, my friend.")
    assert "Keep going, my friend." in client.get(url).content.decode()
    Post.objects.filter(pk=reply.pk).update(status=Post.Status.REMOVED)
    assert "Keep going" not in client.get(url).content.decode()
