"""Fixtures every trial test shares."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Factories hash a password per user, and these tests make many users (patients, their
    clinicians and peer specialists); a fast hasher keeps them quick. Nothing here depends on
    the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
