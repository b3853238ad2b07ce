"""The moderation API and the peer specialist's inbox: every action through the API, a moderator
of another group gets 404 and nothing changes, bad input is refused with nothing changed, each
decision is recorded, members appear by group name only, reads of a conversation are audited,
and the queue is read in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from core.models import AuditEvent, Notification
from peersupport import services
from peersupport.models import (
    Conversation,
    Membership,
    ModerationAction,
    ModeratorMessageTemplate,
    PeerGroup,
    PeerMessage,
    Post,
    Report,
)
from safety.models import Flag
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.peersupport.helpers import a_group
from tests.peersupport.test_api import (
    CRISIS_POST,
    JSON,
    KIND_POST,
    PHONE_POST,
    as_user,
    assert_error,
    member_of,
    patient,
    real_identity_absent,
    thread_by,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return a_group()


@pytest.fixture
def other_group():
    return PeerGroup.objects.create(
        name="Vaping as a way out", slug="vaping", kind="topic", description="Switching."
    )


@pytest.fixture
def peer(group):
    peer = PeerFactory(full_name="Morgan Moderator", preferred_name="Morgan")
    group.moderators.add(peer)
    return peer


@pytest.fixture
def other_peer(other_group):
    """A peer specialist who moderates another group only."""
    other = PeerFactory()
    other_group.moderators.add(other)
    return other


@pytest.fixture
def api(client, peer):
    return as_user(client, peer)


def _post_state(post: Post) -> tuple:
    post.refresh_from_db()
    return (
        post.status,
        post.body,
        post.is_locked,
        post.is_pinned,
        post.moderator_message,
        post.moderated_by_id,
        ModerationAction.objects.count(),
        Notification.objects.count(),
        Flag.objects.count(),
    )


def _membership_state(membership: Membership) -> tuple:
    membership.refresh_from_db()
    return (
        membership.left_at,
        membership.removed_by_id,
        membership.muted_until,
        ModerationAction.objects.count(),
        Flag.objects.count(),
    )


# --- Roles -------------------------------------------------------------------------------------


PEER_ROUTES = [
    ("get", "moderation_queue", ()),
    ("get", "moderation_post", (1,)),
    ("post", "moderation_post_approve", (1,)),
    ("post", "moderation_post_reject", (1,)),
    ("post", "moderation_post_edit", (1,)),
    ("post", "moderation_post_remove", (1,)),
    ("post", "moderation_post_lock", (1,)),
    ("post", "moderation_post_pin", (1,)),
    ("post", "moderation_post_worried", (1,)),
    ("get", "moderation_group_members", ("first-weeks",)),
    ("post", "moderation_member_mute", (1,)),
    ("post", "moderation_member_unmute", (1,)),
    ("post", "moderation_member_remove", (1,)),
    ("post", "moderation_member_worried", (1,)),
    ("post", "moderation_report_close", (1,)),
    ("get", "moderation_message_templates", ()),
    ("get", "moderation_conversation_list", ()),
    ("get", "moderation_conversation_detail", (1,)),
    ("post", "moderation_conversation_reply", (1,)),
]
ALL_ROUTES = [*PEER_ROUTES, ("get", "moderation_log", ())]


def _call(client, method, name, args):
    return getattr(client, method)(url(name, *args), {}, JSON)


@pytest.mark.parametrize(("method", "name", "args"), ALL_ROUTES)
def test_anonymous_requests_get_401(client, method, name, args):
    assert_error(_call(client, method, name, args), HTTPStatus.UNAUTHORIZED, "not_authenticated")


@pytest.mark.parametrize("factory", [PatientFactory, ClinicianFactory, AdminFactory])
@pytest.mark.parametrize(("method", "name", "args"), PEER_ROUTES)
def test_only_peer_specialists_moderate(client, factory, method, name, args):
    response = _call(as_user(client, factory()), method, name, args)

    body = assert_error(response, HTTPStatus.FORBIDDEN, "permission_denied")
    assert body["detail"] == "Only peer support specialists can do this."


@pytest.mark.parametrize("factory", [PatientFactory, ClinicianFactory])
def test_the_log_is_for_peer_specialists_and_admins(client, factory):
    response = as_user(client, factory()).get(url("moderation_log"))

    assert_error(response, HTTPStatus.FORBIDDEN, "permission_denied")


def test_a_peer_specialist_without_a_second_factor_is_refused(client, group):
    peer = PeerFactory(mfa=False)
    group.moderators.add(peer)

    response = as_user(client, peer).get(url("moderation_queue"))

    assert_error(response, HTTPStatus.FORBIDDEN, "mfa_required")


# --- The queue and one post ----------------------------------------------------------------------


def test_the_queue_has_held_and_reported_posts_most_urgent_first_with_the_evidence(
    api, group, other_group, peer
):
    new_member = member_of(group, settled=False)
    first_post = thread_by(new_member, group)
    phone = thread_by(member_of(group), group, PHONE_POST)
    crisis = thread_by(member_of(group), group, CRISIS_POST)
    shared = thread_by(member_of(group), group)
    services.report_create(reporter=member_of(group), post=shared, reason="unkind", note="Mean")
    elsewhere = thread_by(member_of(other_group), other_group, PHONE_POST)
    patient_waiting = patient(profile__peer_specialist=peer)
    services.message_send(sender=patient_waiting, body="Hello, are you there?")

    response = api.get(url("moderation_queue"))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    items = body["items"]
    assert items[0]["post"]["id"] == crisis.pk
    assert {item["post"]["id"] for item in items} == {first_post.pk, phone.pk, crisis.pk, shared.pk}
    assert elsewhere.pk not in {item["post"]["id"] for item in items}
    by_post = {item["post"]["id"]: item for item in items}
    assert by_post[crisis.pk]["urgency"] == 0
    assert by_post[crisis.pk]["post"]["flag_raised"] is True
    assert by_post[phone.pk]["kind"] == "held"
    assert by_post[phone.pk]["post"]["screening_categories"] == ["personal_info"]
    assert "phone number" in by_post[phone.pk]["post"]["held_reason"]
    assert any("07911 123456" in e["excerpt"] for e in by_post[phone.pk]["evidence"])
    assert by_post[first_post.pk]["post"]["held_reason"] == services.NEW_MEMBER_REASON
    reported = by_post[shared.pk]
    assert reported["kind"] == "reported"
    assert reported["report_reasons"] == ["Unkind"]
    assert reported["reports"][0]["note"] == "Mean"
    unanswered = [p["id"] for p in body["unanswered"]]
    assert shared.pk in unanswered
    assert all(p["group"]["id"] == group.pk for p in body["unanswered"])
    waiting = body["waiting_conversations"]
    assert [w["id"] for w in waiting] == [Conversation.objects.get(patient=patient_waiting).pk]
    assert waiting[0]["reply_due_at"]
    assert body["groups"] == [
        {"id": group.pk, "slug": group.slug, "name": group.name, "member_count": 5}
    ]
    members = [p.author for p in Post.objects.filter(group=group).select_related("author")]
    real_identity_absent(response, *members, patient_waiting)


def test_the_queue_shows_unanswered_conversations(api, group, settings):
    settings.PEERSUPPORT_UNANSWERED_HOURS = 24
    lonely = thread_by(member_of(group), group)
    Post.objects.filter(pk=lonely.pk).update(published_at=timezone.now() - timedelta(hours=30))

    body = api.get(url("moderation_queue")).json()

    unanswered = {p["id"]: p for p in body["unanswered"]}
    assert unanswered[lonely.pk]["overdue"] is True


def test_one_post_with_everything_needed_to_decide(api, group, peer):
    author = member_of(group)
    held = thread_by(author, group, PHONE_POST)

    response = api.get(url("moderation_post", held.pk))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["post"]["id"] == held.pk
    assert body["post"]["author"] == {"name": author.peer_member.pseudonym, "role": "member"}
    assert body["evidence"][0]["category"] == "personal_info"
    assert body["membership"]["id"] == Membership.objects.get(member=author).pk
    assert body["membership"]["is_current"] is True
    assert {c["status"]: c["count"] for c in body["author_post_counts"]} == {
        "held": 1,
        "published": 3,
    }
    assert body["templates"]
    assert body["templates"][0].keys() == {"id", "title", "text"}
    real_identity_absent(response, author)


# --- Actions on posts ----------------------------------------------------------------------------


def test_approving_a_held_post_publishes_it_and_records_who_and_when(api, group, peer):
    held = thread_by(member_of(group), group, PHONE_POST)

    response = api.post(url("moderation_post_approve", held.pk), {}, JSON)
    again = api.post(url("moderation_post_approve", held.pk), {}, JSON)

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "published"
    held.refresh_from_db()
    assert held.status == Post.Status.PUBLISHED
    assert held.moderated_by == peer
    action = ModerationAction.objects.get()
    assert (action.action, action.actor, action.post) == ("approve", peer, held)
    assert assert_error(again, HTTPStatus.CONFLICT, "conflict")["detail"].startswith(
        "This post is not waiting for a moderator"
    )
    assert ModerationAction.objects.count() == 1


def test_rejecting_needs_a_kind_message_which_the_author_sees(client, api, group):
    author = member_of(group)
    held = thread_by(author, group, PHONE_POST)
    before = _post_state(held)

    empty = api.post(url("moderation_post_reject", held.pk), {"message": "  "}, JSON)
    too_long = api.post(url("moderation_post_reject", held.pk), {"message": "x" * 1_001}, JSON)
    assert _post_state(held) == before
    done = api.post(
        url("moderation_post_reject", held.pk), {"message": "Please keep numbers out."}, JSON
    )

    assert assert_error(empty, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "message": ["Write a kind message to the author, or choose one."]
    }
    assert list(assert_error(too_long, HTTPStatus.BAD_REQUEST, "invalid")["errors"]) == ["message"]
    assert done.status_code == HTTPStatus.OK
    assert done.json()["status"] == "rejected"
    mine = as_user(client, author).get(url("peer_my_posts")).json()["results"]
    assert {p["id"]: p for p in mine}[held.pk]["moderator_message"] == "Please keep numbers out."


def test_editing_out_personal_details_refuses_text_that_still_has_them(api, group):
    held = thread_by(member_of(group), group, PHONE_POST)
    before = _post_state(held)

    still = api.post(
        url("moderation_post_edit", held.pk), {"body": "Call 07911 123456", "publish": True}, JSON
    )
    assert _post_state(held) == before
    done = api.post(
        url("moderation_post_edit", held.pk),
        {"body": "Text me any time", "reason": "phone number", "publish": True},
        JSON,
    )

    assert (
        "still seems to share personal details"
        in (assert_error(still, HTTPStatus.BAD_REQUEST, "invalid")["errors"]["body"][0])
    )
    assert done.status_code == HTTPStatus.OK
    assert done.json()["status"] == "published"
    assert done.json()["body"] == "Text me any time"
    assert done.json()["edited_by_moderator_at"]
    held.refresh_from_db()
    assert held.screening_evidence == ""
    assert list(ModerationAction.objects.filter(post=held).values_list("action", flat=True)) == [
        "approve",
        "edit",
    ]


def test_removing_a_shared_post_closes_its_reports(api, group):
    post = thread_by(member_of(group), group)
    report = services.report_create(reporter=member_of(group), post=post, reason="unkind")

    missing = api.post(url("moderation_post_remove", post.pk), {}, JSON)
    done = api.post(url("moderation_post_remove", post.pk), {"message": "Not kind."}, JSON)
    again = api.post(url("moderation_post_remove", post.pk), {"message": "Not kind."}, JSON)

    assert "message" in assert_error(missing, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert done.json()["status"] == "removed"
    report.refresh_from_db()
    assert report.outcome == Report.Outcome.POST_REMOVED
    assert_error(again, HTTPStatus.CONFLICT, "conflict")


def test_locking_a_conversation_stops_replies_through_the_api(client, api, group):
    thread = thread_by(member_of(group), group)
    reply = services.post_create(
        author=member_of(group), group=group, body="Same here", parent=thread
    ).post
    replier = member_of(group)

    locked = api.post(url("moderation_post_lock", thread.pk), {"locked": True}, JSON)
    twice = api.post(url("moderation_post_lock", thread.pk), {"locked": True}, JSON)
    a_reply = api.post(url("moderation_post_lock", reply.pk), {"locked": True}, JSON)
    no_choice = api.post(url("moderation_post_lock", thread.pk), {}, JSON)
    refused = as_user(client, replier).post(
        url("peer_reply_create", group.slug, thread.pk), {"body": "me too"}, JSON
    )

    assert locked.json()["is_locked"] is True
    assert_error(twice, HTTPStatus.CONFLICT, "conflict")
    assert "post" in assert_error(a_reply, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert "locked" in assert_error(no_choice, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert "parent" in assert_error(refused, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert ModerationAction.objects.filter(action="lock").count() == 1


def test_pinning_a_conversation(api, group):
    thread = thread_by(member_of(group), group)
    held = thread_by(member_of(group), group, PHONE_POST)

    pinned = api.post(url("moderation_post_pin", thread.pk), {"pinned": True}, JSON)
    twice = api.post(url("moderation_post_pin", thread.pk), {"pinned": True}, JSON)
    not_shared = api.post(url("moderation_post_pin", held.pk), {"pinned": True}, JSON)
    unpinned = api.post(url("moderation_post_pin", thread.pk), {"pinned": False}, JSON)

    assert pinned.json()["is_pinned"] is True
    assert_error(twice, HTTPStatus.CONFLICT, "conflict")
    assert_error(not_shared, HTTPStatus.BAD_REQUEST, "invalid")
    assert unpinned.json()["is_pinned"] is False


def test_worried_about_an_author_raises_a_flag_to_their_clinician(api, group, peer):
    author = member_of(group)
    post = thread_by(author, group)
    services.report_create(reporter=member_of(group), post=post, reason="worried")

    no_note = api.post(url("moderation_post_worried", post.pk), {}, JSON)
    bad_severity = api.post(
        url("moderation_post_worried", post.pk), {"note": "Low", "severity": "low"}, JSON
    )
    assert not Flag.objects.exists()
    done = api.post(
        url("moderation_post_worried", post.pk),
        {"note": "Sounds hopeless lately", "severity": "critical"},
        JSON,
    )

    assert "note" in assert_error(no_note, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert assert_error(bad_severity, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "severity": ["Choose how urgent this is."]
    }
    assert done.status_code == HTTPStatus.CREATED
    flag = Flag.objects.get(patient=author)
    assert done.json() == {
        "flag_id": flag.pk,
        "severity": "critical",
        "message": "The clinician has been told. If someone is in immediate danger, call 999 now.",
    }
    assert flag.category == Flag.Category.CONCERN
    assert Report.objects.get().outcome == Report.Outcome.FLAG_RAISED


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("moderation_post", None),
        ("moderation_post_approve", {}),
        ("moderation_post_reject", {"message": "No."}),
        ("moderation_post_edit", {"body": "Text me", "publish": True}),
        ("moderation_post_remove", {"message": "No."}),
        ("moderation_post_lock", {"locked": True}),
        ("moderation_post_pin", {"pinned": True}),
        ("moderation_post_worried", {"note": "Worried"}),
    ],
)
def test_a_moderator_of_another_group_gets_404_and_nothing_changes(
    client, group, other_peer, name, data
):
    held = thread_by(member_of(group), group, PHONE_POST)
    shared = thread_by(member_of(group), group)
    api = as_user(client, other_peer)

    for post in (held, shared):
        before = _post_state(post)
        if data is None:
            response = api.get(url(name, post.pk))
        else:
            response = api.post(url(name, post.pk), data, JSON)
        assert_error(response, HTTPStatus.NOT_FOUND, "not_found")
        assert _post_state(post) == before
    unknown = url(name, 999_999)
    response = api.get(unknown) if data is None else api.post(unknown, data, JSON)
    assert_error(response, HTTPStatus.NOT_FOUND, "not_found")


# --- Members -------------------------------------------------------------------------------------


def test_a_groups_members_by_group_name_with_their_membership_ids(api, group, other_group):
    alice = member_of(group)
    member_of(other_group)

    response = api.get(url("moderation_group_members", group.slug))
    elsewhere = api.get(url("moderation_group_members", other_group.slug))

    assert response.status_code == HTTPStatus.OK
    [row] = response.json()["results"]
    assert row["member"] == alice.peer_member.pseudonym
    assert row["id"] == Membership.objects.get(member=alice).pk
    assert row["post_count"] == 3
    real_identity_absent(response, alice)
    assert_error(elsewhere, HTTPStatus.NOT_FOUND, "not_found")


def test_a_muted_member_cannot_post_until_unmuted(client, api, group, peer):
    author = member_of(group)
    membership = Membership.objects.get(member=author)
    before = _membership_state(membership)

    bad_days = api.post(
        url("moderation_member_mute", membership.pk), {"days": 2, "reason": "x"}, JSON
    )
    no_reason = api.post(url("moderation_member_mute", membership.pk), {"days": 3}, JSON)
    assert _membership_state(membership) == before
    muted = api.post(
        url("moderation_member_mute", membership.pk), {"days": 3, "reason": "Heated"}, JSON
    )
    posting = as_user(client, author).post(
        url("peer_thread_list", group.slug), {"body": KIND_POST}, JSON
    )
    posts_while_muted = Post.objects.filter(author=author).count()
    as_user(client, peer)
    unmuted = client.post(url("moderation_member_unmute", membership.pk), {}, JSON)
    unmuted_again = client.post(url("moderation_member_unmute", membership.pk), {}, JSON)

    assert assert_error(bad_days, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "days": ["Choose how long to pause their posting."]
    }
    assert "reason" in assert_error(no_reason, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert muted.status_code == HTTPStatus.OK
    assert muted.json()["muted_until"] is not None
    assert muted.json()["member"] == author.peer_member.pseudonym
    assert (
        "paused your posting until"
        in (assert_error(posting, HTTPStatus.BAD_REQUEST, "invalid")["errors"]["body"][0])
    )
    assert posts_while_muted == 3
    assert unmuted.status_code == HTTPStatus.OK
    assert unmuted.json()["muted_until"] is None
    assert_error(unmuted_again, HTTPStatus.CONFLICT, "conflict")
    assert list(
        ModerationAction.objects.order_by("created_at", "pk").values_list("action", flat=True)
    ) == ["mute", "unmute"]


def test_removing_a_member_keeps_them_out(client, api, group, peer):
    author = member_of(group)
    membership = Membership.objects.get(member=author)

    no_reason = api.post(url("moderation_member_remove", membership.pk), {}, JSON)
    removed = api.post(
        url("moderation_member_remove", membership.pk), {"reason": "Repeated abuse"}, JSON
    )
    again = api.post(url("moderation_member_remove", membership.pk), {"reason": "x"}, JSON)
    muting_gone = api.post(
        url("moderation_member_mute", membership.pk), {"days": 1, "reason": "x"}, JSON
    )
    rejoin = as_user(client, author).post(url("peer_group_join", group.slug), {}, JSON)

    assert "reason" in assert_error(no_reason, HTTPStatus.BAD_REQUEST, "invalid")["errors"]
    assert removed.status_code == HTTPStatus.OK
    assert removed.json()["removed"] is True
    assert removed.json()["is_current"] is False
    assert_error(again, HTTPStatus.CONFLICT, "conflict")
    assert_error(muting_gone, HTTPStatus.CONFLICT, "conflict")
    assert (
        "removed you"
        in assert_error(rejoin, HTTPStatus.BAD_REQUEST, "invalid")["errors"]["group"][0]
    )
    assert ModerationAction.objects.filter(action="remove_member").count() == 1


def test_worried_about_a_member_raises_a_flag(api, group):
    author = member_of(group)
    membership = Membership.objects.get(member=author)

    response = api.post(
        url("moderation_member_worried", membership.pk), {"note": "Withdrawn lately"}, JSON
    )

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["severity"] == "high"
    assert Flag.objects.get(patient=author).category == Flag.Category.CONCERN


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("moderation_member_mute", {"days": 1, "reason": "x"}),
        ("moderation_member_unmute", {}),
        ("moderation_member_remove", {"reason": "x"}),
        ("moderation_member_worried", {"note": "Worried"}),
    ],
)
def test_a_member_of_another_group_is_404_and_nothing_changes(
    client, group, other_peer, name, data
):
    membership = Membership.objects.get(member=member_of(group))
    Membership.objects.filter(pk=membership.pk).update(
        muted_until=timezone.now() + timedelta(days=1)
    )
    before = _membership_state(membership)

    response = as_user(client, other_peer).post(url(name, membership.pk), data, JSON)

    assert_error(response, HTTPStatus.NOT_FOUND, "not_found")
    assert _membership_state(membership) == before


# --- Reports, templates, the log ---------------------------------------------------------------


def test_closing_a_report_with_nothing_to_do(client, api, group, peer, other_peer):
    post = thread_by(member_of(group), group)
    report = services.report_create(reporter=member_of(group), post=post, reason="other")

    elsewhere = as_user(client, other_peer).post(
        url("moderation_report_close", report.pk), {}, JSON
    )
    report.refresh_from_db()
    assert report.handled_at is None
    as_user(client, peer)
    too_long = api.post(url("moderation_report_close", report.pk), {"note": "x" * 1_001}, JSON)
    closed = api.post(url("moderation_report_close", report.pk), {"note": "Fine"}, JSON)
    again = api.post(url("moderation_report_close", report.pk), {}, JSON)

    assert_error(elsewhere, HTTPStatus.NOT_FOUND, "not_found")
    assert list(assert_error(too_long, HTTPStatus.BAD_REQUEST, "invalid")["errors"]) == ["note"]
    assert closed.status_code == HTTPStatus.OK
    assert closed.json()["outcome"] == "no_action"
    assert closed.json()["handled_at"]
    assert_error(again, HTTPStatus.CONFLICT, "conflict")
    assert ModerationAction.objects.filter(action="report_closed").count() == 1


def test_the_message_templates(api):
    body = api.get(url("moderation_message_templates")).json()

    assert [t["title"] for t in body] == list(
        ModeratorMessageTemplate.objects.filter(is_active=True).values_list("title", flat=True)
    )
    assert body


def test_the_log_shows_peers_their_groups_and_admins_everything(
    client, api, group, other_group, peer, other_peer
):
    here = thread_by(member_of(group), group, PHONE_POST)
    there = thread_by(member_of(other_group), other_group, PHONE_POST)
    services.post_approve(post=here, by=peer)
    services.post_reject(post=there, by=other_peer, message="Not this time.")

    mine = api.get(url("moderation_log"))
    admin = as_user(client, AdminFactory())
    everything = admin.get(url("moderation_log")).json()
    one_group = admin.get(url("moderation_log"), {"group": other_group.pk}).json()
    bad = admin.get(url("moderation_log"), {"group": "first-weeks"})

    [entry] = mine.json()["results"]
    assert entry["action"] == "approve"
    assert entry["action_label"] == "Approved a post"
    assert entry["actor_name"] == "Morgan Moderator"
    assert entry["group"]["slug"] == group.slug
    assert entry["member"] == here.author.peer_member.pseudonym
    real_identity_absent(mine, here.author)
    assert everything["count"] == 2
    assert [e["reason"] for e in one_group["results"]] == ["Not this time."]
    assert "group" in assert_error(bad, HTTPStatus.BAD_REQUEST, "invalid")["errors"]


# --- The peer specialist's inbox ---------------------------------------------------------------


@pytest.fixture
def conversation(peer):
    member = patient(profile__peer_specialist=peer)
    services.peer_member_set_pseudonym(user=member, pseudonym="Quiet Fox")
    services.message_send(sender=member, body="Is it normal to feel this restless?")
    return Conversation.objects.get(patient=member)


def test_the_inbox_lists_the_peers_conversations_waiting_first(client, api, peer, conversation):
    elsewhere = patient(profile__peer_specialist=PeerFactory())
    services.message_send(sender=elsewhere, body="Hello")

    response = api.get(url("moderation_conversation_list"))

    [row] = response.json()["results"]
    assert row["id"] == conversation.pk
    assert row["member"] == "Quiet Fox"
    assert row["waiting"] is True
    assert row["unread"] == 1
    real_identity_absent(response, conversation.patient)


def test_reading_a_conversation_is_audited_and_marks_it_read(api, peer, conversation):
    response = api.get(url("moderation_conversation_detail", conversation.pk))

    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["member"] == "Quiet Fox"
    [message] = body["messages"]
    assert message["sender"] == {"name": "Quiet Fox", "role": "member"}
    assert message["mine"] is False
    assert message["flag_raised"] is False
    audit = AuditEvent.objects.get(action="peer.conversation_viewed")
    assert (audit.actor_id, audit.subject_id) == (peer.pk, conversation.patient_id)
    assert audit.target_id == str(conversation.pk)
    assert PeerMessage.objects.get().read_at is not None
    real_identity_absent(response, conversation.patient)


def test_a_crisis_message_shows_the_peer_that_the_clinician_was_alerted(api, peer):
    member = patient(profile__peer_specialist=peer)
    services.message_send(sender=member, body=CRISIS_POST)
    conversation = Conversation.objects.get(patient=member)

    [message] = api.get(url("moderation_conversation_detail", conversation.pk)).json()["messages"]

    assert message["flag_raised"] is True
    assert message["screening_categories"] == ["crisis"]
    assert message["screening_reason"]


def test_the_peer_answers_and_the_member_is_no_longer_waiting(client, api, peer, conversation):
    empty = api.post(url("moderation_conversation_reply", conversation.pk), {"body": ""}, JSON)
    assert PeerMessage.objects.count() == 1
    answered = api.post(
        url("moderation_conversation_reply", conversation.pk),
        {"body": "Yes, very normal in the first week."},
        JSON,
    )
    seen = as_user(client, conversation.patient).get(url("peer_messages")).json()

    assert assert_error(empty, HTTPStatus.BAD_REQUEST, "invalid")["errors"] == {
        "body": ["Write your message first."]
    }
    assert answered.status_code == HTTPStatus.CREATED
    assert answered.json()["mine"] is True
    assert answered.json()["sender"] == {"name": "Morgan", "role": "peer specialist"}
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert seen["waiting"] is False
    assert [m["sender"]["role"] for m in seen["messages"]] == ["member", "peer specialist"]
    assert seen["messages"][1]["body"] == "Yes, very normal in the first week."


def test_another_peers_conversation_is_404_and_unread_and_unaudited(client, conversation):
    other = PeerFactory()
    api = as_user(client, other)

    read = api.get(url("moderation_conversation_detail", conversation.pk))
    reply = api.post(url("moderation_conversation_reply", conversation.pk), {"body": "Hi"}, JSON)

    assert_error(read, HTTPStatus.NOT_FOUND, "not_found")
    assert_error(reply, HTTPStatus.NOT_FOUND, "not_found")
    assert not AuditEvent.objects.filter(action="peer.conversation_viewed").exists()
    assert PeerMessage.objects.get().read_at is None
    assert PeerMessage.objects.count() == 1


# --- Query budget --------------------------------------------------------------------------------

# Measured: the session, the user, the second-factor check (twice: the staff middleware and the
# API's permission), then the queue's own reads (groups, held posts, reports, unanswered posts,
# waiting conversations). The same at both sizes.
QUEUE_BUDGET = 9


@pytest.mark.parametrize("size", [2, 8])
def test_the_queue_is_read_in_a_fixed_number_of_queries(
    api, group, peer, django_assert_max_num_queries, size
):
    for n in range(size):
        author = member_of(group)
        thread_by(author, group, f"Call me on 07911 12345{n}")
        shared = thread_by(author, group, f"Conversation {n}")
        for reason in ("unkind", "worried"):
            services.report_create(reporter=member_of(group), post=shared, reason=reason)
        services.message_send(sender=patient(profile__peer_specialist=peer), body="Hello")

    with django_assert_max_num_queries(QUEUE_BUDGET):
        response = api.get(url("moderation_queue"))

    assert len(response.json()["items"]) == 2 * size
    assert len(response.json()["waiting_conversations"]) == size


# Measured, the same at both sizes: the session, the user and the second-factor check (twice),
# then one post (the post; its reports, replies, author's membership and record, history,
# templates) and the audit row of reading a member's post, the log (count, page), a group's
# members (the group, count, page), the inbox (count, page).
READ_BUDGETS = {
    "moderation_post": 12,
    "moderation_log": 6,
    "moderation_group_members": 7,
    "moderation_conversation_list": 6,
}


@pytest.mark.parametrize("name", list(READ_BUDGETS))
@pytest.mark.parametrize("size", [2, 8])
def test_moderation_reads_take_a_fixed_number_of_queries(
    api, group, peer, django_assert_max_num_queries, name, size
):
    thread = thread_by(member_of(group), group)
    for _ in range(size):
        services.post_create(author=member_of(group), group=group, body="Me too", parent=thread)
        services.report_create(reporter=member_of(group), post=thread, reason="unkind")
        services.message_send(sender=patient(profile__peer_specialist=peer), body="Hello")
    services.thread_lock(post=thread, by=peer, locked=True)
    services.thread_lock(post=thread, by=peer, locked=False)
    address = {
        "moderation_post": url("moderation_post", thread.pk),
        "moderation_log": url("moderation_log"),
        "moderation_group_members": url("moderation_group_members", group.slug),
        "moderation_conversation_list": url("moderation_conversation_list"),
    }[name]

    with django_assert_max_num_queries(READ_BUDGETS[name]):
        response = api.get(address)

    assert response.status_code == HTTPStatus.OK
