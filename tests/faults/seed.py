"""Data for the fault tests, written into the product's own database by a process started in its
environment (tests/faults/conftest.py, Product.script). Prints nothing itself."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string

from accounts.models import PatientProfile, Role, User
from tests.factories import ClinicianFactory


def clinicians(n: int) -> list[User]:
    return [ClinicianFactory(password=None, mfa=False) for _ in range(n)]


def patients(n: int, care_team: list[User], prefix: str = "p") -> list[User]:
    """n patients, shared out among the clinicians, in a few set-based writes."""
    users = []
    for i in range(n):
        user = User(email=f"{prefix}{i}@example.org", full_name=f"Patient {i}", role=Role.PATIENT)
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    PatientProfile.objects.bulk_create(
        PatientProfile(
            user=user,
            clinician=care_team[i % len(care_team)],
            discharged_on=timezone.localdate() - timedelta(days=7),
        )
        for i, user in enumerate(users)
    )
    return users


def sessions(users: list[User]) -> list[str]:
    """A signed-in session for each user, as logging in would leave it: their cookie values."""
    store = SessionStore()
    rows, keys = [], []
    for user in users:
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        keys.append(key)
    Session.objects.bulk_create(rows)
    return keys
