"""People and groups for the peer-group tests: quick patients and staff, groups, and members
past (or still in) pre-moderation. Shared by every test module of the peer groups."""

from __future__ import annotations

from itertools import count

from django.utils import timezone

from accounts.models import User
from peersupport import services
from peersupport.models import PeerGroup, Post
from tests.factories import AdminFactory, ClinicianFactory, PatientFactory, PeerFactory

_numbers = count()


def a_patient(*, clinician: User | None = None, **kwargs) -> User:
    """A patient with a profile and a clinician, made quickly: no password is hashed (hashing is
    most of a factory's time; force_login needs none)."""
    clinician = clinician or ClinicianFactory(password=None, mfa=False)
    kwargs.setdefault("full_name", "Robin Example")  # shares no word with "Walker n"
    return PatientFactory(password=None, profile=clinician, **kwargs)


def a_peer() -> User:
    return PeerFactory(password=None, mfa=False)


def an_admin() -> User:
    return AdminFactory(password=None, mfa=False)


def a_group(slug: str = "first-weeks", *, moderators=(), **kwargs) -> PeerGroup:
    kwargs.setdefault("name", slug.replace("-", " ").capitalize())
    kwargs.setdefault("kind", PeerGroup.Kind.TOPIC)
    kwargs.setdefault("description", "Home again.")
    group = PeerGroup.objects.create(slug=slug, **kwargs)
    group.moderators.add(*moderators)
    return group


def settle(patient: User, group: PeerGroup, posts: int = 3) -> None:
    """Shared posts enough to be past a new member's pre-moderation."""
    for n in range(posts):
        Post.objects.create(
            group=group,
            author=patient,
            body=f"Earlier post {n}",
            status=Post.Status.PUBLISHED,
            published_at=timezone.now(),
        )


def member_of(
    group: PeerGroup,
    *,
    settled: bool = True,
    patient: User | None = None,
    pseudonym: str | None = None,
) -> User:
    """A patient in the group under a group name ("Walker n" unless given); `settled` members
    are past pre-moderation."""
    patient = patient or a_patient()
    if pseudonym is None:
        # "Walker n", or "Rambler n" for a patient whose random real name has "Walker" in it
        # (a group name may not say who someone is, so the service would refuse it).
        word = "Rambler" if "walker" in patient.full_name.casefold() else "Walker"
        pseudonym = f"{word} {next(_numbers)}"
    services.peer_member_set_pseudonym(user=patient, pseudonym=pseudonym)
    services.guidelines_accept(user=patient)
    services.group_join(user=patient, group=group)
    if settled:
        settle(patient, group)
    return patient
