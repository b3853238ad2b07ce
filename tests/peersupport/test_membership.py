"""Choosing a group name, accepting the guidelines, joining and leaving groups."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from core.models import AuditEvent
from peersupport import selectors, services
from peersupport.models import Membership, PeerGroup, PeerMember
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def group():
    return PeerGroup.objects.create(
        name="First weeks after discharge",
        slug="first-weeks",
        kind=PeerGroup.Kind.TOPIC,
        description="For people in their first weeks home.",
    )


def a_patient():
    # A fixed real name, so no random one happens to share a word with the pseudonyms here.
    return PatientFactory(full_name="Robin Example")


def ready(patient, name="Quiet Fox"):
    services.peer_member_set_pseudonym(user=patient, pseudonym=name)
    services.guidelines_accept(user=patient)
    return patient


def test_a_patient_chooses_a_name_and_it_is_audited_without_the_name():
    patient = PatientFactory(full_name="Philippa Quarrington")

    member = services.peer_member_set_pseudonym(user=patient, pseudonym=" Quiet  Fox ")

    assert (member.pseudonym, member.canonical_pseudonym) == ("Quiet Fox", "quiet fox")
    event = AuditEvent.objects.get(action="peer.pseudonym_chosen")
    assert event.subject_id == patient.pk
    assert "Quiet" not in str(event.detail)


def test_changing_the_name_keeps_one_member_and_says_so_in_the_audit():
    patient = a_patient()
    services.peer_member_set_pseudonym(user=patient, pseudonym="Quiet Fox")

    services.peer_member_set_pseudonym(user=patient, pseudonym="Blue Heron")

    assert PeerMember.objects.get(user=patient).pseudonym == "Blue Heron"
    assert AuditEvent.objects.filter(action="peer.pseudonym_changed").count() == 1


def test_a_name_somebody_else_goes_by_is_refused_whatever_its_case():
    services.peer_member_set_pseudonym(user=a_patient(), pseudonym="Quiet Fox")
    patient = a_patient()

    with pytest.raises(ValidationError) as refused:
        services.peer_member_set_pseudonym(user=patient, pseudonym="quiet   FOX")

    assert refused.value.message_dict == {
        "pseudonym": ["Somebody already goes by that name. Choose another."]
    }
    assert not PeerMember.objects.filter(user=patient).exists()


def test_the_database_refuses_a_duplicate_name_too():
    services.peer_member_set_pseudonym(user=a_patient(), pseudonym="Quiet Fox")

    with pytest.raises(IntegrityError):
        PeerMember.objects.create(
            user=a_patient(), pseudonym="Quiet Fox", canonical_pseudonym="quiet fox"
        )


def test_a_name_that_is_the_patients_own_is_refused_and_nothing_is_saved():
    patient = PatientFactory(full_name="Philippa Quarrington", email="pq1984@example.org")

    for name in ["Philippa", "Quarrington Fan", "pq1984"]:
        with pytest.raises(ValidationError) as refused:
            services.peer_member_set_pseudonym(user=patient, pseudonym=name)
        assert "your real name" in refused.value.message_dict["pseudonym"][0]

    assert not PeerMember.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="peer.").exists()


@pytest.mark.parametrize("factory", [ClinicianFactory, PeerFactory, AdminFactory])
def test_staff_do_not_take_part_under_a_pseudonym(factory):
    with pytest.raises(PermissionDenied):
        services.peer_member_set_pseudonym(user=factory(mfa=False), pseudonym="Quiet Fox")


def test_a_patient_joins_a_group_after_choosing_a_name_and_accepting_the_guidelines(group):
    patient = ready(a_patient())

    membership = services.group_join(user=patient, group=group)

    assert membership.is_current
    assert AuditEvent.objects.filter(action="peer.group_joined", subject_id=patient.pk).exists()


def test_joining_needs_a_name_then_the_guidelines(group):
    patient = a_patient()

    with pytest.raises(ValidationError, match="Choose the name"):
        services.group_join(user=patient, group=group)
    services.peer_member_set_pseudonym(user=patient, pseudonym="Quiet Fox")
    with pytest.raises(ValidationError, match="accept the group guidelines"):
        services.group_join(user=patient, group=group)
    assert not Membership.objects.exists()


def test_guidelines_of_an_old_version_are_refused():
    patient = a_patient()
    services.peer_member_set_pseudonym(user=patient, pseudonym="Quiet Fox")

    with pytest.raises(ValidationError, match="have changed"):
        services.guidelines_accept(user=patient, version="2020-01")

    assert PeerMember.objects.get(user=patient).guidelines_accepted_at is None


def test_joining_twice_changes_nothing(group):
    patient = ready(a_patient())
    first = services.group_join(user=patient, group=group)

    again = services.group_join(user=patient, group=group)

    assert again.pk == first.pk
    assert Membership.objects.count() == 1
    assert AuditEvent.objects.filter(action="peer.group_joined").count() == 1


def test_a_closed_group_takes_no_new_members(group):
    group.is_open = False
    group.save()
    patient = ready(a_patient())

    with pytest.raises(ValidationError, match="not taking new members"):
        services.group_join(user=patient, group=group)


def test_leaving_ends_the_membership_and_a_member_can_join_again(group):
    patient = ready(a_patient())
    services.group_join(user=patient, group=group)

    left = services.group_leave(user=patient, group=group)
    again = services.group_join(user=patient, group=group)

    assert left.left_at is not None
    assert again.pk != left.pk
    assert again.is_current
    assert Membership.objects.filter(member=patient).count() == 2


def test_leaving_a_group_one_is_not_in_is_refused(group):
    with pytest.raises(ValidationError, match="not in this group"):
        services.group_leave(user=a_patient(), group=group)


def test_a_cohort_group_needs_its_month():
    with pytest.raises(IntegrityError):
        PeerGroup.objects.create(
            name="November", slug="november", kind=PeerGroup.Kind.COHORT, description="x"
        )


def test_the_groups_page_lists_open_groups_and_the_patients_own_first(
    group, django_assert_num_queries
):
    cohort = PeerGroup.objects.create(
        name="Joined in November",
        slug="november-2026",
        kind=PeerGroup.Kind.COHORT,
        cohort_month=date(2026, 11, 1),
        description="People who joined in November.",
    )
    closed_mine = PeerGroup.objects.create(
        name="Starting again", slug="again", kind=PeerGroup.Kind.TOPIC, description="x"
    )
    PeerGroup.objects.create(
        name="Closed", slug="closed", kind=PeerGroup.Kind.TOPIC, description="x", is_open=False
    )
    patient = ready(a_patient())
    services.group_join(user=patient, group=closed_mine)
    closed_mine.is_open = False
    closed_mine.save()
    other = ready(a_patient(), name="Blue Heron")
    services.group_join(user=other, group=group)

    with django_assert_num_queries(1):
        groups = list(selectors.groups_for_patient(user=patient))

    assert [g.slug for g in groups] == ["again", "november-2026", "first-weeks"]
    assert [(g.is_member, g.member_count) for g in groups] == [(True, 1), (False, 0), (False, 1)]
    assert cohort in groups
