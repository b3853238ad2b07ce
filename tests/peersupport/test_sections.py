"""The peer groups on pages other apps own: the patient's home, the peer specialist's home and
header counts, the admin's home, and the care team's page about a patient."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport import services
from peersupport.models import Post
from peersupport.templatetags.peer_nav import peer_nav_counts
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory
from tests.peersupport.helpers import a_group, member_of

pytestmark = pytest.mark.django_db


def _group(peer, slug="first-weeks"):
    return a_group(slug, moderators=[peer], name=f"Group {slug}")


def _member(group, **profile):
    # A fixed name: a random one ("Ann Walker") could share a word with the group name given.
    return member_of(
        group, settled=False, patient=PatientFactory(full_name="Robin Example", **profile)
    )


def test_the_patient_home_shows_their_groups_under_their_group_name(client):
    group = _group(PeerFactory())
    patient = _member(group)
    client.force_login(patient)

    page = client.get(reverse("accounts:patient_home")).content.decode()

    assert patient.peer_member.pseudonym in page
    assert reverse("peersupport:group", args=[group.slug]) in page
    assert "Coming soon" not in page


def test_the_patient_home_invites_a_patient_with_no_group_to_find_one(client, patient):
    client.force_login(patient)

    page = client.get(reverse("accounts:patient_home")).content.decode()

    assert "Find a group" in page
    assert reverse("peersupport:messages") in page


def test_the_patient_home_says_a_message_is_waiting_and_when_it_is_overdue(client):
    peer = PeerFactory()
    patient = PatientFactory(profile__peer_specialist=peer)
    conversation = services.message_send(sender=patient, body="Can we talk tomorrow?").conversation
    client.force_login(patient)

    assert "Your message is waiting for a reply" in client.get(
        reverse("accounts:patient_home")
    ).content.decode("utf-8")

    conversation.reply_due_at = timezone.now() - timedelta(minutes=1)
    conversation.save(update_fields=["reply_due_at"])
    services.overdue_messages_report()
    page = client.get(reverse("accounts:patient_home")).content.decode()
    assert "still waiting" in page
    assert "let the peer support team know" in page


def test_the_peer_header_counts_held_and_reported_posts_and_people_waiting(client):
    peer = PeerFactory()
    group = _group(peer)
    other = _group(PeerFactory(), slug="elsewhere")
    author = _member(group, profile__peer_specialist=peer)
    held = services.post_create(author=author, group=group, body="Ring me on 07911 123456").post
    assert held.status == Post.Status.HELD
    shared = Post.objects.create(
        group=group, author=author, body="Hello", status="published", published_at=timezone.now()
    )
    for _ in range(2):  # two reports on one post count once
        services.report_create(reporter=_member(group), post=shared, reason="unkind")
    stranger = _member(other)
    services.post_create(author=stranger, group=other, body="Ring me on 07911 654321")
    services.message_send(sender=author, body="Are you around this week?")

    assert peer_nav_counts(peer) == {"queue": 2, "waiting": 1}
    assert peer_nav_counts(author) == {"queue": 0, "waiting": 0}

    client.force_login(peer)
    page = client.get(reverse("accounts:peer_home")).content.decode()
    assert "2 posts are waiting for you to read" in page
    assert "1 person is waiting for your reply" in page
    assert reverse("peersupport:moderation_group", args=[group.slug]) in page
    assert reverse("peersupport:moderation_group", args=[other.slug]) not in page


def test_the_admin_home_shows_moderation_and_overdue_messages(client):
    peer = PeerFactory()
    patient = PatientFactory(profile__peer_specialist=peer)
    conversation = services.message_send(sender=patient, body="Hello?").conversation
    conversation.reply_due_at = timezone.now() - timedelta(hours=1)
    conversation.save(update_fields=["reply_due_at"])
    client.force_login(AdminFactory())

    page = client.get(reverse("accounts:admin_home")).content.decode()

    assert "1 message to peer specialists is waiting past the promised reply time" in page
    assert reverse("peersupport:moderation_log") in page


def test_the_care_team_sees_the_group_name_and_how_posts_fared_but_not_their_text(client):
    clinician = ClinicianFactory()
    group = _group(PeerFactory())
    patient = _member(group, profile=clinician)
    services.post_create(author=patient, group=group, body="Ring me on 07911 123456")
    client.force_login(clinician)

    response = client.get(reverse("accounts:patient_detail", args=[patient.pk]))

    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert patient.peer_member.pseudonym in page
    assert group.name in page
    assert "1 waiting for a peer specialist" in page
    assert "07911" not in page


@pytest.mark.parametrize("posts", [2, 20])
def test_the_care_team_page_with_group_life_keeps_its_query_budget(
    client, django_assert_max_num_queries, posts
):
    clinician, peer = ClinicianFactory(), PeerFactory()
    group = _group(peer)
    patient = _member(group, profile=clinician)
    for n in range(posts):
        Post.objects.create(
            group=group, author=patient, body=f"Post {n}", status="held", held_reason="New member"
        )
    services.member_mute(membership=patient.group_memberships.get(), by=peer, days=1, reason="x")
    client.force_login(clinician)
    url = reverse("accounts:patient_detail", args=[patient.pk])
    client.get(url)

    # The page's own budget (tests/cessation/test_query_budgets.py) plus the group section with a
    # member: their memberships, how their posts fared, and recent moderation.
    with django_assert_max_num_queries(31):
        assert client.get(url).status_code == HTTPStatus.OK
