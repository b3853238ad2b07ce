"""The members' pages of the peer groups: a group name, the guidelines, joining, reading and
posting, replies, reactions, reports, the live check and "My posts". Real URLs, real services,
real status codes."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peersupport import services
from peersupport.models import (
    Membership,
    PeerGroup,
    PeerMember,
    Post,
    Reaction,
    Report,
)
from safety.models import Flag
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db

ORDINARY = "Day 3 without a cigarette. The evenings are hard."
PHONE = "Text me on 07911 123456 if you want to talk"
CRISIS = "I want to end my life tonight"


# --- Helpers --------------------------------------------------------------------------------------

_names = iter(f"Member {n}" for n in range(100_000))


def make_group(slug="first-weeks", name="First weeks", **kwargs) -> PeerGroup:
    kwargs.setdefault("kind", PeerGroup.Kind.TOPIC)
    kwargs.setdefault("description", "For the first weeks at home after hospital.")
    return PeerGroup.objects.create(name=name, slug=slug, **kwargs)


def ready(patient=None):
    """A patient with a group name who has accepted the current guidelines."""
    patient = patient or PatientFactory(full_name="Robin Example")  # shares no word with names
    services.peer_member_set_pseudonym(user=patient, pseudonym=next(_names))
    services.guidelines_accept(user=patient)
    return patient


def settle(patient, group, posts=3) -> None:
    """Past pre-moderation: their first posts already shared."""
    Post.objects.bulk_create(
        Post(
            group=group,
            author=patient,
            body=f"Earlier post {n}",
            status=Post.Status.PUBLISHED,
            published_at=timezone.now() - timedelta(days=30),
            created_at=timezone.now() - timedelta(days=30),
        )
        for n in range(posts)
    )


def member_of(group, *, settled=True, patient=None):
    """A patient in the group; `settled` members are past pre-moderation."""
    patient = ready(patient)
    services.group_join(user=patient, group=group)
    if settled:
        settle(patient, group)
    return patient


def moderator_of(group):
    peer = PeerFactory(full_name="Sam Peerson")
    group.moderators.add(peer)
    return peer


def published(author, group, body=ORDINARY, parent=None) -> Post:
    return Post.objects.create(
        group=group,
        author=author,
        body=body,
        parent=parent,
        status=Post.Status.PUBLISHED,
        published_at=timezone.now(),
    )


def content(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def group():
    return make_group()


@pytest.fixture
def other_group():
    return make_group(slug="starting-again", name="Starting again")


@pytest.fixture
def me(group):
    return member_of(group)


@pytest.fixture
def me_client(client, me):
    client.force_login(me)
    return client


# --- Access ---------------------------------------------------------------------------------------

PATIENT_PAGES = ["peersupport:groups", "peersupport:pseudonym", "peersupport:guidelines"]


@pytest.mark.parametrize("name", [*PATIENT_PAGES, "peersupport:my_posts"])
def test_each_page_renders_for_a_patient_new_to_the_groups(client, name):
    client.force_login(PatientFactory())
    response = client.get(reverse(name))
    assert response.status_code == HTTPStatus.OK
    assert "Get help now" in content(response)


def test_the_pages_of_a_group_render_for_a_member(me_client, me, group):
    thread = published(me, group)
    other = member_of(group)
    theirs = published(other, group)
    for url in [
        reverse("peersupport:groups"),
        reverse("peersupport:my_posts"),
        reverse("peersupport:group", args=[group.slug]),
        reverse("peersupport:post_create", args=[group.slug]),
        reverse("peersupport:thread", args=[group.slug, thread.pk]),
        reverse("peersupport:report", args=[group.slug, theirs.pk]),
    ]:
        assert me_client.get(url).status_code == HTTPStatus.OK, url


def _all_urls(group, post):
    return [
        ("get", reverse("peersupport:groups")),
        ("get", reverse("peersupport:pseudonym")),
        ("get", reverse("peersupport:guidelines")),
        ("get", reverse("peersupport:my_posts")),
        ("post", reverse("peersupport:post_check")),
        ("get", reverse("peersupport:group", args=[group.slug])),
        ("post", reverse("peersupport:group_join", args=[group.slug])),
        ("post", reverse("peersupport:group_leave", args=[group.slug])),
        ("get", reverse("peersupport:post_create", args=[group.slug])),
        ("get", reverse("peersupport:thread", args=[group.slug, post.pk])),
        ("post", reverse("peersupport:reply_create", args=[group.slug, post.pk])),
        ("post", reverse("peersupport:react", args=[group.slug, post.pk])),
        ("get", reverse("peersupport:report", args=[group.slug, post.pk])),
    ]


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
def test_staff_roles_get_403_everywhere(client, factory, group, me):
    post = published(me, group)
    user = factory()
    if factory is PeerFactory:
        group.moderators.add(user)  # even the group's own peer specialist: theirs is moderation
    client.force_login(user)
    for method, url in _all_urls(group, post):
        response = getattr(client, method)(url, {"body": "hello", "kind": "heart"})
        assert response.status_code == HTTPStatus.FORBIDDEN, url
    assert Reaction.objects.count() == 0
    assert Post.objects.count() == 4


def test_anonymous_visitors_are_sent_to_log_in(client, group, me):
    post = published(me, group)
    for method, url in _all_urls(group, post):
        response = getattr(client, method)(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response.url.startswith(reverse("account_login")), url


def test_a_group_the_patient_is_not_in_is_a_404_even_when_open(client, group, other_group):
    outsider = member_of(other_group)
    thread = published(member_of(group), group)
    client.force_login(outsider)

    for url in [
        reverse("peersupport:group", args=[group.slug]),
        reverse("peersupport:post_create", args=[group.slug]),
        reverse("peersupport:thread", args=[group.slug, thread.pk]),
        reverse("peersupport:report", args=[group.slug, thread.pk]),
        reverse("peersupport:group", args=["no-such-group"]),
    ]:
        assert client.get(url).status_code == HTTPStatus.NOT_FOUND, url
    for url in [
        reverse("peersupport:post_create", args=[group.slug]),
        reverse("peersupport:reply_create", args=[group.slug, thread.pk]),
        reverse("peersupport:react", args=[group.slug, thread.pk]),
        reverse("peersupport:report", args=[group.slug, thread.pk]),
    ]:
        response = client.post(url, {"body": ORDINARY, "kind": "heart", "reason": "unkind"})
        assert response.status_code == HTTPStatus.NOT_FOUND, url
    assert Post.objects.filter(author=outsider, group=group).count() == 0
    assert not Reaction.objects.exists()
    assert not Report.objects.exists()


def test_a_former_member_no_longer_sees_the_group(me_client, me, group):
    services.group_leave(user=me, group=group)
    assert me_client.get(reverse("peersupport:group", args=[group.slug])).status_code == 404


def test_a_post_of_another_group_is_a_404_under_this_groups_address(
    me_client, me, group, other_group
):
    theirs = published(member_of(other_group), other_group)
    services.group_join(user=me, group=other_group)  # in both: still not under this address

    urls = [
        ("get", reverse("peersupport:thread", args=[group.slug, theirs.pk])),
        ("get", reverse("peersupport:report", args=[group.slug, theirs.pk])),
        ("post", reverse("peersupport:react", args=[group.slug, theirs.pk])),
        ("post", reverse("peersupport:reply_create", args=[group.slug, theirs.pk])),
        ("post", reverse("peersupport:report", args=[group.slug, theirs.pk])),
    ]
    for method, url in urls:
        response = getattr(me_client, method)(
            url, {"kind": "heart", "reason": "unkind", "body": ORDINARY}
        )
        assert response.status_code == HTTPStatus.NOT_FOUND, url
    assert not Reaction.objects.exists()
    assert not Report.objects.exists()
    assert not Post.objects.filter(parent=theirs).exists()


def test_another_members_held_post_is_a_404_and_not_listed(me_client, group):
    other = member_of(group)
    held = services.post_create(author=other, group=group, body=PHONE).post
    assert held.status == Post.Status.HELD

    for method, url in [
        ("get", reverse("peersupport:thread", args=[group.slug, held.pk])),
        ("get", reverse("peersupport:report", args=[group.slug, held.pk])),
        ("post", reverse("peersupport:react", args=[group.slug, held.pk])),
        ("post", reverse("peersupport:report", args=[group.slug, held.pk])),
        ("post", reverse("peersupport:reply_create", args=[group.slug, held.pk])),
    ]:
        response = getattr(me_client, method)(
            url, {"kind": "heart", "reason": "unkind", "body": ORDINARY}
        )
        assert response.status_code == HTTPStatus.NOT_FOUND, url
    page = content(me_client.get(reverse("peersupport:group", args=[group.slug])))
    assert "07911" not in page
    assert f"post-{held.pk}" not in page


# --- The groups page, a group name, the guidelines ------------------------------------------------


def test_the_groups_page_asks_for_a_name_and_the_guidelines_before_any_join_button(client, group):
    client.force_login(PatientFactory())

    page = content(client.get(reverse("peersupport:groups")))

    assert "Two steps before you join" in page
    assert reverse("peersupport:pseudonym") in page
    assert reverse("peersupport:guidelines") in page
    assert "For the first weeks at home after hospital." in page
    assert reverse("peersupport:group_join", args=[group.slug]) not in page


def test_the_groups_page_shows_my_groups_the_open_ones_with_counts_and_links(client, group):
    mine = member_of(group)
    member_of(group)
    closed = make_group(slug="closed", name="Closed group", is_open=False)
    open_one = make_group(slug="vaping", name="Vaping as a route out")
    client.force_login(mine)

    page = content(client.get(reverse("peersupport:groups")))

    assert "You are ready to join groups" in page
    assert PeerMember.objects.get(user=mine).pseudonym in page
    assert reverse("peersupport:group", args=[group.slug]) in page
    assert "2 members" in page
    assert reverse("peersupport:group_join", args=[open_one.slug]) in page
    assert reverse("peersupport:group_join", args=[group.slug]) not in page
    assert closed.name not in page
    assert reverse("peersupport:my_posts") in page
    assert reverse("peersupport:messages") in page


def test_a_patient_chooses_a_group_name_and_goes_on_to_the_guidelines(client):
    patient = PatientFactory(full_name="Robin Example")
    client.force_login(patient)

    page = content(client.get(reverse("peersupport:pseudonym")))
    assert "Quiet Fox" in page  # examples
    assert "real name" in page

    response = client.post(reverse("peersupport:pseudonym"), {"pseudonym": "  Quiet   Fox "})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("peersupport:guidelines")
    assert PeerMember.objects.get(user=patient).pseudonym == "Quiet Fox"


@pytest.mark.parametrize(
    ("pseudonym", "message"),
    [
        ("Robin Example", "looks like your real name"),
        ("Sarah Jones", "looks like a person"),
        ("quietfox@example.com", "email address"),
        ("", "Choose a name first."),
        ("07911 123456", "phone number"),
    ],
)
def test_a_group_name_that_could_identify_someone_is_refused_and_nothing_changes(
    client, pseudonym, message
):
    patient = PatientFactory(full_name="Robin Example")
    services.peer_member_set_pseudonym(user=patient, pseudonym="Blue Kettle")
    client.force_login(patient)

    response = client.post(reverse("peersupport:pseudonym"), {"pseudonym": pseudonym})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in html.unescape(content(response))
    assert 'class="error"' in content(response)  # next to the field
    assert PeerMember.objects.get(user=patient).pseudonym == "Blue Kettle"


def test_a_name_somebody_else_has_is_refused(client):
    # A fixed name: a random one ("Shaun Fox-Price") could share a word with the group name.
    first = PatientFactory(full_name="Sam Example")
    services.peer_member_set_pseudonym(user=first, pseudonym="Quiet Fox")
    patient = PatientFactory(full_name="Robin Example")
    client.force_login(patient)

    response = client.post(reverse("peersupport:pseudonym"), {"pseudonym": "quiet fox"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "already goes by that name" in content(response)
    assert not PeerMember.objects.filter(user=patient).exists()


def test_the_guidelines_say_what_happens_to_posts_and_that_this_is_not_an_emergency_service(
    client, settings
):
    settings.PEERSUPPORT_PREMODERATED_POSTS = 3
    client.force_login(ready())

    page = html.unescape(content(client.get(reverse("peersupport:guidelines"))))

    for words in [
        "Be kind",
        "phone numbers",
        "No medical advice",
        "care team",
        "your first 3 posts are read by a peer specialist",
        "Report",
        "not an emergency service",
        reverse("safety:crisis"),
    ]:
        assert words in page, words


def test_agreeing_to_the_guidelines_goes_back_to_a_safe_next_page(client, group):
    patient = PatientFactory(full_name="Robin Example")
    services.peer_member_set_pseudonym(user=patient, pseudonym="Quiet Fox")
    client.force_login(patient)
    page = content(client.get(reverse("peersupport:guidelines")))
    assert f'value="{services.GUIDELINES_VERSION}"' in page

    target = reverse("peersupport:group_join", args=[group.slug])
    response = client.post(
        reverse("peersupport:guidelines"),
        {"version": services.GUIDELINES_VERSION, "next": reverse("peersupport:groups") + "?x=1"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("peersupport:groups") + "?x=1"
    assert PeerMember.objects.get(user=patient).guidelines_version == (services.GUIDELINES_VERSION)
    assert target not in response.url


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_an_outside_next_page_is_ignored(client, next_url):
    patient = PatientFactory(full_name="Robin Example")
    services.peer_member_set_pseudonym(user=patient, pseudonym="Quiet Fox")
    client.force_login(patient)

    response = client.post(
        reverse("peersupport:guidelines"),
        {"version": services.GUIDELINES_VERSION, "next": next_url},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("peersupport:groups")


def test_guidelines_of_an_old_version_are_refused_with_the_current_one_offered(client):
    patient = PatientFactory(full_name="Robin Example")
    services.peer_member_set_pseudonym(user=patient, pseudonym="Quiet Fox")
    client.force_login(patient)

    response = client.post(reverse("peersupport:guidelines"), {"version": "2020-01"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "These guidelines have changed: read them again." in content(response)
    assert f'value="{services.GUIDELINES_VERSION}"' in content(response)
    assert PeerMember.objects.get(user=patient).guidelines_version == ""


def test_the_guidelines_need_a_group_name_first(client):
    client.force_login(PatientFactory())
    page = content(client.get(reverse("peersupport:guidelines")))
    assert "Choose my group name" in page

    response = client.post(
        reverse("peersupport:guidelines"), {"version": services.GUIDELINES_VERSION}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose the name you will go by in groups first." in content(response)
    assert not PeerMember.objects.exists()


# --- Joining and leaving --------------------------------------------------------------------------


def test_a_ready_patient_joins_and_is_welcomed_in_the_group(client, group):
    patient = ready()
    client.force_login(patient)

    response = client.post(reverse("peersupport:group_join", args=[group.slug]), follow=True)

    assert response.redirect_chain == [(reverse("peersupport:group", args=[group.slug]), 302)]
    assert Membership.objects.filter(group=group, member=patient, left_at=None).exists()
    assert any(f"Welcome to {group.name}" in m for m in messages_of(response))


def test_joining_before_the_guidelines_says_why_and_joins_nothing(client, group):
    patient = PatientFactory(full_name="Robin Example")
    services.peer_member_set_pseudonym(user=patient, pseudonym="Quiet Fox")
    client.force_login(patient)

    response = client.post(reverse("peersupport:group_join", args=[group.slug]), follow=True)

    assert response.redirect_chain == [(reverse("peersupport:groups"), 302)]
    assert "Read and accept the group guidelines first." in messages_of(response)
    assert not Membership.objects.exists()


def test_joining_a_closed_group_or_after_removal_says_why(client, group):
    patient = ready()
    closed = make_group(slug="closed", name="Closed", is_open=False)
    Membership.objects.create(
        group=group, member=patient, left_at=timezone.now(), removed_by=moderator_of(group)
    )
    client.force_login(patient)

    closed_response = client.post(
        reverse("peersupport:group_join", args=[closed.slug]), follow=True
    )
    removed_response = client.post(
        reverse("peersupport:group_join", args=[group.slug]), follow=True
    )

    assert "This group is not taking new members." in messages_of(closed_response)
    assert any("removed you from this group" in m for m in messages_of(removed_response))
    assert not Membership.objects.filter(left_at=None).exists()
    assert client.post(reverse("peersupport:group_join", args=["nope"])).status_code == 404


def test_joining_and_leaving_are_post_only(me_client, group):
    for name in ("peersupport:group_join", "peersupport:group_leave"):
        response = me_client.get(reverse(name, args=[group.slug]))
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_a_member_leaves_a_group(me_client, me, group):
    response = me_client.post(reverse("peersupport:group_leave", args=[group.slug]), follow=True)

    assert response.redirect_chain == [(reverse("peersupport:groups"), 302)]
    assert any("You have left" in m for m in messages_of(response))
    assert not Membership.objects.filter(member=me, left_at=None).exists()
    again = me_client.post(reverse("peersupport:group_leave", args=[group.slug]), follow=True)
    assert "You are not in this group." in messages_of(again)


# --- A group page ---------------------------------------------------------------------------------


def test_the_group_page_starts_with_the_welcome_then_labels_each_conversation(me_client, me, group):
    peer = moderator_of(group)
    clinician = ClinicianFactory(full_name="Dr Ada Okafor")
    services.staff_post_create(
        author=peer, group=group, body="Welcome! Say hello.", kind=Post.Kind.WELCOME
    )
    services.staff_post_create(
        author=peer,
        group=group,
        body="Meet-up on Friday.",
        kind=Post.Kind.ANNOUNCEMENT,
        pinned=True,
    )
    programme = services.staff_post_create(
        author=peer,
        group=group,
        body="Nicotine patches double your chances.",
        kind=Post.Kind.PROGRAMME,
        approved_by=clinician,
        approved_on=date(2026, 10, 1),
    )
    locked = published(member_of(group), group, body="A closed one")
    Post.objects.filter(pk=locked.pk).update(is_locked=True)
    mine_held = services.post_create(author=me, group=group, body=PHONE).post
    assert mine_held.status == Post.Status.HELD

    page = html.unescape(content(me_client.get(reverse("peersupport:group", args=[group.slug]))))

    assert page.index("Start here") < page.index("Meet-up on Friday.")
    assert "Sam</strong>, Peer support specialist" in page
    assert "From the Exhale programme" in page
    assert "Approved by Dr Ada Okafor on 1 October 2026" in page
    for badge in ["Pinned", "Announcement", "Closed to replies", "Waiting for a peer specialist"]:
        assert badge in page, badge
    assert "shares a phone number" in page
    assert "personal_info.phone" not in page  # the rule's id is for moderators
    assert reverse("peersupport:thread", args=[group.slug, programme.pk]) in page
    assert 'hx-post="' + reverse("peersupport:post_check") + '"' in page
    assert 'aria-live="polite"' in page
    assert "community guidelines" in page


def test_the_group_page_counts_replies_and_pages_by_twenty(me_client, me, group):
    author = member_of(group)
    first = published(author, group, body="The very first")
    for n in range(2):
        published(me, group, body=f"reply {n}", parent=first)
    for n in range(24):
        published(author, group, body=f"Thread {n}")

    page_1 = content(me_client.get(reverse("peersupport:group", args=[group.slug])))
    page_2 = content(me_client.get(reverse("peersupport:group", args=[group.slug]) + "?page=2"))

    # 24 + 1, and the 3 earlier posts of each member: 31 conversations, newest first.
    assert page_1.count('<li class="thread-summary') == 20
    assert "Page 1 of 2" in page_1
    assert "Thread 23" in page_1
    assert page_2.count('<li class="thread-summary') == 11
    assert "The very first" in page_2
    assert "2 replies" in page_2
    assert "0 replies" in page_2
    assert "Start here" not in page_2


def test_a_muted_member_sees_until_when_instead_of_the_form(me_client, me, group):
    until = timezone.now() + timedelta(days=3)
    Membership.objects.filter(member=me, group=group).update(muted_until=until)

    page = content(me_client.get(reverse("peersupport:group", args=[group.slug])))

    assert "paused your posting until" in page
    assert timezone.localtime(until).strftime("%-d %B") in page
    assert 'name="body"' not in page


# --- Posting --------------------------------------------------------------------------------------


def _new(client, group, body):
    return client.post(reverse("peersupport:post_create", args=[group.slug]), {"body": body})


def test_a_settled_member_posts_and_sees_it_in_the_thread(me_client, me, group):
    response = _new(me_client, group, ORDINARY)

    post = Post.objects.filter(author=me).latest("pk")
    assert post.body == ORDINARY
    assert post.status == Post.Status.PUBLISHED
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("peersupport:thread", args=[group.slug, post.pk])
    followed = me_client.get(response.url)
    assert "Posted." in messages_of(followed)
    assert ORDINARY in content(followed)


def test_a_post_with_a_phone_number_waits_with_the_reason_and_only_its_author_sees_it(
    me_client, me, group, client
):
    response = _new(me_client, group, PHONE)

    post = Post.objects.get(author=me, parent=None, status=Post.Status.HELD)
    assert response.url == reverse("peersupport:thread", args=[group.slug, post.pk])
    followed = me_client.get(response.url)
    message = messages_of(followed)[0]
    assert message.startswith(
        "Thanks. Your post is waiting for a peer specialist to read it; only you can see it "
        "until then."
    )
    assert "shares a phone number" in message
    page = html.unescape(content(followed))
    assert "Waiting for a peer specialist — only you can see this" in page
    assert f'id="post-{post.pk}"' in page
    assert "Write a reply" in page
    assert 'name="body"' not in page  # nobody replies to a post still waiting

    client.force_login(member_of(group))
    assert client.get(response.url).status_code == HTTPStatus.NOT_FOUND


def test_a_new_members_first_posts_wait_for_a_peer_specialist(client, group, settings):
    settings.PEERSUPPORT_PREMODERATED_POSTS = 3
    newcomer = member_of(group, settled=False)
    client.force_login(newcomer)

    for n in range(3):
        _new(client, group, f"{ORDINARY} ({n})")

    posts = Post.objects.filter(author=newcomer)
    assert [p.status for p in posts] == [Post.Status.HELD] * 3
    assert {p.held_reason for p in posts} == {services.NEW_MEMBER_REASON}
    page = content(client.get(reverse("peersupport:my_posts")))
    assert services.NEW_MEMBER_REASON.replace("'", "&#x27;") in page

    Post.objects.filter(author=newcomer).update(
        status=Post.Status.PUBLISHED, published_at=timezone.now()
    )
    _new(client, group, "Now I am settled in")
    latest = Post.objects.filter(author=newcomer).latest("pk")
    assert (latest.body, latest.status) == ("Now I am settled in", Post.Status.PUBLISHED)


def test_a_crisis_post_takes_the_author_to_crisis_support_and_raises_a_flag(me_client, me, group):
    response = _new(me_client, group, CRISIS)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("safety:crisis_support")
    post = Post.objects.get(author=me, parent=None, status=Post.Status.HELD)
    assert Flag.objects.filter(patient=me, category=Flag.Category.CRISIS).exists()
    assert post.flag_ref
    assert me_client.get(response.url).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something first."),
        ("   \n  ", "Write something first."),
        ("x" * 20_000, "Keep it under 5,000 characters (20,000 now)."),
    ],
)
def test_an_empty_or_too_long_post_is_refused_and_nothing_is_written(
    me_client, me, group, body, message
):
    before = Post.objects.count()

    response = _new(me_client, group, body)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in content(response)
    assert "Nothing has been posted yet" in content(response)
    assert Post.objects.count() == before


def test_the_post_page_alone_works_without_javascript(me_client, group):
    page = content(me_client.get(reverse("peersupport:post_create", args=[group.slug])))
    assert f'action="{reverse("peersupport:post_create", args=[group.slug])}"' in page
    assert f'maxlength="{services.MAX_POST_CHARS}"' in page
    assert "Start a conversation" in page


def test_a_muted_member_cannot_post_or_reply_and_nothing_is_written(me_client, me, group):
    thread = published(member_of(group), group)
    Membership.objects.filter(member=me).update(muted_until=timezone.now() + timedelta(days=1))
    before = Post.objects.count()

    new = _new(me_client, group, ORDINARY)
    reply = me_client.post(
        reverse("peersupport:reply_create", args=[group.slug, thread.pk]), {"body": ORDINARY}
    )

    for response in (new, reply):
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "paused your posting until" in content(response)
    assert Post.objects.count() == before


def test_html_and_script_in_a_post_are_shown_as_text(me_client, me, group):
    body = '<script>alert("hi")</script> <b>bold</b> <img src=x onerror=alert(1)>'
    thread = published(member_of(group), group, body=body)
    published(member_of(group), group, body=body, parent=thread)

    for url in [
        reverse("peersupport:group", args=[group.slug]),
        reverse("peersupport:thread", args=[group.slug, thread.pk]),
        reverse("peersupport:report", args=[group.slug, thread.pk]),
    ]:
        page = content(me_client.get(url))
        assert "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;" in page, url
        assert '<script>alert("hi")</script>' not in page, url
        assert "<b>bold</b>" not in page, url
        assert "<img src=x" not in page, url


# --- A conversation -------------------------------------------------------------------------------


def test_a_thread_marks_only_what_the_reader_reported(me_client, me, group):
    other = member_of(group)
    thread = published(member_of(group), group, body="Anyone up?")
    reply = published(member_of(group), group, body="Me too.", parent=thread)
    Report.objects.create(post=thread, reporter=me, reason="unkind")
    Report.objects.create(post=reply, reporter=other, reason="unkind")
    url = reverse("peersupport:thread", args=[group.slug, thread.pk])

    page = content(me_client.get(url))

    assert page.count(">Reported<") == 1  # the opening post, which this reader reported
    assert reverse("peersupport:report", args=[group.slug, thread.pk]) not in page
    assert reverse("peersupport:report", args=[group.slug, reply.pk]) in page  # another's report


def test_a_thread_shows_replies_reactions_and_report_links(me_client, me, group):
    peer = moderator_of(group)
    author = member_of(group)
    thread = published(author, group, body="How do you get through the evenings?")
    mine = published(me, group, body="Tea and a walk.", parent=thread)
    theirs = published(member_of(group), group, body="Chewing gum!", parent=thread)
    staff = services.staff_post_create(author=peer, group=group, body="Great ideas.", parent=thread)
    Reaction.objects.create(post=thread, member=me, kind="heart")
    Reaction.objects.create(post=thread, member=author, kind="heart")
    Report.objects.create(post=theirs, reporter=me, reason="unkind")

    page = content(me_client.get(reverse("peersupport:thread", args=[group.slug, thread.pk])))

    for post in (thread, mine, theirs, staff):
        assert f'id="post-{post.pk}"' in page
    assert page.index("How do you get") < page.index("Tea and a walk.") < page.index("Chewing")
    heart = page[page.index(f'id="react-{thread.pk}-heart"') :]
    assert 'aria-pressed="true"' in heart[:200]
    assert '<span class="reaction__count">2</span>' in heart[:300]
    assert f'id="react-{thread.pk}-hug"' in page
    assert reverse("peersupport:report", args=[group.slug, thread.pk]) in page
    assert reverse("peersupport:report", args=[group.slug, mine.pk]) not in page  # own
    assert reverse("peersupport:report", args=[group.slug, theirs.pk]) not in page  # done
    assert ">Reported<" in page
    assert "Sam</strong>, Peer support specialist" in page
    assert (
        'action="{}"'.format(reverse("peersupport:reply_create", args=[group.slug, thread.pk]))
        in page
    )


def test_a_member_replies_and_lands_on_their_reply(me_client, me, group):
    thread = published(member_of(group), group)

    response = me_client.post(
        reverse("peersupport:reply_create", args=[group.slug, thread.pk]),
        {"body": "You are doing well."},
    )

    reply = Post.objects.get(parent=thread, author=me)
    assert reply.status == Post.Status.PUBLISHED
    # On the last page of replies, where the newest one is.
    assert response.url == (
        reverse("peersupport:thread", args=[group.slug, thread.pk]) + f"?page=last#post-{reply.pk}"
    )
    thread.refresh_from_db()
    assert thread.first_reply_at is not None


def test_a_held_reply_and_a_crisis_reply_are_handled_like_posts(me_client, me, group):
    thread = published(member_of(group), group)
    url = reverse("peersupport:reply_create", args=[group.slug, thread.pk])

    held = me_client.post(url, {"body": PHONE}, follow=True)
    crisis = me_client.post(url, {"body": CRISIS})

    assert "Why: Personal information: shares a phone number" in messages_of(held)[0]
    assert "only you can see this" in content(held)
    assert crisis.url == reverse("safety:crisis_support")
    assert Flag.objects.filter(patient=me).exists()
    assert Post.objects.filter(parent=thread, status=Post.Status.HELD).count() == 2


def test_a_locked_conversation_takes_no_replies(me_client, me, group):
    thread = published(member_of(group), group)
    peer = moderator_of(group)
    services.thread_lock(post=thread, by=peer, locked=True)

    page = content(me_client.get(reverse("peersupport:thread", args=[group.slug, thread.pk])))
    response = me_client.post(
        reverse("peersupport:reply_create", args=[group.slug, thread.pk]), {"body": ORDINARY}
    )

    assert "A peer specialist has closed this conversation to new replies" in page
    assert 'name="body"' not in page
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "closed this conversation" in content(response)
    assert not Post.objects.filter(parent=thread).exists()


def test_replying_is_post_only(me_client, group):
    thread = published(member_of(group), group)
    url = reverse("peersupport:reply_create", args=[group.slug, thread.pk])
    assert me_client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- Reactions ------------------------------------------------------------------------------------


def _react(client, group, post, kind="heart", **extra):
    return client.post(
        reverse("peersupport:react", args=[group.slug, post.pk]), {"kind": kind, **extra}
    )


def test_a_member_reacts_and_takes_it_back(me_client, me, group):
    post = published(member_of(group), group)

    response = _react(me_client, group, post)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("peersupport:thread", args=[group.slug, post.pk])
    assert Reaction.objects.filter(post=post, member=me, kind="heart").exists()

    _react(me_client, group, post, remove="1")
    assert not Reaction.objects.exists()


def test_the_posts_one_form_gives_or_takes_back_the_kind_of_the_button_pressed(
    me_client, me, group
):
    post = published(member_of(group), group)
    url = reverse("peersupport:react", args=[group.slug, post.pk])
    thread = reverse("peersupport:thread", args=[group.slug, post.pk])

    me_client.post(url, {"kind": "heart"})
    me_client.post(url, {"kind": "hug"})
    page = content(me_client.get(thread))
    form = page[page.index(f'id="reactions-{post.pk}"') :]
    form = form[: form.index("</form>")]
    assert form.count("<form") == 0  # one form for the four kinds
    assert form.count("csrfmiddlewaretoken") == 1
    # Given: its button takes it back; not given: its button gives it.
    assert _buttons(form) == [
        ("remove", "heart"),
        ("kind", "strong"),
        ("kind", "clap"),
        ("remove", "hug"),
    ]

    response = me_client.post(url, {"remove": "heart"})  # the "heart" button, pressed again

    assert response.status_code == HTTPStatus.FOUND
    assert set(Reaction.objects.filter(post=post, member=me).values_list("kind", flat=True)) == {
        "hug"
    }
    unknown = me_client.post(url, {"remove": "dislike"}, follow=True)
    assert Reaction.objects.filter(post=post, member=me).count() == 1
    assert "You have not reacted like this." in messages_of(unknown)


def _buttons(form: str) -> list[tuple[str, str]]:
    """(name, value) of each reaction button, in order."""
    return re.findall(r'<button type="submit"\s+name="(\w+)"\s+value="(\w+)"', form)


def test_reacting_twice_or_with_an_unknown_kind_changes_nothing_and_says_why(me_client, me, group):
    post = published(member_of(group), group)
    _react(me_client, group, post)

    twice = me_client.post(
        reverse("peersupport:react", args=[group.slug, post.pk]), {"kind": "heart"}, follow=True
    )
    dislike = me_client.post(
        reverse("peersupport:react", args=[group.slug, post.pk]),
        {"kind": "dislike"},
        follow=True,
    )

    assert "You have already reacted like this." in messages_of(twice)
    assert "Choose one of the reactions shown." in messages_of(dislike)
    assert Reaction.objects.count() == 1


def test_with_htmx_reacting_sends_back_only_the_reactions(me_client, me, group):
    post = published(member_of(group), group)

    response = me_client.post(
        reverse("peersupport:react", args=[group.slug, post.pk]),
        {"kind": "strong"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == HTTPStatus.OK
    part = content(response)
    assert "<html" not in part
    assert f'id="reactions-{post.pk}"' in part
    strong = part[part.index(f'id="react-{post.pk}-strong"') :]
    assert 'aria-pressed="true"' in strong[:200]
    assert _buttons(part)[1] == ("remove", "strong")  # its button now takes it back

    again = me_client.post(
        reverse("peersupport:react", args=[group.slug, post.pk]),
        {"kind": "strong"},
        headers={"HX-Request": "true"},
    )
    assert "You have already reacted like this." in content(again)
    assert Reaction.objects.filter(post=post, member=me).count() == 1


def test_reacting_is_post_only(me_client, group):
    post = published(member_of(group), group)
    response = me_client.get(reverse("peersupport:react", args=[group.slug, post.pk]))
    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- Reports --------------------------------------------------------------------------------------


def test_the_report_page_explains_worried_reports_and_999(me_client, group):
    post = published(member_of(group), group)

    page = html.unescape(
        content(me_client.get(reverse("peersupport:report", args=[group.slug, post.pk])))
    )

    for reason in Report.Reason.labels:
        assert reason in page
    assert "may tell that person's care team" in page
    assert "immediate danger, call" in page
    assert 'href="tel:999"' in page


def test_a_member_reports_a_post_once(me_client, me, group):
    post = published(member_of(group), group)
    url = reverse("peersupport:report", args=[group.slug, post.pk])

    response = me_client.post(url, {"reason": "worried", "note": "They sound low."})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("peersupport:thread", args=[group.slug, post.pk])
    assert "Thank you. A peer specialist will look at it." in messages_of(
        me_client.get(response.url)
    )
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.note) == (me, "worried", "They sound low.")

    twice = me_client.post(url, {"reason": "unkind"})
    assert twice.status_code == HTTPStatus.BAD_REQUEST
    assert "You have already reported this post." in content(twice)
    assert Report.objects.count() == 1


def test_reporting_ones_own_post_or_without_a_reason_is_refused(me_client, me, group):
    own = published(me, group)
    other = published(member_of(group), group)

    own_response = me_client.post(
        reverse("peersupport:report", args=[group.slug, own.pk]), {"reason": "unkind"}
    )
    no_reason = me_client.post(reverse("peersupport:report", args=[group.slug, other.pk]), {})
    too_long = me_client.post(
        reverse("peersupport:report", args=[group.slug, other.pk]),
        {"reason": "other", "note": "x" * 1_001},
    )

    assert own_response.status_code == HTTPStatus.BAD_REQUEST
    assert "This is your own post." in content(own_response)
    assert no_reason.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose why you are reporting this post." in content(no_reason)
    assert too_long.status_code == HTTPStatus.BAD_REQUEST
    assert "Keep the note under 1,000 characters." in content(too_long)
    assert not Report.objects.exists()


# --- The live check -------------------------------------------------------------------------------


def _check(client, text=None, **extra):
    data = {} if text is None else {"body": text}
    return client.post(reverse("peersupport:post_check"), data, headers={"HX-Request": "true"})


def test_the_live_check_warns_about_personal_details_and_saves_nothing(me_client, group):
    before = Post.objects.count()

    response = _check(me_client, PHONE)

    assert response.status_code == HTTPStatus.OK
    part = content(response)
    assert "<html" not in part
    assert "This looks like it includes personal details (shares a phone number)." in part
    assert "Consider taking them out." in part
    assert Post.objects.count() == before


def test_the_live_check_offers_help_for_crisis_language(me_client, group):
    before = Post.objects.count()
    part = html.unescape(content(_check(me_client, CRISIS)))

    assert "It sounds like things are really hard right now." in part
    assert f'href="{reverse("safety:crisis")}"' in part
    assert "Your post will still be read by a peer specialist." in part
    assert not Flag.objects.exists()
    assert Post.objects.count() == before


def test_the_live_check_says_nothing_about_ordinary_text(me_client):
    assert content(_check(me_client, ORDINARY)).strip() == ""
    assert content(_check(me_client, "")).strip() == ""


def test_the_live_check_reads_only_the_first_10000_characters(me_client):
    assert content(_check(me_client, "a " * 5_000 + PHONE)).strip() == ""
    assert "personal details" in content(_check(me_client, PHONE + " a" * 10_000))


def test_the_live_check_needs_text_sent_by_post(me_client):
    assert me_client.get(reverse("peersupport:post_check")).status_code == 400
    assert _check(me_client).status_code == HTTPStatus.BAD_REQUEST


# --- My posts -------------------------------------------------------------------------------------


def test_my_posts_says_what_happened_to_each_post_and_why(me_client, me, group):
    peer = moderator_of(group)
    shared = published(me, group, body="A shared one")
    rejected = services.post_create(author=me, group=group, body=PHONE).post
    services.post_reject(
        post=rejected, by=peer, message="We could not share this because it has a phone number."
    )
    waiting = services.post_create(author=me, group=group, body="Email me at me@example.com").post
    removed = published(me, group, body="A removed one")
    services.post_remove(post=removed, by=peer, message="This could upset people.")
    edited = services.post_create(author=me, group=group, body="Ring 07911 123456 any time").post
    services.post_edit_out(post=edited, by=peer, body="Ring me any time", publish=True)

    page = html.unescape(content(me_client.get(reverse("peersupport:my_posts"))))

    assert "Not published" in page
    assert "We could not share this because it has a phone number." in page
    assert "Waiting for a peer specialist" in page
    assert "shares an email address" in page
    assert "Removed by a peer specialist" in page
    assert "This could upset people." in page
    assert "Edited by a peer specialist" in page
    assert "A peer specialist took some personal details out of your post" in page
    assert "Shared" in page
    assert shared.get_absolute_url() in page
    assert waiting.get_absolute_url() not in page


def test_my_posts_are_paged(me_client, me, group):
    for n in range(25):
        published(me, group, body=f"post {n}")
    page_2 = content(me_client.get(reverse("peersupport:my_posts") + "?page=2"))
    assert page_2.count('<li class="card">') == 25 + 3 - 20
    assert "Page 2 of 2" in page_2


# --- Query budgets --------------------------------------------------------------------------------

# Measured: the session, the user, the membership, the page's count and its conversations, the
# welcome post, the header's notice badge (7); a thread reads the thread, its posts, the
# reactions and the reader's reports instead of the count and welcome (8). One spare each for
# the header, which other pages share.
GROUP_PAGE_BUDGET = 8
THREAD_PAGE_BUDGET = 9


def _fill_group(group, threads: int):
    """`threads` conversations by several members, each with a reply and reactions, one held
    post of the reader's, and staff posts."""
    reader = member_of(group)
    peer = moderator_of(group)
    services.staff_post_create(author=peer, group=group, body="Welcome", kind=Post.Kind.WELCOME)
    authors = [member_of(group) for _ in range(3)]
    for n in range(threads):
        thread = published(authors[n % 3], group, body=f"Thread {n}")
        published(authors[(n + 1) % 3], group, body=f"Reply {n}", parent=thread)
        Reaction.objects.create(post=thread, member=authors[(n + 2) % 3], kind="heart")
    services.staff_post_create(
        author=peer, group=group, body="News", kind=Post.Kind.ANNOUNCEMENT, pinned=True
    )
    services.post_create(author=reader, group=group, body=PHONE)
    return reader


def _fill_thread(group, replies: int):
    reader = member_of(group)
    peer = moderator_of(group)
    others = [member_of(group) for _ in range(3)]
    thread = published(others[0], group, body="Opening")
    for n in range(replies):
        reply = published(others[n % 3], group, body=f"Reply {n}", parent=thread)
        Reaction.objects.create(post=reply, member=others[(n + 1) % 3], kind="clap")
        Reaction.objects.create(post=reply, member=reader, kind="heart")
        if n % 2:
            Report.objects.create(post=reply, reporter=reader, reason="other")
    services.staff_post_create(author=peer, group=group, body="Staff reply", parent=thread)
    services.post_create(author=reader, group=group, body=PHONE, parent=thread)
    return reader, thread


def _count_queries(client, url: str) -> int:
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(queries)


def test_the_group_page_query_count_does_not_grow_with_conversations(
    client, django_assert_max_num_queries
):
    counts = []
    for n, size in enumerate((3, 30)):
        group = make_group(slug=f"group-{n}", name=f"Group {n}")
        client.force_login(_fill_group(group, size))
        url = reverse("peersupport:group", args=[group.slug])
        counts.append(_count_queries(client, url))
        with django_assert_max_num_queries(GROUP_PAGE_BUDGET):
            client.get(url)
    assert counts[0] == counts[1], counts


def test_the_thread_page_query_count_does_not_grow_with_replies(
    client, django_assert_max_num_queries
):
    counts = []
    for n, size in enumerate((3, 30)):
        group = make_group(slug=f"group-{n}", name=f"Group {n}")
        reader, thread = _fill_thread(group, size)
        client.force_login(reader)
        url = reverse("peersupport:thread", args=[group.slug, thread.pk])
        counts.append(_count_queries(client, url))
        with django_assert_max_num_queries(THREAD_PAGE_BUDGET):
            client.get(url)
    assert counts[0] == counts[1], counts
