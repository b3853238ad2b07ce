"""Peer-group journeys: a patient chooses a group name, agrees to the guidelines, joins a group,
posts, replies and reacts; a post with a phone number is held and the peer specialist edits the
number out and shares it; a crisis post is held, its author sees crisis support and the
clinician's queue has the flag; a peer specialist answers a 1:1 message. Every page on the way is
audited (axe, the help link, no sideways scrolling), patients on a phone, staff on a desktop."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from core.models import Notification
from peersupport import selectors, services
from peersupport.models import ModerationAction, PeerGroup, Post, Reaction
from safety.models import Flag
from tests.e2e.test_safety_journeys import _log_in, _log_in_staff, _nav_link
from tests.factories import ClinicianFactory, PatientFactory, PeerFactory
from tests.peersupport.helpers import member_of

pytestmark = pytest.mark.usefixtures("transactional_db")

DESKTOP = {"width": 1280, "height": 800}


def _group(peer, *, name="First weeks after discharge", slug="first-weeks"):
    group = PeerGroup.objects.create(
        name=name,
        slug=slug,
        kind=PeerGroup.Kind.TOPIC,
        description="For people in their first weeks at home after a stay in hospital.",
    )
    group.moderators.add(peer)
    services.staff_post_create(
        author=peer,
        group=group,
        kind=Post.Kind.WELCOME,
        body="Welcome! Say hello and tell us how your first days at home are going.",
    )
    return group


def _member(group, pseudonym: str, **profile):
    """A patient already in the group, past the first pre-moderated posts."""
    patient = PatientFactory(full_name="Robin Example", **profile)
    return member_of(group, patient=patient, pseudonym=pseudonym)


def test_a_patient_joins_a_group_posts_replies_and_reacts(
    page, visit, submit, click_through, settings
):
    settings.PEERSUPPORT_PREMODERATED_POSTS = 0  # this journey is about taking part
    peer = PeerFactory(preferred_name="Sam")
    group = _group(peer)
    other = _member(group, "Evening Walker")
    thread = services.post_create(
        author=other, group=group, body="Evenings are the hardest part for me. Any tips?"
    ).post
    patient = PatientFactory(full_name="Kit Marlowe", preferred_name="Kit")

    _log_in(page, visit, submit, patient)
    click_through(page, _nav_link(page, "Groups"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Peer groups")
    expect(page.get_by_role("button", name=re.compile("^Join"))).to_have_count(0)

    # A made-up name: their real one is refused with the reason, a new one is taken.
    click_through(page, page.get_by_role("link", name="Choose my group name"))
    page.get_by_label("Your group name").fill("Kit Marlowe")
    submit(page, "Save my group name", status=400)
    expect(page.get_by_role("main")).to_contain_text("looks like your real name")
    page.get_by_label("Your group name").fill("Quiet Fox")
    submit(page, "Save my group name")
    # Straight on to the guidelines, the second of the two steps.
    expect(page.get_by_role("heading", level=1)).to_have_text("Community guidelines")
    expect(page.get_by_role("status")).to_contain_text("In the groups, you are Quiet Fox")
    submit(page, "I agree")
    expect(page.get_by_role("heading", name="You are ready to join groups")).to_be_visible()

    submit(page, f"Join {group.name}")
    assert page.url.endswith(f"/groups/{group.slug}/")
    expect(page.get_by_role("heading", name=f"Welcome to {group.name}")).to_be_visible()
    expect(page.get_by_text("Say hello and tell us how your first days")).to_be_visible()

    # While they type, the live check warns about personal details; the post goes out without.
    box = page.get_by_label("Your message")
    box.fill("Hello all. Text me on 07911 123456 if you want to chat")
    box.blur()
    expect(page.locator(".post-check")).to_contain_text("personal details")
    box.fill("Hello all, I'm Quiet Fox. Day 2 without a cigarette and the patches help.")
    box.blur()
    expect(page.locator(".post-check")).not_to_contain_text("personal details")
    submit(page, "Post")
    expect(page.get_by_role("status")).to_contain_text("Posted")
    expect(page.get_by_role("main")).to_contain_text("Day 2 without a cigarette")
    mine = Post.objects.get(author=patient)
    assert mine.status == Post.Status.PUBLISHED
    assert page.url.endswith(f"/groups/{group.slug}/threads/{mine.pk}/")

    # Another member's conversation: a reply, and encouragement that does not reload the page.
    click_through(page, page.get_by_role("link", name=f"Back to {group.name}"))
    conversation = page.get_by_role("listitem").filter(has_text="Evenings are the hardest")
    click_through(page, conversation.get_by_role("link", name=re.compile("^Read the conversation")))
    expect(page.get_by_role("main")).to_contain_text("Evening Walker")
    page.get_by_label("Your reply").fill("Same here. A walk after tea helps me.")
    submit(page, "Send reply")
    expect(page.get_by_role("main")).to_contain_text("A walk after tea helps me.")

    opening = page.locator(f"#post-{thread.pk}")
    support = opening.get_by_role("button", name=re.compile("^Sending support"))
    expect(support).to_have_attribute("aria-pressed", "false")
    url_before = page.url
    support.click()
    expect(opening.get_by_role("button", name=re.compile("^Sending support"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(opening.get_by_role("button", name=re.compile("^Sending support"))).to_contain_text("1")
    assert page.url == url_before

    reply = Post.objects.get(parent=thread)
    assert reply.author == patient
    assert reply.status == Post.Status.PUBLISHED
    assert Post.objects.get(pk=thread.pk).first_reply_at is not None
    assert list(Reaction.objects.values_list("post_id", "member_id", "kind")) == [
        (thread.pk, patient.pk, Reaction.Kind.HEART)
    ]
    # Other members see the group name, never the real one.
    visit(page, f"/groups/{group.slug}/threads/{thread.pk}/")
    expect(page.get_by_role("main")).to_contain_text("Quiet Fox")
    expect(page.get_by_role("main")).not_to_contain_text("Marlowe")


def test_a_post_with_a_phone_number_is_held_and_the_peer_edits_it_out_and_shares_it(
    new_page, visit, submit, click_through
):
    peer = PeerFactory(full_name="Sam Okafor", preferred_name="Sam")
    group = _group(peer)
    author = _member(group, "Blue Heron")
    reader = _member(group, "Morning Lark")

    # The author has no JavaScript: posting works as a plain form.
    page = new_page(javascript=False)
    _log_in(page, visit, submit, author)
    visit(page, f"/groups/{group.slug}/")
    page.get_by_label("Your message").fill(
        "Anyone fancy a walk on Sunday instead of a smoke? Text me on 07911 123456"
    )
    submit(page, "Post")
    held = Post.objects.filter(author=author).latest("pk")
    assert "Sunday" in held.body
    assert held.status == Post.Status.HELD
    expect(page.get_by_role("main")).to_contain_text(
        "Waiting for a peer specialist — only you can see this."
    )
    expect(page.get_by_role("main")).to_contain_text("phone number")
    thread = selectors.group_threads_for(user=reader, group=group)
    assert held.pk not in {post.pk for post in thread}

    desk = new_page(viewport=DESKTOP)
    _log_in_staff(desk, visit, submit, peer)
    expect(_nav_link(desk, re.compile(r"^Moderation"))).to_contain_text("1")
    click_through(desk, _nav_link(desk, re.compile(r"^Moderation")))
    expect(desk.get_by_role("heading", level=1)).to_have_text("Moderation")
    click_through(desk, desk.get_by_role("link", name=re.compile("Blue Heron")).first)
    assert desk.url.endswith(f"/moderation/posts/{held.pk}/")
    expect(desk.get_by_role("main")).to_contain_text("07911 123456")  # the evidence
    click_through(desk, desk.get_by_role("link", name=re.compile("personal details", re.I)).first)
    desk.get_by_label("The post, without the personal details").fill(
        "Anyone fancy a walk on Sunday instead of a smoke? Reply here if so."
    )
    submit(desk, "Save and publish")
    expect(desk.get_by_role("status")).to_contain_text(re.compile("shared|published", re.I))

    held.refresh_from_db()
    assert held.status == Post.Status.PUBLISHED
    assert "07911" not in held.body
    assert held.screening_evidence == ""
    assert held.edited_by_moderator_at is not None
    assert list(
        ModerationAction.objects.filter(post=held).order_by("pk").values_list("action", "actor")
    ) == [(ModerationAction.Action.EDIT, peer.pk), (ModerationAction.Action.APPROVE, peer.pk)]
    assert Notification.objects.filter(recipient=author, kind="peer_post_moderated").exists()

    # The author sees it shared, and is told a peer specialist took details out.
    visit(page, f"/groups/{group.slug}/threads/{held.pk}/")
    expect(page.get_by_role("main")).to_contain_text("Reply here if so.")
    expect(page.get_by_role("main")).to_contain_text("took some personal details out")
    expect(page.get_by_role("main")).not_to_contain_text("07911")


def test_a_crisis_post_is_held_its_author_sees_crisis_support_and_the_clinician_the_flag(
    new_page, visit, submit, click_through
):
    clinician = ClinicianFactory(full_name="Dr Priya Shah")
    peer = PeerFactory()
    group = _group(peer)
    author = _member(group, "Grey Sparrow", profile=clinician)
    author.full_name = "Alex Rivers"
    author.save(update_fields=["full_name"])
    reader = _member(group, "Morning Lark")

    page = new_page()
    _log_in(page, visit, submit, author)
    visit(page, f"/groups/{group.slug}/")
    page.get_by_label("Your message").fill("I can't do this anymore. I want to end it all tonight.")
    submit(page, "Post")

    assert page.url.endswith("/help/support/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for telling us")
    expect(page.get_by_text("We have let your care team know")).to_be_visible()
    post = Post.objects.filter(author=author).latest("pk")
    assert "end it all" in post.body
    assert post.status == Post.Status.HELD
    assert post.pk not in {p.pk for p in selectors.group_threads_for(user=reader, group=group)}
    flag = Flag.objects.get(patient=author)
    assert (flag.category, flag.source) == (Flag.Category.CRISIS, Flag.Source.POST)
    assert flag.source_ref == f"peersupport.post:{post.pk}"

    desk = new_page(viewport=DESKTOP)
    _log_in_staff(desk, visit, submit, clinician)
    click_through(desk, _nav_link(desk, "Safety flags"))
    row = desk.get_by_role("row").filter(has=desk.get_by_role("link", name="Alex Rivers"))
    expect(row).to_contain_text("Possible crisis (suicide or self-harm)")
    click_through(desk, row.get_by_role("link", name="Alex Rivers"))
    expect(desk.get_by_role("main")).to_contain_text("Group post")

    # The group's peer specialist finds it held in their queue, marked as flagged.
    peer_page = new_page(viewport=DESKTOP)
    _log_in_staff(peer_page, visit, submit, peer)
    click_through(peer_page, _nav_link(peer_page, re.compile(r"^Moderation")))
    expect(peer_page.get_by_role("main")).to_contain_text("Grey Sparrow")
    expect(peer_page.get_by_role("main")).to_contain_text(re.compile("clinician", re.I))


def test_a_peer_specialist_answers_a_one_to_one_message(new_page, visit, submit, click_through):
    peer = PeerFactory(full_name="Sam Okafor", preferred_name="Sam")
    patient = PatientFactory(
        full_name="Jo Bright", preferred_name="Jo", profile__peer_specialist=peer
    )

    page = new_page()
    _log_in(page, visit, submit, patient)
    click_through(page, _nav_link(page, "Messages"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask a peer specialist")
    main = page.get_by_role("main")
    # The promise, before anything is sent.
    expect(main).to_contain_text("usually replies within 1 working day")
    expect(main).to_contain_text("not for emergencies")
    expect(main.get_by_role("link", name=re.compile("Get help now"))).to_be_visible()
    page.get_by_label("Your message to a peer specialist").fill(
        "Hi Sam, I had two cigarettes last night after a row. Feeling rubbish about it."
    )
    submit(page, "Send")
    expect(page.get_by_role("main")).to_contain_text("waiting for a reply")
    conversation = selectors.conversation_for_patient(patient=patient, peer=peer)
    assert conversation.is_waiting

    desk = new_page(viewport=DESKTOP)
    _log_in_staff(desk, visit, submit, peer)
    expect(_nav_link(desk, re.compile(r"^Messages"))).to_contain_text("1")
    click_through(desk, _nav_link(desk, re.compile(r"^Messages")))
    click_through(desk, desk.get_by_role("link", name=re.compile("Jo")).first)
    assert desk.url.endswith(f"/moderation/messages/{conversation.pk}/")
    expect(desk.get_by_role("main")).to_contain_text("two cigarettes last night")
    desk.get_by_label("Your reply").fill(
        "Hi Jo, a slip is not a failure. What helped on the days you didn't smoke?"
    )
    submit(desk, "Send reply")
    expect(desk.get_by_role("main")).to_contain_text("a slip is not a failure")

    conversation.refresh_from_db()
    assert not conversation.is_waiting
    assert Notification.objects.filter(recipient=patient, kind="peer_message_reply").exists()

    visit(page, "/messages/")
    expect(page.get_by_role("main")).to_contain_text("a slip is not a failure")
    expect(page.get_by_role("main")).not_to_contain_text("waiting for a reply")
