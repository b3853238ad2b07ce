"""factory_boy factories for every app's models, plus helpers for second factors."""

from __future__ import annotations

import time
from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.utils import timezone

from accounts.models import Invitation, PatientProfile, Role, User, hash_token

PASSWORD = "correct-horse-battery-staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def enrol_totp(user: User, secret: str = TOTP_SECRET) -> Authenticator:
    return TOTP.activate(user, secret).instance


def totp_code(user: User, offset_periods: int = 0) -> str:
    """The TOTP code the user's authenticator app would show now."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    counter = int(time.time()) // 30 + offset_periods
    return format_hotp_value(hotp_value(decrypt(authenticator.data["secret"]), counter))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    role = Role.PATIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class StaffFactory(UserFactory):
    """Staff with TOTP enrolled unless created with mfa=False."""

    @factory.post_generation
    def mfa(self, create, extracted, **kwargs):
        if create and extracted is not False:
            enrol_totp(self)


class ClinicianFactory(StaffFactory):
    role = Role.CLINICIAN


class PeerFactory(StaffFactory):
    role = Role.PEER


class AdminFactory(StaffFactory):
    role = Role.ADMIN


class PatientFactory(UserFactory):
    role = Role.PATIENT

    @factory.post_generation
    def profile(self, create, extracted, **kwargs):
        if not create:
            return
        kwargs.setdefault("clinician", extracted or ClinicianFactory())
        kwargs.setdefault("discharged_on", timezone.localdate() - timedelta(days=7))
        PatientProfile.objects.create(user=self, **kwargs)


class InvitationFactory(factory.django.DjangoModelFactory):
    """An open invitation; its raw token is on `.raw_token` (the database has only the hash)."""

    class Meta:
        model = Invitation

    email = factory.Sequence(lambda n: f"invitee{n}@example.org")
    full_name = factory.Faker("name", locale="en_GB")
    role = Role.PATIENT
    invited_by = factory.SubFactory(ClinicianFactory)
    clinician = factory.SelfAttribute("invited_by")
    raw_token = factory.Sequence(lambda n: f"test-token-{n}-abcdefghijklmnopqrstuvwxyz")
    token = factory.SelfAttribute("raw_token")
    token_hash = factory.LazyAttribute(lambda o: hash_token(o.raw_token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))

    class Params:
        expired = factory.Trait(
            expires_at=factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
        )
        revoked = factory.Trait(revoked_at=factory.LazyFunction(timezone.now))

    @classmethod
    def _create(cls, model_class, *args, raw_token, **kwargs):
        invitation = super()._create(model_class, *args, **kwargs)
        invitation.raw_token = raw_token
        return invitation
