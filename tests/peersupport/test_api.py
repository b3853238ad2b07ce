"""The peer groups' API for members: the same screening and permissions as the pages, the one
error shape, nothing written on bad input, other people by their group name only, and constant
query counts. (Moderation and the peer specialist's inbox: test_api_moderation.py.)"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport import services
from peersupport.models import (
    CRISIS_REASON_FOR_AUTHOR,
    Conversation,
    Membership,
    PeerGroup,
    PeerMember,
    PeerMessage,
    Post,
    Reaction,
    Report,
)
from safety.models import Flag
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.peersupport.helpers import a_group

pytestmark = pytest.mark.django_db

JSON = "application/json"
# Real names no member may ever read in the API: one surname per member, checked in raw JSON.
SURNAMES = itertools.cycle(["Quillfeather", "Ashdown", "Pemberley", "Oakhurst", "Thistlewood"])
_numbers = itertools.count(1)

PHONE_POST = "Text me any time, 07911 123456"
CRISIS_POST = "I can't do this anymore, I want to end it all tonight"
KIND_POST = "Day 3 without a cigarette. The evenings are hard."


@pytest.fixture
def group():
    return a_group()


@pytest.fixture
def other_group():
    return PeerGroup.objects.create(
        name="Vaping as a way out", slug="vaping", kind="topic", description="Switching."
    )


def patient(**kwargs):
    return PatientFactory(full_name=f"Tamsin {next(SURNAMES)}", **kwargs)


def member_of(group, *, settled=True, **kwargs):
    """A patient in the group under a group name; `settled` members are past pre-moderation."""
    user = patient(**kwargs)
    services.peer_member_set_pseudonym(user=user, pseudonym=f"Calm Heron {next(_numbers)}")
    services.guidelines_accept(user=user)
    services.group_join(user=user, group=group)
    if settled:
        # Three shared posts (one conversation of its own and two replies) end pre-moderation.
        now = timezone.now()
        first = Post.objects.create(
            group=group, author=user, body="Hello all", status="published", published_at=now
        )
        for n in range(2):
            Post.objects.create(
                group=group,
                author=user,
                parent=first,
                body=f"Earlier reply {n}",
                status="published",
                published_at=now,
            )
    return user


def thread_by(author, group, body=KIND_POST):
    return services.post_create(author=author, group=group, body=body).post


def url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def assert_error(response, status: HTTPStatus, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert set(body) == ({"detail", "code", "errors"} if code == "invalid" else {"detail", "code"})
    return body


def as_user(client, user):
    client.force_login(user)
    return client


def real_identity_absent(response, *users) -> None:
    """No member's real name, email or user id in a member-facing answer (raw JSON text)."""
    text = response.content.decode()
    for user in users:
        assert user.full_name not in text
        assert user.full_name.split()[-1] not in text
        assert user.email not in text
        assert f'"author_id": {user.pk}' not in text
        assert f'"user_id": {user.pk}' not in text


# --- Roles -------------------------------------------------------------------------------------


MEMBER_ROUTES = [
    ("get", "peer_member", ()),
    ("put", "peer_member", ()),
    ("post", "peer_guidelines_accept", ()),
    ("get", "peer_group_list", ()),
    ("get", "peer_group", ("first-weeks",)),
    ("post", "peer_group_join", ("first-weeks",)),
    ("post", "peer_group_leave", ("first-weeks",)),
    ("get", "peer_thread_list", ("first-weeks",)),
    ("post", "peer_thread_list", ("first-weeks",)),
    ("get", "peer_thread_detail", ("first-weeks", 1)),
    ("post", "peer_reply_create", ("first-weeks", 1)),
    ("post", "peer_reaction_create", ("first-weeks", 1)),
    ("delete", "peer_reaction_delete", ("first-weeks", 1, "heart")),
    ("post", "peer_report_create", ("first-weeks", 1)),
    ("get", "peer_my_posts", ()),
    ("get", "peer_messages", ()),
    ("post", "peer_messages", ()),
]


def _call(client, method: str, name: str, args):
    return getattr(client, method)(url(name, *args), {}, JSON)


@pytest.mark.parametrize(("method", "name", "args"), MEMBER_ROUTES)
def test_anonymous_requests_get_401(client, group, method, name, args):
    assert_error(_call(client, method, name, args), HTTPStatus.UNAUTHORIZED, "not_authenticated")


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
@pytest.mark.parametrize(("method", "name", "args"), MEMBER_ROUTES)
def test_staff_get_403_on_the_members_routes(client, group, factory, method, name, args):
    staff = factory()
    group.moderators.add(staff)
    before = Post.objects.count(), PeerMember.objects.count(), Membership.objects.count()

    response = _call(as_user(client, staff), method, name, args)

    body = assert_error(response, HTTPStatus.FORBIDDEN, "permission_denied")
    assert body["detail"] == "Only patients have this."
    assert (Post.objects.count(), PeerMember.objects.count(), Membership.objects.count()) == before


# --- A group name and the guidelines -----------------------------------------------------------


def test_a_patient_chooses_a_name_accepts_the_guidelines_and_is_ready(client):
    user = patient()
    api = as_user(client, user)

    first = api.get(url("peer_member")).json()
    chosen = api.put(url("peer_member"), {"pseudonym": "Quiet Fox"}, JSON)
    changed = api.patch(url("peer_member"), {"pseudonym": "Blue Kettle"}, JSON)
    accepted = api.post(
        url("peer_guidelines_accept"), {"version": services.GUIDELINES_VERSION}, JSON
    )

    assert first == {
        "pseudonym": None,
        "guidelines_version": "",
        "guidelines_accepted_at": None,
        "current_guidelines_version": services.GUIDELINES_VERSION,
        "ready": False,
    }
    assert chosen.status_code == HTTPStatus.CREATED
    assert chosen.json()["pseudonym"] == "Quiet Fox"
    assert changed.status_code == HTTPStatus.OK
    assert changed.json()["pseudonym"] == "Blue Kettle"
    assert accepted.status_code == HTTPStatus.OK
    assert accepted.json()["ready"] is True
    assert accepted.json()["guidelines_version"] == services.GUIDELINES_VERSION
    assert PeerMember.objects.get(user=user).pseudonym == "Blue Kettle"


def test_patch_without_a_name_changes_nothing(client):
    user = member_of(PeerGroup.objects.create(name="G", slug="g", kind="topic", description="x"))
    name = user.peer_member.pseudonym

    response = as_user(client, user).patch(url("peer_member"), {}, JSON)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["pseudonym"] == name


@pytest.mark.parametrize(
    ("pseudonym", "says"),
    [
        ("Tamsin Fox", "real name"),  # the patient's own first name
        ("Sarah Jones", "real name"),  # shaped like anybody's real name
        ("quiet.fox@example.org", "email"),
        ("07911123456", "phone number"),
        ("", "Choose a name first."),
        ("x" * 61, "at most 24 characters"),
        ("x" * 30, "at most 24 characters"),
    ],
)
def test_a_name_that_could_identify_them_is_refused_and_nothing_is_saved(client, pseudonym, says):
    user = patient()
    api = as_user(client, user)

    response = api.put(url("peer_member"), {"pseudonym": pseudonym}, JSON)

    body = assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert list(body["errors"]) == ["pseudonym"]
    assert says in body["errors"]["pseudonym"][0]
    assert not PeerMember.objects.exists()


def test_a_name_somebody_else_goes_by_is_refused_whatever_its_case(client):
    services.peer_member_set_pseudonym(user=patient(), pseudonym="Quiet Fox")
    user = patient()

    response = as_user(client, user).put(url("peer_member"), {"pseudonym": "quiet  FOX"}, JSON)

    body = assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")
    assert body["errors"] == {"pseudonym": ["Somebody already goes by that name. Choose another."]}
    assert not PeerMember.objects.filter(user=user).exists()


def test_guidelines_need_a_name_first_and_the_current_version(client):
    user = patient()
    api = as_user(client, user)

    no_name = api.post(
        url("peer_guidelines_accept"), {"version": services.GUIDELINES_VERSION}, JSON
    )
    services.peer_member_set_pseudonym(user=user, pseudonym="Quiet Fox")
    old = api.post(url("peer_guidelines_accept"), {"version": "2020-01"}, JSON)
    missing = api.post(url("peer_guidelines_accept"), {}, JSON)

    assert "pseudonym" in assert_error(no_name, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert assert_error(old, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "version": ["These guidelines have changed: read them again."]
    }
    assert "version" in assert_error(missing, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert PeerMember.objects.get(user=user).guidelines_version == ""


# --- Groups --------------------------------------------------------------------------------------


def test_groups_lists_the_patients_own_first_then_the_open_ones(client, group, other_group):
    closed = PeerGroup.objects.create(
        name="Closed", slug="closed", kind="topic", description="x", is_open=False
    )
    user = member_of(other_group)
    member_of(other_group)

    body = as_user(client, user).get(url("peer_group_list")).json()

    assert body["count"] == 2
    assert [g["slug"] for g in body["results"]] == ["vaping", "first-weeks"]
    assert body["results"][0] == {
        "id": other_group.pk,
        "slug": "vaping",
        "name": "Vaping as a way out",
        "kind": "topic",
        "description": "Switching.",
        "is_open": True,
        "member_count": 2,
        "is_member": True,
    }
    assert body["results"][1]["is_member"] is False
    assert closed.slug not in json.dumps(body)


def test_a_patient_joins_and_leaves_a_group(client, group):
    user = patient()
    services.peer_member_set_pseudonym(user=user, pseudonym="Quiet Fox")
    services.guidelines_accept(user=user)
    api = as_user(client, user)

    joined = api.post(url("peer_group_join", group.slug), {}, JSON)
    again = api.post(url("peer_group_join", group.slug), {}, JSON)
    left = api.post(url("peer_group_leave", group.slug), {}, JSON)
    not_in = api.post(url("peer_group_leave", group.slug), {}, JSON)

    assert joined.status_code == HTTPStatus.OK
    assert joined.json()["group"] == {"id": group.pk, "slug": group.slug, "name": group.name}
    assert joined.json()["is_member"] is True
    assert again.status_code == HTTPStatus.OK
    assert left.status_code == HTTPStatus.OK
    assert left.json()["is_member"] is False
    assert left.json()["left_at"] is not None
    assert assert_error(not_in, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "group": ["You are not in this group."]
    }
    assert Membership.objects.filter(member=user).count() == 1


def test_joining_needs_a_name_and_the_guidelines_and_an_open_group(client, group):
    closed = PeerGroup.objects.create(
        name="Closed", slug="closed", kind="topic", description="x", is_open=False
    )
    user = patient()
    api = as_user(client, user)

    no_name = api.post(url("peer_group_join", group.slug), {}, JSON)
    services.peer_member_set_pseudonym(user=user, pseudonym="Quiet Fox")
    no_guidelines = api.post(url("peer_group_join", group.slug), {}, JSON)
    services.guidelines_accept(user=user)
    shut = api.post(url("peer_group_join", closed.slug), {}, JSON)
    unknown = api.post(url("peer_group_join", "no-such-group"), {}, JSON)

    assert "pseudonym" in assert_error(no_name, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert "guidelines" in assert_error(no_guidelines, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert assert_error(shut, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "group": ["This group is not taking new members."]
    }
    assert_error(unknown, HTTPStatus.NOT_FOUND, "not_found")
    assert not Membership.objects.exists()


def test_a_group_shows_its_welcome_post_to_its_members_only(client, group, other_group):
    peer = PeerFactory(preferred_name="Morgan")
    group.moderators.add(peer)
    services.staff_post_create(
        author=peer, group=group, body="Welcome! Start here.", kind=Post.Kind.WELCOME
    )
    member = member_of(group)
    api = as_user(client, member)

    response = api.get(url("peer_group", group.slug))
    elsewhere = api.get(url("peer_group", other_group.slug))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["slug"] == group.slug
    assert body["description"] == "Home again."
    assert body["welcome"]["body"] == "Welcome! Start here."
    assert body["welcome"]["author"] == {"name": "Morgan", "role": "peer specialist"}
    assert body["muted_until"] is None
    assert_error(elsewhere, HTTPStatus.NOT_FOUND, "not_found")
    # The welcome post is apart from the conversations.
    threads = api.get(url("peer_thread_list", group.slug)).json()["results"]
    assert all(t["kind"] != "welcome" for t in threads)


# --- Conversations -------------------------------------------------------------------------------


def test_a_group_lists_shared_conversations_and_the_readers_own_held_ones(client, group):
    reader, writer = member_of(group), member_of(group)
    shared = thread_by(writer, group)
    own_held = thread_by(reader, group, PHONE_POST)
    others_held = thread_by(writer, group, "ring me on 07911 654321")
    services.post_create(author=reader, group=group, body="Keep going!", parent=shared)
    services.report_create(reporter=reader, post=shared, reason="other")

    response = as_user(client, reader).get(url("peer_thread_list", group.slug))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    ids = [item["id"] for item in body["results"]]
    assert own_held.pk in ids
    assert shared.pk in ids
    assert others_held.pk not in ids
    item = {i["id"]: i for i in body["results"]}[shared.pk]
    assert item["author"] == {"name": writer.peer_member.pseudonym, "role": "member"}
    assert item["reply_count"] == 1
    assert item["status"] == "published"
    assert item["held_reason"] == ""
    assert item["is_mine"] is False
    assert item["reported"] is True
    held = {i["id"]: i for i in body["results"]}[own_held.pk]
    assert held["status"] == "held"
    assert "phone number" in held["held_reason"]
    assert "personal_info." not in held["held_reason"]  # the rule's id is for moderators
    assert "07911 654321" not in response.content.decode()
    real_identity_absent(response, reader, writer)


def test_a_group_one_is_not_in_is_404(client, group, other_group):
    thread = thread_by(member_of(group), group)
    outsider = member_of(other_group)
    api = as_user(client, outsider)
    before = Post.objects.count()

    for response in (
        api.get(url("peer_thread_list", group.slug)),
        api.post(url("peer_thread_list", group.slug), {"body": KIND_POST}, JSON),
        api.get(url("peer_thread_detail", group.slug, thread.pk)),
        api.post(url("peer_reply_create", group.slug, thread.pk), {"body": "hi"}, JSON),
        api.post(url("peer_reaction_create", group.slug, thread.pk), {"kind": "heart"}, JSON),
        api.post(url("peer_report_create", group.slug, thread.pk), {"reason": "unkind"}, JSON),
        # ... nor through their own group's address
        api.get(url("peer_thread_detail", other_group.slug, thread.pk)),
        api.post(url("peer_reply_create", other_group.slug, thread.pk), {"body": "hi"}, JSON),
        api.post(url("peer_reaction_create", other_group.slug, thread.pk), {"kind": "heart"}, JSON),
    ):
        assert_error(response, HTTPStatus.NOT_FOUND, "not_found")
    assert Post.objects.count() == before
    assert not Reaction.objects.exists()
    assert not Report.objects.exists()


def test_a_settled_members_post_is_published(client, group):
    author = member_of(group)

    response = as_user(client, author).post(
        url("peer_thread_list", group.slug), {"body": KIND_POST}, JSON
    )

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["status"] == "published"
    assert body["held_reason"] == ""
    assert body["crisis"] is False
    assert body["crisis_url"] is None
    assert body["crisis_resources"] == []
    assert body["post"]["body"] == KIND_POST
    assert body["post"]["author"] == {"name": author.peer_member.pseudonym, "role": "member"}
    assert Post.objects.get(pk=body["post"]["id"]).status == Post.Status.PUBLISHED


def test_a_new_members_first_post_waits_for_a_peer_specialist(client, group):
    author = member_of(group, settled=False)

    body = (
        as_user(client, author)
        .post(url("peer_thread_list", group.slug), {"body": KIND_POST}, JSON)
        .json()
    )

    assert body["status"] == "held"
    assert body["held_reason"] == services.NEW_MEMBER_REASON


def test_a_phone_number_holds_the_post_with_the_reason(client, group):
    response = as_user(client, member_of(group)).post(
        url("peer_thread_list", group.slug), {"body": PHONE_POST}, JSON
    )

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["status"] == "held"
    assert "phone number" in body["held_reason"]
    assert body["crisis"] is False
    post = Post.objects.get(pk=body["post"]["id"])
    assert post.status == Post.Status.HELD
    assert post.screening_categories == ["personal_info"]
    assert not Flag.objects.exists()


def test_a_crisis_post_is_held_flags_the_clinician_and_answers_with_crisis_support(client, group):
    author = member_of(group)

    response = as_user(client, author).post(
        url("peer_thread_list", group.slug), {"body": CRISIS_POST}, JSON
    )

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["crisis"] is True
    assert body["status"] == "held"
    assert body["crisis_url"].endswith(reverse("safety:crisis_support"))
    assert body["crisis_url"].startswith("http")
    assert body["crisis_resources"]
    assert {"name", "how", "href", "when"} <= set(body["crisis_resources"][0])
    assert body["held_reason"] == CRISIS_REASON_FOR_AUTHOR  # kind words, never the rule's id
    flag = Flag.objects.get(patient=author)
    assert flag.category == Flag.Category.CRISIS
    assert flag.source_ref == f"peersupport.post:{body['post']['id']}"


def test_a_member_replies_to_a_conversation(client, group):
    thread = thread_by(member_of(group), group)
    author = member_of(group)

    response = as_user(client, author).post(
        url("peer_reply_create", group.slug, thread.pk), {"body": "Evenings got easier."}, JSON
    )

    assert response.status_code == HTTPStatus.CREATED
    body = response.json()
    assert body["status"] == "published"
    assert body["post"]["parent_id"] == thread.pk
    assert body["post"]["thread_id"] == thread.pk
    assert body["post"]["is_mine"] is True
    assert Post.objects.get(pk=body["post"]["id"]).parent_id == thread.pk


def test_a_crisis_reply_answers_with_crisis_support_too(client, group):
    thread = thread_by(member_of(group), group)
    author = member_of(group)

    body = (
        as_user(client, author)
        .post(url("peer_reply_create", group.slug, thread.pk), {"body": CRISIS_POST}, JSON)
        .json()
    )

    assert body["crisis"] is True
    assert body["post"]["parent_id"] == thread.pk
    assert Flag.objects.get(patient=author).source == Flag.Source.REPLY


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write something first."),
        ("   \n ", "Write something first."),
        ("x" * 20_000, "Keep it under 5,000 characters."),
    ],
)
def test_an_empty_or_too_long_post_is_refused_and_nothing_is_written(client, group, text, message):
    thread = thread_by(member_of(group), group)
    api = as_user(client, member_of(group))
    before = Post.objects.count()

    new = api.post(url("peer_thread_list", group.slug), {"body": text}, JSON)
    reply = api.post(url("peer_reply_create", group.slug, thread.pk), {"body": text}, JSON)
    missing = api.post(url("peer_thread_list", group.slug), {}, JSON)

    for response in (new, reply):
        assert assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
            "body": [message]
        }
    assert assert_error(missing, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "body": ["Write something first."]
    }
    assert Post.objects.count() == before


def test_a_muted_member_is_told_until_when_and_nothing_is_written(client, group):
    thread = thread_by(member_of(group), group)
    author = member_of(group)
    Membership.objects.filter(member=author).update(muted_until=timezone.now() + timedelta(days=1))
    api = as_user(client, author)
    before = Post.objects.count()

    new = api.post(url("peer_thread_list", group.slug), {"body": KIND_POST}, JSON)
    reply = api.post(url("peer_reply_create", group.slug, thread.pk), {"body": "me too"}, JSON)
    shown = api.get(url("peer_thread_detail", group.slug, thread.pk)).json()

    for response in (new, reply):
        errors = assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
        assert "paused your posting until" in errors["body"][0]
    assert Post.objects.count() == before
    assert shown["muted_until"] is not None


def test_replying_to_a_locked_conversation_is_refused_and_nothing_is_written(client, group):
    thread = thread_by(member_of(group), group)
    Post.objects.filter(pk=thread.pk).update(is_locked=True)
    api = as_user(client, member_of(group))
    before = Post.objects.count()

    response = api.post(url("peer_reply_create", group.slug, thread.pk), {"body": "me too"}, JSON)

    assert assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "parent": ["A peer specialist has closed this conversation to new replies."]
    }
    assert Post.objects.count() == before


def test_html_and_script_are_kept_as_text(client, group):
    text = '<script>alert("hi")</script> <b>day 5</b> & counting'
    api = as_user(client, member_of(group))

    created = api.post(url("peer_thread_list", group.slug), {"body": text}, JSON)
    thread_id = created.json()["post"]["id"]
    shown = api.get(url("peer_thread_detail", group.slug, thread_id))

    assert created.json()["post"]["body"] == text
    assert shown.json()["thread"]["body"] == text
    assert shown["Content-Type"] == "application/json"
    assert Post.objects.get(pk=thread_id).body == text


def test_a_conversation_shows_replies_reactions_and_the_authors_own_held_reply(client, group):
    opener, author, reader = member_of(group), member_of(group), member_of(group)
    thread = thread_by(opener, group)
    held = services.post_create(author=author, group=group, body=PHONE_POST, parent=thread).post
    shown = services.post_create(author=reader, group=group, body="Keep going!", parent=thread).post
    services.reaction_add(member=author, post=thread, kind="heart")
    services.reaction_add(member=reader, post=thread, kind="heart")
    services.reaction_add(member=reader, post=thread, kind="strong")
    services.report_create(reporter=author, post=shown, reason="other")

    as_author = as_user(client, author).get(url("peer_thread_detail", group.slug, thread.pk))
    body = as_author.json()

    assert as_author.status_code == HTTPStatus.OK
    assert body["group"] == {"id": group.pk, "slug": group.slug, "name": group.name}
    assert body["thread"]["id"] == thread.pk
    assert [r["id"] for r in body["replies"]] == [held.pk, shown.pk]
    reactions = {r["kind"]: r for r in body["thread"]["reactions"]}
    assert reactions["heart"] == {
        "kind": "heart",
        "label": "Sending support",
        "count": 2,
        "mine": True,
    }
    assert reactions["strong"]["count"] == 1
    assert reactions["strong"]["mine"] is False
    assert reactions["clap"]["count"] == 0
    assert body["replies"][0]["status"] == "held"
    assert body["replies"][0]["is_mine"] is True
    assert "phone number" in body["replies"][0]["held_reason"]
    assert body["replies"][0]["reactions"] == []
    assert body["replies"][1]["reported"] is True
    real_identity_absent(as_author, opener, author, reader)

    as_reader = as_user(client, reader).get(url("peer_thread_detail", group.slug, thread.pk))
    assert [r["id"] for r in as_reader.json()["replies"]] == [shown.pk]
    assert "07911" not in as_reader.content.decode()


def test_another_members_held_conversation_is_never_readable(client, group):
    author, reader = member_of(group), member_of(group)
    held = thread_by(author, group, PHONE_POST)
    api = as_user(client, reader)

    assert_error(
        api.get(url("peer_thread_detail", group.slug, held.pk)), HTTPStatus.NOT_FOUND, "not_found"
    )
    assert_error(
        api.post(url("peer_reaction_create", group.slug, held.pk), {"kind": "heart"}, JSON),
        HTTPStatus.NOT_FOUND,
        "not_found",
    )
    assert (
        as_user(client, author).get(url("peer_thread_detail", group.slug, held.pk)).status_code
        == HTTPStatus.OK
    )


def test_staff_posts_show_the_peer_specialist_and_programme_content_its_approval(client, group):
    peer = PeerFactory(full_name="Morgan Staffname", preferred_name="Morgan")
    clinician = ClinicianFactory(full_name="Dr Ada Approver")
    group.moderators.add(peer)
    services.staff_post_create(
        author=peer,
        group=group,
        body="Quitting tips from the programme",
        kind=Post.Kind.PROGRAMME,
        approved_by=clinician,
        approved_on=timezone.localdate(),
    )

    body = as_user(client, member_of(group)).get(url("peer_thread_list", group.slug)).json()

    item = next(i for i in body["results"] if i["kind"] == "programme")
    assert item["author"] == {"name": "Morgan", "role": "peer specialist"}
    assert item["approved_by"] == "Dr Ada Approver"
    assert item["approved_on"] == timezone.localdate().isoformat()


# --- Reactions and reports -----------------------------------------------------------------------


def test_a_member_reacts_once_per_kind_and_takes_it_back(client, group):
    post = thread_by(member_of(group), group)
    api = as_user(client, member_of(group))
    react = url("peer_reaction_create", group.slug, post.pk)

    added = api.post(react, {"kind": "heart"}, JSON)
    twice = api.post(react, {"kind": "heart"}, JSON)
    counts_after_twice = Reaction.objects.count()
    removed = api.delete(url("peer_reaction_delete", group.slug, post.pk, "heart"))
    never = api.delete(url("peer_reaction_delete", group.slug, post.pk, "heart"))

    assert added.status_code == HTTPStatus.CREATED
    assert added.json()["post_id"] == post.pk
    heart = next(r for r in added.json()["reactions"] if r["kind"] == "heart")
    assert heart["count"] == 1
    assert heart["mine"] is True
    assert assert_error(twice, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "kind": ["You have already reacted like this."]
    }
    assert counts_after_twice == 1
    assert removed.status_code == HTTPStatus.OK
    assert next(r for r in removed.json()["reactions"] if r["kind"] == "heart")["count"] == 0
    assert assert_error(never, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "kind": ["You have not reacted like this."]
    }
    assert not Reaction.objects.exists()


@pytest.mark.parametrize("kind", ["dislike", "", None])
def test_there_is_no_dislike(client, group, kind):
    post = thread_by(member_of(group), group)

    response = as_user(client, member_of(group)).post(
        url("peer_reaction_create", group.slug, post.pk), {"kind": kind}, JSON
    )

    assert assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "kind": ["Choose one of the reactions shown."]
    }
    assert not Reaction.objects.exists()


def test_a_member_reports_a_post_once_and_never_their_own(client, group):
    author, reporter = member_of(group), member_of(group)
    post = thread_by(author, group)
    report = url("peer_report_create", group.slug, post.pk)

    first = as_user(client, reporter).post(
        report, {"reason": "worried", "note": "Sounds low"}, JSON
    )
    twice = client.post(report, {"reason": "unkind"}, JSON)
    own = as_user(client, author).post(report, {"reason": "other"}, JSON)

    assert first.status_code == HTTPStatus.CREATED
    assert first.json()["reason"] == "worried"
    assert first.json()["post_id"] == post.pk
    assert assert_error(twice, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "post": ["You have already reported this post. A peer specialist will look at it."]
    }
    assert assert_error(own, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "post": ["This is your own post."]
    }
    assert Report.objects.count() == 1
    assert Report.objects.get().note == "Sounds low"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "reason"),
        ({"reason": "boring"}, "reason"),
        ({"reason": "other", "note": "x" * 1_001}, "note"),
    ],
)
def test_a_bad_report_is_refused_and_nothing_is_written(client, group, data, field):
    post = thread_by(member_of(group), group)

    response = as_user(client, member_of(group)).post(
        url("peer_report_create", group.slug, post.pk), data, JSON
    )

    assert list(assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")["errors"]) == [field]
    assert not Report.objects.exists()


# --- My posts ------------------------------------------------------------------------------------


def test_my_posts_say_what_happened_to_each_and_why(client, group):
    author = member_of(group)
    peer = PeerFactory()
    group.moderators.add(peer)
    held = thread_by(author, group, PHONE_POST)
    rejected = thread_by(author, group, "ring me 07911 654321")
    services.post_reject(post=rejected, by=peer, message="Please keep numbers out of posts.")

    response = as_user(client, author).get(url("peer_my_posts"))

    assert response.status_code == HTTPStatus.OK
    items = {item["id"]: item for item in response.json()["results"]}
    assert items[held.pk]["status"] == "held"
    assert "phone number" in items[held.pk]["held_reason"]
    assert items[rejected.pk]["status"] == "rejected"
    assert items[rejected.pk]["status_label"] == "Not published"
    assert items[rejected.pk]["moderator_message"] == "Please keep numbers out of posts."
    assert items[rejected.pk]["group"]["slug"] == group.slug
    assert response.json()["count"] == Post.objects.filter(author=author).count()


# --- Ask a peer specialist -----------------------------------------------------------------------


def test_with_no_peer_specialist_yet_a_message_is_refused_and_nothing_written(client):
    user = patient()
    api = as_user(client, user)

    shown = api.get(url("peer_messages")).json()
    sent = api.post(url("peer_messages"), {"body": "Hello?"}, JSON)

    assert shown["peer"] is None
    assert shown["messages"] == []
    assert shown["waiting"] is False
    assert "working day" in shown["promise"]
    errors = assert_error(sent, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert "no peer support specialist for you yet" in errors["body"][0]
    assert not PeerMessage.objects.exists()
    assert not Conversation.objects.exists()


def test_a_patient_messages_their_peer_specialist_and_sees_it_waiting(client):
    peer = PeerFactory(preferred_name="Morgan")
    user = patient(profile__peer_specialist=peer)
    api = as_user(client, user)

    sent = api.post(url("peer_messages"), {"body": "Is it normal to feel this restless?"}, JSON)
    shown = api.get(url("peer_messages")).json()

    assert sent.status_code == HTTPStatus.CREATED
    body = sent.json()
    assert body["crisis"] is False
    assert body["waiting"] is True
    assert body["reply_due_at"]
    assert body["message"]["mine"] is True
    assert body["message"]["sender"] == {"name": "You", "role": "member"}
    assert shown["peer"] == {"name": "Morgan", "role": "peer specialist"}
    assert shown["waiting"] is True
    assert shown["overdue"] is False
    assert shown["promise"] == "A peer specialist usually replies within 1 working day."
    assert shown["help_url"].endswith(reverse("safety:crisis_support"))
    assert [m["body"] for m in shown["messages"]] == ["Is it normal to feel this restless?"]

    Conversation.objects.update(reply_due_at=timezone.now() - timedelta(minutes=1))
    assert api.get(url("peer_messages")).json()["overdue"] is True


def test_a_crisis_message_answers_with_crisis_support_and_flags_the_clinician(client):
    user = patient(profile__peer_specialist=PeerFactory())

    body = as_user(client, user).post(url("peer_messages"), {"body": CRISIS_POST}, JSON).json()

    assert body["crisis"] is True
    assert body["crisis_url"].endswith(reverse("safety:crisis_support"))
    assert body["crisis_resources"]
    assert Flag.objects.get(patient=user).source == Flag.Source.MESSAGE


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write your message first."), ("x" * 3_001, "Keep it under 3,000 characters.")],
)
def test_an_empty_or_too_long_message_is_refused(client, text, message):
    user = patient(profile__peer_specialist=PeerFactory())

    response = as_user(client, user).post(url("peer_messages"), {"body": text}, JSON)

    assert assert_error(response, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "body": [message]
    }
    assert not PeerMessage.objects.exists()


# --- Query budgets -------------------------------------------------------------------------------

# Measured: the session, the user, their membership, then the count, the page of conversations,
# their reactions and the reader's reports (7); a conversation: the session, the user, the
# membership, the opening post, the posts, their reactions, the reader's reports (7). The same at
# both sizes.
THREAD_LIST_BUDGET = 7
THREAD_DETAIL_BUDGET = 7


def _busy_group(group, size: int):
    """`size` conversations, each with `size` replies, each post with reactions."""
    members = [member_of(group) for _ in range(3)]
    for n in range(size):
        thread = thread_by(members[n % 3], group, f"Conversation {n}")
        for m in range(size):
            reply = services.post_create(
                author=members[(n + m + 1) % 3], group=group, body=f"Reply {m}", parent=thread
            ).post
            services.reaction_add(member=members[n % 3], post=reply, kind="heart")
        for member in members:
            services.reaction_add(member=member, post=thread, kind="clap")
    return members[0], thread


@pytest.mark.parametrize("size", [2, 8])
def test_the_thread_list_is_read_in_a_fixed_number_of_queries(
    client, group, django_assert_max_num_queries, size
):
    reader, _ = _busy_group(group, size)
    api = as_user(client, reader)
    api.get(url("peer_thread_list", group.slug))  # a session's first request checks consent

    with django_assert_max_num_queries(THREAD_LIST_BUDGET):
        response = api.get(url("peer_thread_list", group.slug))

    assert response.status_code == HTTPStatus.OK
    assert response.json()["count"] >= size


@pytest.mark.parametrize("size", [2, 8])
def test_a_conversation_is_read_in_a_fixed_number_of_queries(
    client, group, django_assert_max_num_queries, size
):
    reader, thread = _busy_group(group, size)
    api = as_user(client, reader)
    api.get(url("peer_thread_detail", group.slug, thread.pk))  # a first request checks consent

    with django_assert_max_num_queries(THREAD_DETAIL_BUDGET):
        response = api.get(url("peer_thread_detail", group.slug, thread.pk))

    assert len(response.json()["replies"]) == size
