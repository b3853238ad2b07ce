"""Demo accounts for `manage.py seed_demo`: one of each staff role and several patients."""

from __future__ import annotations

from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.mfa.utils import decrypt
from django.utils import timezone

from accounts.models import PatientProfile, Role, User
from core.models import Notification

DEMO_PASSWORD = "exhale-demo-password"  # noqa: S105 - public by design, demo data only
DEMO_DOMAIN = "exhale.demo"

STAFF = [
    ("clinician", "Dr Amara Okafor", Role.CLINICIAN),
    ("backup", "Sam Patel", Role.CLINICIAN),
    ("peer", "Jo Reynolds", Role.PEER),
    ("admin", "Morgan Lee", Role.ADMIN),
]
PATIENTS = [
    ("alex", "Alex Morgan", "Alex", 21),
    ("bea", "Beatrice Hughes", "Bea", 9),
    ("chris", "Christopher Doyle", "Chris", 35),
    ("dani", "Danielle Clarke", "", 3),
]


def _user(local: str, full_name: str, role: str, preferred: str = "", joined_days_ago=0) -> User:
    email = f"{local}@{DEMO_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            full_name=full_name,
            preferred_name=preferred,
            role=role,
            date_joined=timezone.now() - timedelta(days=joined_days_ago),
        )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _enrol_totp(user: User) -> tuple[str, str]:
    totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if totp is None:
        totp = TOTP.activate(user, generate_totp_secret()).instance
    codes = RecoveryCodes.activate(user)
    return decrypt(totp.data["secret"]), codes.get_unused_codes()[0]


def seed(context: dict, stdout) -> None:
    users = {}
    for local, full_name, role in STAFF:
        user = _user(local, full_name, role, joined_days_ago=60)
        secret, recovery = _enrol_totp(user)
        users[local] = user
        context["logins"].append(
            {
                "role": user.get_role_display(),
                "email": user.email,
                "password": DEMO_PASSWORD,
                "totp_secret": secret,
                "recovery_code": recovery,
            }
        )
    today = timezone.localdate()
    patients = []
    for index, (local, full_name, preferred, days_since_discharge) in enumerate(PATIENTS):
        user = _user(local, full_name, Role.PATIENT, preferred, days_since_discharge)
        PatientProfile.objects.get_or_create(
            user=user,
            defaults={
                "clinician": users["clinician"],
                "backup_clinician": users["backup"],
                "peer_specialist": users["peer"] if index % 2 == 0 else None,
                "discharged_on": today - timedelta(days=days_since_discharge),
            },
        )
        if not Notification.objects.filter(recipient=user, kind="welcome").exists():
            Notification.objects.create(
                recipient=user,
                kind="welcome",
                title="Welcome to Exhale",
                body="Your care team is here for you. Use 'Get help now' at any time.",
                url="/me/",
                created_at=timezone.now() - timedelta(days=days_since_discharge),
            )
        patients.append(user)
        context["logins"].append(
            {"role": "Patient", "email": user.email, "password": DEMO_PASSWORD}
        )
    context["users"] = users
    context["patients"] = patients
    stdout.write(f"accounts: {len(users)} staff, {len(patients)} patients")
