"""Accounts: the user and their one role, care teams, invitations and API tokens."""

from __future__ import annotations

import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.fields import EncryptedTextField
from core.models import TimeStampedModel


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINICIAN = "clinician", "Clinician"
    PEER = "peer", "Peer support specialist"
    ADMIN = "admin", "Admin (trial manager)"


STAFF_ROLES = frozenset({Role.CLINICIAN, Role.PEER, Role.ADMIN})

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("role", Role.PATIENT)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        """`createsuperuser` makes an admin; they must still enrol a second factor."""
        fields["role"] = Role.ADMIN
        return self._create_user(email, password, **fields)


class User(AbstractBaseUser):
    """A person who logs in: by email, with exactly one role.

    The role is the only authority on what a user may do (accounts/permissions.py); there are
    no Django groups or per-user permissions to drift out of step with it.
    """

    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150)
    preferred_name = models.CharField(
        max_length=60, blank=True, help_text="What Exhale calls them on screen."
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised to end every session of the user at once (a second factor added or removed, the
    # account deactivated): it is part of the session hash Django checks on each request, as
    # the password is (accounts.services.user_sessions_end).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="user_role_valid"
            ),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]
        indexes = [models.Index(fields=["role", "is_active"], name="user_role_active")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.pk}"

    def _get_session_auth_hash(self, secret=None) -> str:
        """Django's hash of the password, plus the session generation once it has been raised,
        so that sessions from before the first raise stay valid. Django calls this for
        get_session_auth_hash() and its SECRET_KEY_FALLBACKS variant alike."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.full_name.split(" ")[0] or "there"

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_peer(self) -> bool:
        return self.role == Role.PEER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    # Django's admin asks these; the answer comes from the role alone.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.is_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_active and self.is_admin

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_active and self.is_admin

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_admin


class PatientProfile(TimeStampedModel):
    """A patient's place in the programme: their care team and discharge."""

    class ProgrammeStatus(models.TextChoices):
        ACTIVE = "active", "Taking part"
        WITHDRAWN = "withdrawn", "Withdrawn"

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="patient_profile", primary_key=True
    )
    clinician = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="caseload_profiles",
        help_text="The named clinician (care coordinator) responsible for this patient.",
    )
    backup_clinician = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backup_caseload_profiles",
        help_text="Covers when the named clinician does not respond in time.",
    )
    peer_specialist = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="peer_profiles",
        help_text="The peer support specialist the patient can message.",
    )
    discharged_on = models.DateField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, choices=TIME_ZONE_CHOICES, default=settings.TIME_ZONE
    )
    programme_status = models.CharField(
        max_length=16, choices=ProgrammeStatus.choices, default=ProgrammeStatus.ACTIVE
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(backup_clinician=models.F("clinician")),
                name="profile_backup_differs",
            ),
        ]
        indexes = [
            models.Index(fields=["clinician", "programme_status"], name="profile_clinician"),
            models.Index(fields=["backup_clinician"], name="profile_backup"),
            models.Index(fields=["peer_specialist"], name="profile_peer"),
        ]

    def __str__(self) -> str:
        return f"Patient profile #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:patient_detail", args=[self.user_id])


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Invitation(TimeStampedModel):
    """An invitation by email to join with one role. Expires, works once, can be revoked.

    Only the token's hash is used to find an invitation; the token itself is kept encrypted so
    the email can be sent (and re-sent) by a worker, and is never logged.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be accepted"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    email = models.EmailField()
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    token = EncryptedTextField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitation"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # For patients: the care team the new account joins.
    clinician = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    backup_clinician = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    peer_specialist = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discharged_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.PATIENT) | models.Q(clinician__isnull=False),
                name="invitation_patient_has_clinician",
            ),
            # One open invitation per address: a new one revokes the old (services.py).
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]
        indexes = [
            models.Index(fields=["invited_by", "-created_at"], name="invitation_by"),
            models.Index(fields=["clinician", "-created_at"], name="invitation_clinician"),
        ]

    def __str__(self) -> str:
        return f"Invitation #{self.pk} ({self.role})"

    @property
    def status(self) -> str:
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.PENDING

    def get_status_display(self) -> str:
        return self.Status(self.status).label

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.PENDING


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored; the key is shown once, at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60, help_text="What it is for, e.g. 'analysis laptop'.")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="The first characters, to recognise it.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"API token {self.prefix}… of user #{self.user_id}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
