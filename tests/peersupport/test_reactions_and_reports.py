"""Encouraging and reporting posts: only on what a member can see, once each."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from peersupport import services
from peersupport.models import PeerGroup, Reaction, Report
from tests.peersupport.helpers import a_group
from tests.peersupport.test_posts import member_of, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return a_group()


@pytest.fixture
def published(group):
    return post(member_of(group), group).post


def test_a_member_encourages_a_post_with_each_reaction_once(group, published):
    reader = member_of(group)

    for kind in Reaction.Kind.values:
        services.reaction_add(member=reader, post=published, kind=kind)

    assert Reaction.objects.filter(post=published).count() == len(Reaction.Kind.values)
    with pytest.raises(ValidationError, match="already reacted"):
        services.reaction_add(member=reader, post=published, kind="heart")
    assert Reaction.objects.filter(post=published).count() == len(Reaction.Kind.values)


def test_there_is_no_dislike(group, published):
    with pytest.raises(ValidationError, match="Choose one of the reactions"):
        services.reaction_add(member=member_of(group), post=published, kind="dislike")
    assert not Reaction.objects.exists()


def test_reacting_or_reporting_outside_ones_groups_or_to_a_held_post_is_refused(group, published):
    other = PeerGroup.objects.create(name="Other", slug="other", kind="topic", description="x")
    outsider = member_of(other)
    held = post(member_of(group), group, "ring me on 07911 123456").post
    member = member_of(group)

    for user, target in [(outsider, published), (member, held)]:
        with pytest.raises(PermissionDenied):
            services.reaction_add(member=user, post=target, kind="heart")
        with pytest.raises(PermissionDenied):
            services.report_create(reporter=user, post=target, reason="unkind")
    assert not Reaction.objects.exists()
    assert not Report.objects.exists()


def test_a_member_reports_a_post_once_with_a_reason_and_an_encrypted_note(group, published):
    reporter = member_of(group)

    report = services.report_create(
        reporter=reporter, post=published, reason="worried", note="  They sounded very low.  "
    )

    assert (report.reason, report.note) == ("worried", "They sounded very low.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM peersupport_report WHERE id = %s", [report.pk])
        assert "very low" not in cursor.fetchone()[0]
    with pytest.raises(ValidationError, match="already reported"):
        services.report_create(reporter=reporter, post=published, reason="unkind")
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("reason", "note", "message"),
    [
        ("spam", "", "Choose why you are reporting"),
        ("other", "x" * 1_001, "under 1,000 characters"),
    ],
)
def test_a_bad_report_is_refused_and_nothing_is_written(group, published, reason, note, message):
    with pytest.raises(ValidationError, match=message):
        services.report_create(reporter=member_of(group), post=published, reason=reason, note=note)
    assert not Report.objects.exists()


def test_one_cannot_report_ones_own_post(group, published):
    with pytest.raises(ValidationError, match="your own post"):
        services.report_create(reporter=published.author, post=published, reason="other")
